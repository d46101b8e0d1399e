"""The orders part of the REST API: orders in from an ERP or a shop (one, a status, a batch), and reads."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from regulars.customers.selectors import viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor

from . import services
from .models import Flow, Order
from .schemas import (
    BatchIn,
    FlowOut,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderResult,
    StatusBatchIn,
    StatusIn,
    StatusOut,
    StepIn,
)
from .selectors import (
    OrderFilters,
    flows_with_statuses,
    order_by_key_for_user,
    order_get_for_user,
    order_history,
    order_list,
    with_lines,
)

router = Router(tags=["orders"])


class ListQuery(Schema):
    customer_id: int | None = None
    status: str = ""
    flow: str = ""
    source: str = ""
    q: str = ""
    limit: int = 50
    offset: int = 0


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.pk, "source": order.source, "external_id": order.external_id, "number": order.number,
        "customer_id": order.customer_id, "branch": order.branch.code if order.branch_id else None,  # type: ignore[union-attr]
        "flow": order.flow.key, "status": order.status.code, "status_name": order.status.name,
        "status_changed_at": order.status_changed_at, "total": order.total, "currency": order.currency,
        "payment_state": order.payment_state, "delivery_method": order.delivery_method,
        "pickup_point": order.pickup_point, "keep_until": order.keep_until, "placed_at": order.placed_at,
        "items": [{"sku": i.sku, "name": i.name, "category": i.category, "quantity": i.quantity, "price": i.price}
                  for i in order.items.all()],
        "shipments": [{"carrier": s.carrier, "tracking_number": s.tracking_number,
                       "tracking_status": s.tracking_status, "courier_name": s.courier_name,
                       "courier_phone": s.courier_phone} for s in order.shipments.all()],
        "history": [{"status": h.status.code, "changed_at": h.changed_at, "recorded_at": h.recorded_at,
                     "actor": h.actor_label} for h in order_history(order)],
    }


@router.put("/orders/{source}/{external_id}", response={200: OrderResult, 201: OrderResult})
def order_put(request: HttpRequest, source: str, external_id: str, payload: OrderIn) -> Any:
    """Create or update an order by its id in the source system. Send the whole order or only what changed;
    the same document twice changes nothing. A `status` lower than the order's current one is ignored
    (`status_applied: false`, `status_ignored: "stale"`). 201 when the order is new."""
    require(request, "orders.edit")
    result = services.order_upsert(actor=Actor.from_request(request), source=source, external_id=external_id,
                                   data=payload.dict(exclude_unset=True))
    return Status(201 if result["created"] else 200, result)


@router.post("/orders/{source}/{external_id}/status", response=OrderResult)
def order_status_post(request: HttpRequest, source: str, external_id: str, payload: StatusIn) -> Any:
    """Move the order to a status of its flow. Repeated, late or out-of-order statuses change nothing and send
    nothing: the answer says `status_applied: false` with the reason (`same` or `stale`)."""
    require(request, "orders.edit")
    return services.order_status_set(actor=Actor.from_request(request), source=source, external_id=external_id,
                                     status=payload.status, changed_at=payload.changed_at)


@router.post("/orders/batch", response=list[dict[str, Any]])
def orders_batch_post(request: HttpRequest, payload: BatchIn) -> Any:
    """Up to 1,000 orders of one source (each with its `external_id`), for the ERP's exchange. Each order is
    stored or refused on its own; the answer lists, in the same order, `ok: true` with the result or `ok: false`
    with the error and its fields."""
    require(request, "orders.edit")
    return services.orders_batch(actor=Actor.from_request(request), source=payload.source, orders=payload.orders)


@router.post("/orders/statuses", response=list[dict[str, Any]])
def orders_statuses_post(request: HttpRequest, payload: StatusBatchIn) -> Any:
    """Up to 1,000 status changes of known orders of one source (`external_id`, `status`, optional
    `changed_at`), applied in order in one transaction — the fast way for an ERP's exchange. The answer lists, in
    the same order, `ok: true` with the result (`status_applied`, `status_ignored`) or `ok: false` with the error
    and its fields."""
    require(request, "orders.edit")
    return services.orders_status_batch(actor=Actor.from_request(request), source=payload.source,
                                        statuses=payload.statuses)


@router.get("/orders", response=OrderPage)
def orders_get(request: HttpRequest, filters: Query[ListQuery]) -> Any:
    require(request, "orders.view")
    limit = max(1, min(filters.limit, 200))
    offset = max(0, filters.offset)
    qs = order_list(viewer_of(request), OrderFilters(customer_id=filters.customer_id, status=filters.status,
                                                     flow=filters.flow, source=filters.source, q=filters.q))
    page = list(with_lines(qs)[offset:offset + limit + 1])
    return {"items": [order_json(o) for o in page[:limit]],
            "next_offset": offset + limit if len(page) > limit else None}


@router.get("/orders/flows", response=list[FlowOut])
def flows_get(request: HttpRequest) -> Any:
    """The status flows and what each step tells the customer."""
    require(request, "orders.view")
    return [{"key": f.key, "name": f.name, "is_default": f.is_default,
             "statuses": [_status_json(s) for s in f.statuses.all()]} for f in flows_with_statuses()]


def _status_json(status: Any) -> dict[str, Any]:
    return {"code": status.code, "name": status.name, "rank": status.rank, "outcome": status.outcome,
            "notify": status.notify, "template": status.template_key, "delay_minutes": status.delay_minutes,
            "send_within_minutes": status.send_within_minutes}


@router.post("/orders/flows/{key}/statuses", response={201: StatusOut})
def flow_status_add(request: HttpRequest, key: str, payload: StepIn) -> Any:
    """Add a step to a flow (its rank places it; steps that exclude each other share a rank). It tells the
    customer nothing until a template is chosen for it on the journey page."""
    require(request, "orders.configure")
    flow = get_object_or_404(Flow, key=key)
    status = services.step_add(actor=Actor.from_request(request), flow_id=flow.pk, code=payload.code,
                               name=payload.name, rank=payload.rank, outcome=payload.outcome)
    return Status(201, _status_json(status))


@router.post("/orders/flows/{key}/default", response=FlowOut)
def flow_default_post(request: HttpRequest, key: str) -> Any:
    """Orders whose source names no flow follow this one from now on."""
    require(request, "orders.configure")
    flow = services.flow_default_set(actor=Actor.from_request(request), flow_id=get_object_or_404(Flow, key=key).pk)
    return {"key": flow.key, "name": flow.name, "is_default": True,
            "statuses": [_status_json(s) for s in flow.statuses.order_by("rank", "id")]}


@router.get("/orders/{order_id}", response=OrderOut)
def order_get(request: HttpRequest, order_id: int) -> Any:
    require(request, "orders.view")
    return order_json(order_get_for_user(viewer_of(request), order_id))


@router.get("/orders/{source}/{external_id}", response=OrderOut)
def order_get_by_key(request: HttpRequest, source: str, external_id: str) -> Any:
    require(request, "orders.view")
    return order_json(order_by_key_for_user(viewer_of(request), source, external_id))
