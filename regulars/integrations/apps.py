from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "regulars.integrations"
    label = "integrations"
    verbose_name = "Integrations"
