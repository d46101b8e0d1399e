"""The customer is told at every step (PRODUCT C7.2): the message of a status, and the reminders while an order
waits. Messages are only queued here (messaging sends them after commit, checking consent and quiet hours).

Keys make it once: `order:<id>:status:<code>` and `order:<id>:reminder:<id>`. A newer step withdraws the older
step's message if it is still waiting (a delay, quiet hours), so no stale news goes out. One event and a batch of
events take the same path: `notify_statuses` reads what the messages need with a few queries for the whole batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone

from regulars.messaging.bulk import MessageRequest, messages_queue_many, messages_withdraw_many
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.events import EventSpec, publish_many
from regulars.platform.models import Event, Job

from .models import Order, OrdersPolicy, OrderStatus, PaymentLink, Shipment, StatusReminder
from .services.pickup import policy
from .texts import MOVED_ON, NOTHING_SENT, stored

ACTOR = Actor.system("orders")
# What a step's message reads of its order (a batch loads only these columns).
CONTEXT_FIELDS = ("id", "number", "customer_id", "flow_id", "total", "currency", "pickup_point", "keep_until")


def message_source(order: Order) -> str:
    return f"order:{order.pk}"


@dataclass(frozen=True)
class _Extras:
    """What an order's messages say besides the order row: its latest shipment and pending payment link."""

    shipment: Shipment | None
    link: PaymentLink | None


def _extras(order_ids: Iterable[int]) -> dict[int, _Extras]:
    ids = set(order_ids)
    shipments: dict[int, Shipment] = {}
    for shipment in Shipment.objects.filter(order_id__in=ids).order_by("id"):
        shipments[shipment.order_id] = shipment  # the latest wins
    links: dict[int, PaymentLink] = {}
    for link in PaymentLink.objects.filter(order_id__in=ids, status=PaymentLink.Status.PENDING).order_by(
            "created_at", "id"):
        links[link.order_id] = link
    return {i: _Extras(shipments.get(i), links.get(i)) for i in ids}


def _context(order: Order, status: OrderStatus, changed_at: dt.datetime, extras: _Extras, rules: OrdersPolicy,
             waits: bool) -> dict[str, Any]:
    keep_until = order.keep_until or ((changed_at + dt.timedelta(days=rules.keep_days)).date() if waits else None)
    shipment, link = extras.shipment, extras.link
    return {"order": {
        "number": order.number, "status": status.name, "total": f"{order.total} {order.currency}",
        "courier_name": shipment.courier_name if shipment else "",
        "courier_phone": shipment.courier_phone if shipment else "",
        "tracking_number": shipment.tracking_number if shipment else "",
        "pickup_point": order.pickup_point,
        "keep_until": formats.date_format(keep_until, "d.m.Y") if keep_until else "",
        "payment_url": link.url if link else "",
        "review_url": rules.review_url,
    }}


def order_context(order: Order) -> dict[str, Any]:
    """The order.* template variables (rendering.VARIABLES), all present: an empty one reads as missing."""
    return _context(order, order.status, order.status_changed_at, _extras([order.pk])[order.pk], policy(),
                    order.status.reminders.exists())


def _skipped(order: Order, template_key: str, exc: DomainError) -> EventSpec:
    """The step is configured but cannot be said: the card shows why, and the order moves on regardless."""
    reasons = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
    return EventSpec(name="order.notification_skipped", subject_type="order", subject_id=order.pk,
                     payload={"customer_id": order.customer_id, "order_id": order.pk, "template": template_key,
                              "summary": stored(NOTHING_SENT, number=order.number, reason=reasons)})


def _queue(requests: list[tuple[Order, MessageRequest]]) -> None:
    answers = messages_queue_many(actor=ACTOR, requests=[r for _order, r in requests])
    publish_many([_skipped(order, request.template_key, answer) for (order, request), answer in zip(
        requests, answers, strict=True) if isinstance(answer, DomainError)], actor=ACTOR)


def notify_statuses(events: list[Event]) -> None:
    """Inline consumer of order.status_changed, in the transaction of the changes (so queued within it), for one
    event or many: each event withdraws what its order still had waiting and queues its step's message."""
    orders = Order.objects.only(*CONTEXT_FIELDS).in_bulk({e.subject_id for e in events})
    statuses = {(s.flow_id, s.code): s for s in OrderStatus.objects.filter(
        flow_id__in={o.flow_id for o in orders.values()}).prefetch_related("reminders")}
    extras = _extras(orders)
    rules = policy()
    now = timezone.now()
    withdraw: dict[str, str] = {}  # messages of earlier transactions, by source
    requests: list[tuple[Order, MessageRequest]] = []
    pending: dict[int, MessageRequest] = {}  # this batch's message per order, until a later event supersedes it
    for event in events:
        order = orders.get(event.subject_id)
        status = statuses.get((order.flow_id, event.payload.get("status", ""))) if order else None
        if order is None or status is None:
            continue
        reason = stored(MOVED_ON, status=status.name)
        withdraw.setdefault(message_source(order), reason)
        if order.pk in pending:
            pending.pop(order.pk).withdrawn_reason = reason
        if not status.notify or not status.template_key:
            continue
        due = max(event.occurred_at + dt.timedelta(minutes=status.delay_minutes), now)
        send_by = (event.occurred_at + dt.timedelta(minutes=status.send_within_minutes)
                   if status.send_within_minutes else None)
        if send_by is not None and send_by <= due:
            continue  # reported too late to be news (a "confirmed" from yesterday's backlog)
        request = MessageRequest(
            customer_id=order.customer_id, template_key=status.template_key, source=message_source(order),
            idempotency_key=f"order:{order.pk}:status:{status.code}", due_at=due, send_by=send_by,
            context=_context(order, status, event.occurred_at, extras[order.pk], rules,
                             bool(status.reminders.all())))
        pending[order.pk] = request
        requests.append((order, request))
    messages_withdraw_many(reasons=withdraw)
    _queue(requests)


def notify_status(event: Event) -> None:
    notify_statuses([event])


def remind(job: Job) -> None:
    """Job order.reminder: only if the order still waits in the step that scheduled it."""
    order = Order.objects.select_related("status").filter(pk=job.payload["order_id"]).first()
    reminder = StatusReminder.objects.filter(pk=job.payload["reminder_id"]).first()
    if order is None or reminder is None or order.status_id != job.payload["status_id"]:
        return
    now = timezone.now()
    _queue([(order, MessageRequest(
        customer_id=order.customer_id, template_key=reminder.template_key, source=message_source(order),
        idempotency_key=f"order:{order.pk}:reminder:{reminder.pk}", due_at=now, send_by=now + dt.timedelta(days=1),
        context=order_context(order)))])
