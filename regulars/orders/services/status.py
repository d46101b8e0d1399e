"""Moving an order forward: the only place that changes an order's status.

An order moves only to a higher rank of its flow. A repeated, late or shuffled status is answered "stale" and
changes nothing, publishes nothing and sends nothing — so "handed to courier" never follows "delivered". The caller
holds the order's row lock, so five copies of one status arriving at once make one change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed
from regulars.platform.events import publish
from regulars.platform.jobs import job_schedule

from ..models import Order, OrderStatus, StatusChange
from ..texts import ORDER_STATUS, stored
from .pickup import pickup_record


@dataclass(frozen=True)
class StatusOutcome:
    applied: bool
    reason: str = ""  # "stale" (not forward) or "same" (already there) when not applied


def status_of(order_flow_id: int, code: str) -> OrderStatus:
    status = OrderStatus.objects.filter(flow_id=order_flow_id, code=code).first()
    if status is None:
        codes = ", ".join(OrderStatus.objects.filter(flow_id=order_flow_id).values_list("code", flat=True))
        raise ValidationFailed(_("Unknown status"), fields={"status": _("one of: %(choices)s") % {"choices": codes}})
    return status


def apply_status(order: Order, status: OrderStatus, *, actor: Actor, changed_at: dt.datetime | None,
                 initial: bool = False) -> StatusOutcome:
    """Record the change, its event (timeline, notification, webhooks) and the reminders of the new step."""
    previous = None if initial else order.status
    if previous is not None:
        if previous.pk == status.pk:
            return StatusOutcome(False, "same")
        if status.rank <= previous.rank:
            return StatusOutcome(False, "stale")
    now = timezone.now()
    at = min(changed_at or now, now)
    order.status, order.status_changed_at = status, at
    if not initial:
        Order.objects.filter(pk=order.pk).update(status=status, status_changed_at=at, updated_at=now)
    StatusChange.objects.create(order=order, status=status, changed_at=at, recorded_at=now,
                                actor_label=actor.label[:200])
    publish("order.status_changed", subject_type="order", subject_id=order.pk, actor=actor, occurred_at=at,
            payload={"customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
                     "order_number": order.number, "source": order.source, "external_id": order.external_id,
                     "status": status.code, "previous": previous.code if previous else None,
                     "summary": stored(ORDER_STATUS, number=order.number, status=status.name)})
    for reminder in status.reminders.all():
        job_schedule(kind="order.reminder", key=f"order:{order.pk}:reminder:{reminder.pk}",
                     due_at=at + dt.timedelta(days=reminder.after_days),
                     payload={"order_id": order.pk, "status_id": status.pk, "reminder_id": reminder.pk})
    if status.outcome:
        pickup_record(order=order, outcome=status.outcome, actor=actor)
    return StatusOutcome(True)
