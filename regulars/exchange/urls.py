app_name = "exchange"
urlpatterns: list = []  # type: ignore[type-arg]
