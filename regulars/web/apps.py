from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "regulars.web"
    label = "web"
    verbose_name = "Web UI"
