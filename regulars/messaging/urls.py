from django.urls import path

from . import settings_views, views

app_name = "messaging"
urlpatterns = [
    path("", views.message_log, name="log"),
    path("send/<int:customer_id>/", views.send_from_card, name="send"),
    path("send/<int:customer_id>/telegram-link/", views.send_telegram_link, name="send_telegram_link"),
    path("channels/<int:account_id>/register-webhook/", settings_views.channel_register_webhook,
         name="channel_register_webhook"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("templates/", settings_views.template_list, name="templates"),
    path("templates/new/", settings_views.template_edit, name="template_create"),
    path("templates/<int:template_id>/", settings_views.template_edit, name="template_edit"),
    path("templates/preview/", settings_views.template_preview, name="template_preview"),
    path("channels/", settings_views.channel_list, name="channels"),
    path("channels/new/", settings_views.channel_edit, name="channel_create"),
    path("channels/<int:account_id>/", settings_views.channel_edit, name="channel_edit"),
]
