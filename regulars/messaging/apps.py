from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "regulars.messaging"
    label = "messaging"
    verbose_name = "Messaging"
