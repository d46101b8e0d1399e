from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:batch_id>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<int:batch_id>/preview/", views.import_preview, name="import_preview"),
    path("imports/<int:batch_id>/", views.import_progress_page, name="import_progress"),
    path("imports/<int:batch_id>/rejections.csv", views.import_rejections, name="import_rejections"),
    path("exports/", views.export_start, name="export_start"),
    path("exports/<int:batch_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:batch_id>/download/", views.export_download, name="export_download"),
]
