from django.urls import include, path

urlpatterns = [
    path("", include("regulars.web.urls")),
]
