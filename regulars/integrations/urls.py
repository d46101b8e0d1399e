from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_edit, name="webhook_create"),
    path("webhooks/<int:subscription_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:subscription_id>/edit/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:subscription_id>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:subscription_id>/delete/", views.webhook_delete, name="webhook_delete"),
    path("deliveries/<int:delivery_id>/redeliver/", views.delivery_redeliver, name="delivery_redeliver"),
    path("inbound/", views.inbound_list, name="inbound"),
    path("inbound/<int:endpoint_id>/rotate/", views.inbound_rotate, name="inbound_rotate"),
]
