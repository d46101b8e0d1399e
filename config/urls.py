"""URL map: the JSON API, customers, settings, the language switch and the UI shell."""

from django.urls import include, path

from config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("customers/", include("regulars.customers.urls")),
    path("documents/", include("regulars.documents.urls")),
    path("exchange/", include("regulars.exchange.urls")),
    path("messages/", include("regulars.messaging.urls")),
    path("orders/", include("regulars.orders.urls")),
    path("integrations/", include("regulars.integrations.urls")),
    path("settings/", include("regulars.org.urls")),
    path("account/", include("regulars.org.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("regulars.web.urls")),
]

handler403 = "regulars.web.views.forbidden"
handler404 = "regulars.web.views.not_found"
handler500 = "regulars.web.views.server_error"
