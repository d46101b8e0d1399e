"""Moving an order forward: the only place that changes an order's status.

An order moves only to a higher rank of its flow. A repeated, late or shuffled status is answered "stale" and
changes nothing, publishes nothing and sends nothing — so "handed to courier" never follows "delivered". The caller
holds the order's row lock, so five copies of one status arriving at once make one change."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.api_errors import error_body
from regulars.platform.bulkupdate import update_rows
from regulars.platform.errors import DomainError, ValidationFailed
from regulars.platform.events import EventSpec, publish_many
from regulars.platform.fastcopy import insert_rows
from regulars.platform.models import Job

from ..models import Order, OrderStatus, StatusChange
from ..texts import ORDER_STATUS, stored
from .pickup import pickup_record


@dataclass(frozen=True)
class StatusOutcome:
    applied: bool
    reason: str = ""  # "stale" (not forward) or "same" (already there) when not applied


def unknown_status(codes: list[str]) -> ValidationFailed:
    """The refusal of a status its flow does not have, naming the ones it has."""
    return ValidationFailed(_("Unknown status"), fields={"status": _("one of: %(choices)s") % {
        "choices": ", ".join(codes)}})


def status_of(order_flow_id: int, code: str) -> OrderStatus:
    status = OrderStatus.objects.filter(flow_id=order_flow_id, code=code).first()
    if status is None:
        raise unknown_status(list(OrderStatus.objects.filter(flow_id=order_flow_id).values_list("code", flat=True)))
    return status


def batch_answer(index: int, external_id: str, answer: dict[str, Any] | DomainError) -> dict[str, Any]:
    """One line of a batch's answer: `ok: true` with the result, or `ok: false` with the error and its fields."""
    if isinstance(answer, DomainError):
        return {"index": index, "ok": False, "external_id": external_id,
                **error_body(answer.code, answer.message, answer.fields)}
    return {"index": index, "ok": True, **answer}


@dataclass
class Change:
    """One status for one order, as it came; `initial` for the first status of an order just created."""

    order: Order
    status: OrderStatus
    changed_at: dt.datetime | None = None
    initial: bool = False


def apply_status(order: Order, status: OrderStatus, *, actor: Actor, changed_at: dt.datetime | None,
                 initial: bool = False) -> StatusOutcome:
    return apply_statuses([Change(order, status, changed_at, initial)], actor=actor)[0]


def apply_statuses(changes: list[Change], *, actor: Actor) -> list[StatusOutcome]:
    """Record the changes that move their orders forward, in order (one order may move twice in a batch), with
    their events (timeline, notification, webhooks) and the reminders of the new steps: a few statements for the
    whole list. The caller holds the orders' row locks."""
    now = timezone.now()
    outcomes: list[StatusOutcome] = []
    moved: dict[int, Order] = {}
    history: list[dict[str, Any]] = []
    events: list[EventSpec] = []
    reminders: list[Job] = []
    reached: list[tuple[Order, str]] = []
    for change in changes:
        order, status = change.order, change.status
        previous = None if change.initial and order.pk not in moved else order.status
        if previous is not None and (previous.pk == status.pk or status.rank <= previous.rank):
            outcomes.append(StatusOutcome(False, "same" if previous.pk == status.pk else "stale"))
            continue
        at = min(change.changed_at or now, now)
        order.status, order.status_changed_at, order.updated_at = status, at, now
        if not change.initial:
            moved[order.pk] = order
        history.append({"order_id": order.pk, "status_id": status.pk, "changed_at": at, "recorded_at": now,
                        "actor_label": actor.label[:200]})
        events.append(EventSpec(
            name="order.status_changed", subject_type="order", subject_id=order.pk, occurred_at=at,
            payload={"customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
                     "order_number": order.number, "source": order.source, "external_id": order.external_id,
                     "status": status.code, "previous": previous.code if previous else None,
                     "summary": stored(ORDER_STATUS, number=order.number, status=status.name)}))
        reminders.extend(Job(kind="order.reminder", key=f"order:{order.pk}:reminder:{r.pk}",
                             due_at=at + dt.timedelta(days=r.after_days),
                             payload={"order_id": order.pk, "status_id": status.pk, "reminder_id": r.pk})
                         for r in status.reminders.all())
        if status.outcome:
            reached.append((order, status.outcome))
        outcomes.append(StatusOutcome(True))
    if moved:
        update_rows(Order, list(moved.values()), ["status", "status_changed_at", "updated_at"])
    insert_rows(StatusChange, history)
    publish_many(events, actor=actor)
    Job.objects.bulk_create(reminders, ignore_conflicts=True)
    for order, outcome in reached:
        pickup_record(order=order, outcome=outcome, actor=actor)
    return outcomes
