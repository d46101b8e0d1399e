from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "regulars.platform"
    label = "platform"
    verbose_name = "Platform"
