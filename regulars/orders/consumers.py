"""Event consumers of the orders domain: the notification of each status, queued in the change's transaction."""

from __future__ import annotations

from regulars.platform.events import Consumer

from .notify import notify_status, notify_statuses

CONSUMERS = [Consumer(name="orders.notify", events=("order.status_changed",), handler=notify_status, mode="inline",
                      batch=notify_statuses)]
