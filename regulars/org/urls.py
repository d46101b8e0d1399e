from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.index, name="index"),
    path("branches/", views.branch_list, name="branch_list"),
    path("branches/new/", views.branch_create, name="branch_create"),
    path("branches/<int:pk>/", views.branch_edit, name="branch_edit"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/two-factor/reset/", views.staff_two_factor_reset, name="staff_two_factor_reset"),
    path("staff/<int:pk>/", views.staff_edit, name="staff_edit"),
    path("api-keys/", views.apikey_list, name="apikey_list"),
    path("api-keys/new/", views.apikey_create, name="apikey_create"),
    path("api-keys/<int:pk>/revoke/", views.apikey_revoke, name="apikey_revoke"),
    path("audit/", views.audit, name="audit"),
]
