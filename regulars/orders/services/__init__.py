"""Write use cases of the orders domain: every surface (API, batch, inbound webhooks, pages, worker) calls these."""

from .journey import flow_default_set, orders_policy_save, reminder_delete, reminder_save, step_add, step_save
from .orders import order_upsert, orders_batch
from .statuses import order_status_set, orders_status_batch

__all__ = ["flow_default_set", "order_status_set", "order_upsert", "orders_batch", "orders_policy_save",
           "orders_status_batch", "reminder_delete", "reminder_save", "step_add", "step_save"]
