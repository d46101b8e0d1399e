"""Statuses of known orders, one or a batch (an ERP's exchange sends hundreds at once): the batch is checked item by
item, then applied in one transaction with set-based writes — the orders locked with one statement in id order
(no deadlock between two batches), the changes, events, timeline entries and messages written a few INSERTs in all.
One status is a batch of one: there is one path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, NotFound, ValidationFailed

from ..models import Order, OrderStatus
from ..parsing import clean_datetime
from .orders import MAX_BATCH, check_key, result_of, retrying
from .status import Change, apply_statuses, batch_answer, unknown_status

# What applying a status reads and writes of an order (a batch loads only these columns).
ORDER_FIELDS = ("id", "source", "external_id", "number", "customer_id", "branch_id", "flow_id", "status_id",
                "status_changed_at", "updated_at")


@dataclass(frozen=True)
class _Item:
    external_id: str
    status: str
    changed_at: dt.datetime | None


def _clean(raw: Any) -> _Item:
    if not isinstance(raw, dict):
        raise ValidationFailed(_("The status could not be set"), fields={"status": _("must be an object")})
    errors: dict[str, str] = {}
    external_id, status = raw.get("external_id"), raw.get("status")
    if not isinstance(external_id, str | int) or not str(external_id).strip() or len(str(external_id)) > 100:
        errors["external_id"] = _("required, at most 100 characters")
    if not isinstance(status, str) or not status.strip():
        errors["status"] = _("required")
    when = clean_datetime(raw.get("changed_at"), "changed_at", errors)
    if errors:
        raise ValidationFailed(_("The status could not be set"), fields=errors)
    return _Item(str(external_id).strip(), str(status).strip(), when)


def _apply(actor: Actor, source: str, items: list[_Item | DomainError]) -> list[dict[str, Any] | DomainError]:
    wanted = {i.external_id for i in items if isinstance(i, _Item)}
    locked = list(Order.objects.select_for_update().filter(source=source, external_id__in=wanted)
                  .order_by("pk").values_list("pk", flat=True))
    orders = {o.external_id: o for o in Order.objects.filter(pk__in=locked).only(*ORDER_FIELDS)}
    statuses = list(OrderStatus.objects.filter(flow_id__in={o.flow_id for o in orders.values()})
                    .prefetch_related("reminders").order_by("rank", "id"))
    by_id = {s.pk: s for s in statuses}
    by_code = {(s.flow_id, s.code): s for s in statuses}
    for order in orders.values():
        order.status = by_id[order.status_id]
    answers: list[dict[str, Any] | DomainError] = []
    changes: list[tuple[int, Change]] = []
    for index, item in enumerate(items):
        if isinstance(item, DomainError):
            answers.append(item)
            continue
        found = orders.get(item.external_id)
        status = by_code.get((found.flow_id, item.status)) if found else None
        if found is None:
            answers.append(NotFound(_("No such order"), fields={"external_id": _("not found")}))
        elif status is None:
            answers.append(unknown_status([s.code for s in statuses if s.flow_id == found.flow_id]))
        else:
            answers.append({})
            changes.append((index, Change(found, status, item.changed_at)))
    outcomes = apply_statuses([c for _i, c in changes], actor=actor)
    for (index, change), outcome in zip(changes, outcomes, strict=True):
        result = result_of(change.order, created=False, changed=outcome.applied, outcome=outcome)
        answers[index] = {**result, "status": change.status.code if outcome.applied else result["status"]}
    return answers


def _run(actor: Actor, source: str, raw: list[Any]) -> list[dict[str, Any] | DomainError]:
    items: list[_Item | DomainError] = []
    for entry in raw:
        try:
            items.append(_clean(entry))
        except DomainError as exc:
            items.append(exc)
    return retrying(lambda: _apply(actor, source, items))


def order_status_set(*, actor: Actor, source: str, external_id: str, status: str,
                     changed_at: dt.datetime | str | None = None) -> dict[str, Any]:
    """Move a known order to a status; a stale or repeated status answers `status_applied: false`."""
    check_key(source, external_id)
    answer = _run(actor, source, [{"external_id": external_id, "status": status, "changed_at": changed_at}])[0]
    if isinstance(answer, DomainError):
        raise answer
    return answer


def orders_status_batch(*, actor: Actor, source: str, statuses: list[Any]) -> list[dict[str, Any]]:
    """Up to 1,000 statuses of known orders of one source, applied in order (an order may move twice). Each is
    answered on its own: `ok: true` with the result, or `ok: false` with the error; bad ones hold back nothing."""
    check_key(source, "-")
    if not isinstance(statuses, list) or not statuses or len(statuses) > MAX_BATCH:
        raise ValidationFailed(_("The batch could not be read"), fields={
            "statuses": _("a list of 1 to %(n)s statuses") % {"n": MAX_BATCH}})
    return [batch_answer(index, str(raw.get("external_id") or "") if isinstance(raw, dict) else "", answer)
            for index, (raw, answer) in enumerate(zip(statuses, _run(actor, source, statuses), strict=True))]
