from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "regulars.exchange"
    label = "exchange"
    verbose_name = "Exchange"
