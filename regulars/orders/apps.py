from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "regulars.orders"
    label = "orders"
    verbose_name = "Orders"
