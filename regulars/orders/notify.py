"""The customer is told at every step (PRODUCT C7.2): the message of a status, and the reminders while an order
waits. Messages are only queued here (messaging sends them after commit, checking consent and quiet hours).

Keys make it once: `order:<id>:status:<code>` and `order:<id>:reminder:<id>`. A newer step withdraws the older
step's message if it is still waiting (a delay, quiet hours), so no stale news goes out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, timezone

from regulars.messaging.services import message_send, messages_withdraw
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.events import publish
from regulars.platform.models import Event, Job

from .models import Order, OrderStatus, StatusReminder
from .services.pickup import policy
from .texts import MOVED_ON, NOTHING_SENT, stored

ACTOR = Actor.system("orders")


def message_source(order: Order) -> str:
    return f"order:{order.pk}"


def order_context(order: Order) -> dict[str, Any]:
    """The order.* template variables (rendering.VARIABLES), all present: an empty one reads as missing."""
    shipment = order.shipments.order_by("-id").first()
    link = order.payment_links.filter(status="pending").order_by("-created_at").first()
    keep_until = order.keep_until or (
        (order.status_changed_at + dt.timedelta(days=policy().keep_days)).date() if order.status.reminders.exists()
        else None)
    return {"order": {
        "number": order.number, "status": order.status.name, "total": f"{order.total} {order.currency}",
        "courier_name": shipment.courier_name if shipment else "",
        "courier_phone": shipment.courier_phone if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "pickup_point": order.pickup_point,
        "keep_until": formats.date_format(keep_until, "d.m.Y") if keep_until else "",
        "payment_url": link.url if link else "",
        "review_url": policy().review_url,
    }}


def _send(order: Order, *, template_key: str, key: str, due_at: dt.datetime, send_by: dt.datetime | None) -> None:
    try:
        message_send(actor=ACTOR, customer_id=order.customer_id, template_key=template_key,
                     context=order_context(order), idempotency_key=key, due_at=due_at, send_by=send_by,
                     source=message_source(order))
    except DomainError as exc:  # the step is configured but cannot be said: the card shows why, the order moves on
        reasons = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
        publish("order.notification_skipped", subject_type="order", subject_id=order.pk, actor=ACTOR,
                payload={"customer_id": order.customer_id, "order_id": order.pk, "template": template_key,
                         "summary": stored(NOTHING_SENT, number=order.number,
                                           reason=reasons)})


def notify_status(event: Event) -> None:
    """Inline consumer of order.status_changed: in the transaction of the change, so queued within it."""
    order = Order.objects.select_related("status", "customer").filter(pk=event.subject_id).first()
    if order is None:
        return
    messages_withdraw(source=message_source(order), reason=stored(MOVED_ON,
                                                                  status=order.status.name))
    status: OrderStatus = order.status
    if status.code != event.payload.get("status") or not status.notify or not status.template_key:
        return
    due = event.occurred_at + dt.timedelta(minutes=status.delay_minutes)
    due = max(due, timezone.now())
    send_by = (event.occurred_at + dt.timedelta(minutes=status.send_within_minutes)
               if status.send_within_minutes else None)
    if send_by is not None and send_by <= due:
        return  # reported too late to be news (a "confirmed" from yesterday's backlog)
    _send(order, template_key=status.template_key, key=f"order:{order.pk}:status:{status.code}", due_at=due,
          send_by=send_by)


def remind(job: Job) -> None:
    """Job order.reminder: only if the order still waits in the step that scheduled it."""
    order = Order.objects.select_related("status").filter(pk=job.payload["order_id"]).first()
    reminder = StatusReminder.objects.filter(pk=job.payload["reminder_id"]).first()
    if order is None or reminder is None or order.status_id != job.payload["status_id"]:
        return
    _send(order, template_key=reminder.template_key, key=f"order:{order.pk}:reminder:{reminder.pk}",
          due_at=timezone.now(), send_by=timezone.now() + dt.timedelta(days=1))
