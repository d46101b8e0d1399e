from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("customer/<int:customer_id>/upload", views.upload, name="upload"),
    path("<int:document_id>/archive", views.archive, name="archive"),
    path("<int:document_id>/file", views.file, name="file"),
    path("<int:document_id>/thumbnail", views.thumbnail, name="thumbnail"),
    path("new-customer/", views.new_customer, name="new_customer"),
    path("to-complete/", views.queue, name="queue"),
    path("to-complete/<int:customer_id>/", views.complete, name="complete"),
]
