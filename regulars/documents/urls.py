app_name = "documents"
urlpatterns: list = []  # type: ignore[type-arg]
