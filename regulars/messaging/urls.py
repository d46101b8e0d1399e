from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.message_log, name="log"),
    path("send/<int:customer_id>/", views.send_from_card, name="send"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
