from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "regulars.org"
    label = "org"
    verbose_name = "Organisation"
