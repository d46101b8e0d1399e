from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("customers/", include("regulars.customers.urls")),
    path("settings/", include("regulars.org.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("regulars.web.urls")),
]
