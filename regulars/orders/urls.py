from django.urls import include, path

from . import views

app_name = "orders"
urlpatterns = [
    path("", views.order_list_page, name="list"),
    path("<int:order_id>/", views.order_page, name="detail"),
    path("<int:order_id>/status", views.order_status_form, name="status"),
    path("journey/", views.journey_page, name="journey"),
    path("journey/steps/<int:status_id>/", views.step_form, name="step"),
    path("journey/steps/<int:status_id>/reminders/", views.reminder_form, name="reminder_new"),
    path("journey/reminders/<int:reminder_id>/delete", views.reminder_delete_view, name="reminder_delete"),
    path("journey/rules/", views.policy_form, name="policy"),
    path("journey/flows/<int:flow_id>/steps/", views.step_add_form, name="step_add"),
    path("journey/flows/<int:flow_id>/default", views.flow_default_form, name="flow_default"),
    path("payments/", include("regulars.orders.payments.urls")),
]
