from django.urls import path

from . import account_views

app_name = "org_account"
urlpatterns = [
    path("two-factor/", account_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", account_views.two_factor_verify, name="two_factor_verify"),
]
