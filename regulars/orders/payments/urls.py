"""Pages of payment links, under /orders/payments/ in the "orders" namespace (orders:payment_accounts …)."""

from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.account_list, name="payment_accounts"),
    path("accounts/new/", views.account_edit, name="payment_account_create"),
    path("accounts/<int:account_id>/", views.account_edit, name="payment_account_edit"),
    path("orders/<int:order_id>/send-link", views.payment_link_send, name="payment_link_send"),
]
