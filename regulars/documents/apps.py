from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "regulars.documents"
    label = "documents"
    verbose_name = "Documents"
