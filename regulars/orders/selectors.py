"""Reads of the orders domain. Orders are branch work: staff see the orders of their branches (and orders with no
branch); administrators and API keys see all. Pickup statistics belong to the card and are network-wide."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from regulars.messaging.models import Message
from regulars.org.models import ApiKey
from regulars.org.permissions import branch_ids_for, has_perm

from .models import Flow, Order, OrderStatus, PickupStats, StatusChange


@dataclass(frozen=True)
class OrderFilters:
    q: str = ""  # number or external id
    customer_id: int | None = None
    status: str = ""
    flow: str = ""
    source: str = ""
    branch_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def orders_visible_to(viewer: Any, *, branches: set[int] | bool | None = False) -> QuerySet[Order]:
    """`branches` may be passed when the caller already has `branch_ids_for(viewer)`."""
    if isinstance(viewer, ApiKey):
        return Order.objects.all() if viewer.is_active else Order.objects.none()
    if not has_perm(viewer, "orders.view"):
        return Order.objects.none()
    scope = branch_ids_for(viewer) if branches is False else branches
    if scope is None or scope is True:
        return Order.objects.all()
    return Order.objects.filter(Q(branch_id__in=scope) | Q(branch__isnull=True))


def order_list(viewer: Any, filters: OrderFilters) -> QuerySet[Order]:
    qs = orders_visible_to(viewer).select_related("customer", "status", "flow", "branch")
    if filters.q:
        qs = qs.filter(Q(number__iexact=filters.q.strip()) | Q(external_id=filters.q.strip()))
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.status:
        qs = qs.filter(status__code=filters.status)
    if filters.flow:
        qs = qs.filter(flow__key=filters.flow)
    if filters.source:
        qs = qs.filter(source=filters.source)
    if filters.branch_id:
        qs = qs.filter(branch_id=filters.branch_id)
    if filters.since:
        qs = qs.filter(placed_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(placed_at__lt=filters.until)
    return qs.order_by("-placed_at", "-id")


def with_lines(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Items, shipments and the status history in three queries for the whole page of orders."""
    return qs.prefetch_related("items", "shipments", Prefetch(
        "history", queryset=StatusChange.objects.select_related("status").order_by("changed_at", "id")))


def _one(viewer: Any, **key: Any) -> Order:
    order = with_lines(orders_visible_to(viewer).select_related("customer", "status", "flow", "branch")
                       .filter(**key)).first()
    if order is None:
        raise Http404("No such order")
    return order


def order_get_for_user(viewer: Any, order_id: int) -> Order:
    return _one(viewer, pk=order_id)


def order_by_key_for_user(viewer: Any, source: str, external_id: str) -> Order:
    return _one(viewer, source=source, external_id=external_id)


def order_history(order: Order) -> list[StatusChange]:
    """Oldest first (prefetched by `with_lines`)."""
    return list(order.history.all())


def next_statuses(order: Order) -> list[OrderStatus]:
    """The steps the order may still move to: higher ranks of its flow."""
    return list(order.flow.statuses.filter(rank__gt=order.status.rank).order_by("rank", "id"))


def order_messages(order: Order) -> list[Message]:
    """What was sent about the order: its steps' messages and its payment links', newest first."""
    return list(Message.objects.filter(source__in=[f"order:{order.pk}", f"order:{order.pk}:payment"])
                .order_by("-created_at", "-id"))


def customer_orders(viewer: Any, customer_id: int, limit: int = 10) -> tuple[list[Order], int]:
    """The card's latest visible orders, and how many more the customer has in other branches."""
    branches = None if isinstance(viewer, ApiKey) else branch_ids_for(viewer)
    visible = orders_visible_to(viewer, branches=branches).filter(customer_id=customer_id)
    latest = list(visible.select_related("status", "branch").order_by("-placed_at", "-id")[:limit])
    if branches is None:
        return latest, 0  # sees every branch: nothing is elsewhere
    return latest, Order.objects.filter(customer_id=customer_id).exclude(pk__in=visible.values("pk")).count()


def pickup_stats_of(customer_id: int) -> PickupStats | None:
    return PickupStats.objects.filter(customer_id=customer_id).first()


def flows_with_statuses() -> list[Flow]:
    return list(Flow.objects.prefetch_related("statuses__reminders").order_by("-is_default", "name"))


def statuses_of(flow_key: str = "") -> QuerySet[OrderStatus]:
    qs = OrderStatus.objects.select_related("flow")
    return qs.filter(flow__key=flow_key) if flow_key else qs
