"""Orders in from an ERP or an e-shop: create or update by (source, external id), idempotent.

The same document twice changes nothing and publishes nothing. Each order is one transaction holding the order's
row lock; a concurrent first delivery of the same new order loses the unique-key race and is retried as an update.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.services import customer_match_or_create
from regulars.org.models import Branch
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, DomainError, ValidationFailed
from regulars.platform.events import publish

from ..models import Flow, Order, OrderItem, Shipment
from ..parsing import OrderInput, clean_order
from ..texts import ORDER_RECEIVED, ORDER_UPDATED, stored
from .status import StatusOutcome, apply_status, batch_answer, status_of

MAX_BATCH = 1000
T = TypeVar("T")


def check_key(source: str, external_id: str) -> None:
    errors = {}
    if not source or len(source) > 50 or not source.replace("-", "").replace("_", "").isalnum():
        errors["source"] = _("letters, digits, - and _, at most 50")
    if not external_id or len(external_id) > 100:
        errors["external_id"] = _("required, at most 100 characters")
    if errors:
        raise ValidationFailed(_("The order could not be stored"), fields=errors)


def retrying(work: Callable[[], T]) -> T:
    """Run one transaction; a lost race on a unique key (the order, a new customer's phone) runs it again, when
    the winner's row is there to be updated."""
    for attempt in range(3):
        try:
            with transaction.atomic():
                return work()
        except (IntegrityError, Conflict):
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _locked(source: str, external_id: str) -> Order | None:
    """The order under its row lock. The lock is taken on the order alone: PostgreSQL re-checks a locked join
    against the rows as they were, so a waiter joined to the old status would find no order once the first
    writer moved it on."""
    locked = Order.objects.select_for_update().filter(source=source, external_id=external_id).values_list(
        "pk", flat=True).first()
    return None if locked is None else Order.objects.select_related("status", "flow").get(pk=locked)


def result_of(order: Order, *, created: bool, changed: bool, outcome: StatusOutcome | None) -> dict[str, Any]:
    return {"id": order.pk, "source": order.source, "external_id": order.external_id, "number": order.number,
            "created": created, "changed": changed, "status": order.status.code,
            "status_applied": outcome.applied if outcome else None,
            "status_ignored": outcome.reason if outcome and not outcome.applied else ""}


def order_upsert(*, actor: Actor, source: str, external_id: str, data: Any) -> dict[str, Any]:
    """Create or update the order; returns what happened (created, changed, whether its status moved)."""
    check_key(source, external_id)
    cleaned = clean_order(data, source=source)
    return retrying(lambda: _upsert(actor, source, external_id, cleaned))


def _upsert(actor: Actor, source: str, external_id: str, data: OrderInput) -> dict[str, Any]:
    order = _locked(source, external_id)
    if order is None:
        return _create(actor, source, external_id, data)
    changes = _apply_fields(order, data)
    if data.flow and data.flow != order.flow.key:
        raise Conflict(_("An order keeps its flow"), fields={"flow": _("this order follows %(flow)s") % {
            "flow": order.flow.key}})
    if changes:
        order.updated_at = timezone.now()
        order.save()
        publish("order.updated", subject_type="order", subject_id=order.pk, actor=actor,
                payload={"customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
                         "order_number": order.number, "changed": sorted(changes),
                         "summary": stored(ORDER_UPDATED, number=order.number)})
    outcome = None
    if data.status:
        outcome = apply_status(order, status_of(order.flow_id, data.status), actor=actor,
                               changed_at=data.status_changed_at)
    return result_of(order, created=False, changed=bool(changes) or bool(outcome and outcome.applied),
                   outcome=outcome)


def _create(actor: Actor, source: str, external_id: str, data: OrderInput) -> dict[str, Any]:
    if data.customer is None:
        raise ValidationFailed(_("The order could not be stored"), fields={"customer": _("required for a new order")})
    flow = Flow.objects.filter(key=data.flow).first() if data.flow else Flow.objects.filter(is_default=True).first()
    if flow is None:
        raise ValidationFailed(_("The order could not be stored"), fields={"flow": _("no such flow")})
    first = flow.statuses.order_by("rank", "id").first()
    if first is None:
        raise ValidationFailed(_("The order could not be stored"), fields={"flow": _("the flow has no statuses")})
    status = status_of(flow.pk, data.status) if data.status else first
    customer, _created = customer_match_or_create(actor=actor, ref=data.customer)
    now = timezone.now()
    order = Order(source=source, external_id=external_id, number=data.number or external_id, customer=customer,
                  flow=flow, status=status, status_changed_at=now, placed_at=min(data.placed_at or now, now),
                  created_at=now, updated_at=now)
    _apply_fields(order, data)
    with transaction.atomic():  # the unique (source, external_id) race is lost here, and retried as an update
        order.save()
    _store_lines(order, data)
    publish("order.created", subject_type="order", subject_id=order.pk, actor=actor, occurred_at=order.placed_at,
            payload={"customer_id": customer.pk, "branch_id": order.branch_id, "order_id": order.pk,
                     "order_number": order.number, "total": str(order.total), "currency": order.currency,
                     "summary": stored(ORDER_RECEIVED, number=order.number,
                                       total=order.total, currency=order.currency)})
    outcome = apply_status(order, status, actor=actor, changed_at=data.status_changed_at, initial=True)
    return result_of(order, created=True, changed=True, outcome=outcome)


def _apply_fields(order: Order, data: OrderInput) -> set[str]:
    """Set what the caller sent; returns the names that changed. Items and shipments are replaced as a whole."""
    changed: set[str] = set()
    values: dict[str, Any] = {name: getattr(data, name) for name in
                              ("number", "currency", "payment_state", "delivery_method", "pickup_point",
                               "keep_until") if name in data.present}
    if "branch" in data.present:
        branch = Branch.objects.filter(code=data.branch).first() if data.branch else None
        if data.branch and branch is None:
            raise ValidationFailed(_("The order could not be stored"), fields={"branch": _("no branch with this code")})
        values["branch_id"] = branch.pk if branch else None
    if data.items and data.total is None and "total" not in data.present:
        values["total"] = sum((i.price * i.quantity for i in data.items), Decimal("0")).quantize(Decimal("0.01"))
    elif data.total is not None:
        values["total"] = data.total.quantize(Decimal("0.01"))
    if "placed_at" in data.present and data.placed_at:
        values["placed_at"] = data.placed_at
    for name, value in values.items():
        if name in ("number", "payment_state", "currency") and not value:
            continue
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed.add(name)
    if order.pk is not None:
        if "items" in data.present and _items_of(order) != [_item_tuple(i) for i in data.items]:
            changed.add("items")
        if "shipments" in data.present and _shipments_of(order) != [_ship_tuple(s) for s in data.shipments]:
            changed.add("shipments")
        if changed & {"items", "shipments"}:
            _store_lines(order, data, only=changed & {"items", "shipments"})
    return changed


def _item_tuple(item: Any) -> tuple[Any, ...]:
    return (item.sku, item.name, item.category, Decimal(item.quantity).normalize(), Decimal(item.price).normalize())


def _ship_tuple(shipment: Any) -> tuple[Any, ...]:
    return (shipment.carrier, shipment.tracking_number, shipment.tracking_status, shipment.courier_name,
            shipment.courier_phone)


def _items_of(order: Order) -> list[tuple[Any, ...]]:
    return [_item_tuple(i) for i in order.items.all()]


def _shipments_of(order: Order) -> list[tuple[Any, ...]]:
    return [_ship_tuple(s) for s in order.shipments.all()]


def _store_lines(order: Order, data: OrderInput, only: set[str] | None = None) -> None:
    now = timezone.now()
    if "items" in data.present and (only is None or "items" in only):
        order.items.all().delete()
        OrderItem.objects.bulk_create([OrderItem(order=order, position=n, sku=i.sku, name=i.name,
                                                 category=i.category, quantity=i.quantity, price=i.price)
                                       for n, i in enumerate(data.items)])
    if "shipments" in data.present and (only is None or "shipments" in only):
        order.shipments.all().delete()
        Shipment.objects.bulk_create([Shipment(order=order, updated_at=now, **vars(s)) for s in data.shipments])


def orders_batch(*, actor: Actor, source: str, orders: list[Any]) -> list[dict[str, Any]]:
    """Up to 1,000 orders, each stored (or refused) on its own: one bad order never holds back the good ones."""
    if not isinstance(orders, list) or not orders or len(orders) > MAX_BATCH:
        raise ValidationFailed(_("The batch could not be read"), fields={
            "orders": _("a list of 1 to %(n)s orders") % {"n": MAX_BATCH}})
    results = []
    for index, data in enumerate(orders):
        external_id = str(data.get("external_id") or "") if isinstance(data, dict) else ""
        answer: dict[str, Any] | DomainError
        try:
            answer = order_upsert(actor=actor, source=source, external_id=external_id, data=data)
        except DomainError as exc:
            answer = exc
        results.append(batch_answer(index, external_id, answer))
    return results
