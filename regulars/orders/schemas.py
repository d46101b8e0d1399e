"""Order documents of the REST API. The schemas describe the shape for OpenAPI; the checks live in parsing.py so
the batch endpoint and inbound webhooks refuse exactly the same things."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema


class CustomerRefIn(Schema):
    id: int | None = None
    external_id: str | None = None
    phone: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class ItemIn(Schema):
    sku: str | None = None
    name: str
    category: str | None = None
    quantity: Decimal = Decimal("1")
    price: Decimal = Decimal("0")


class ShipmentIn(Schema):
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_status: str | None = None
    courier_name: str | None = None
    courier_phone: str | None = None


class OrderIn(Schema):
    number: str | None = None
    customer: CustomerRefIn | None = None
    branch: str | None = None
    flow: str | None = None
    status: str | None = None
    status_changed_at: dt.datetime | None = None
    placed_at: dt.datetime | None = None
    items: list[ItemIn] | None = None
    total: Decimal | None = None
    currency: str | None = None
    payment_state: str | None = None
    delivery_method: str | None = None
    pickup_point: str | None = None
    keep_until: dt.date | None = None
    shipments: list[ShipmentIn] | None = None


class StatusIn(Schema):
    status: str
    changed_at: dt.datetime | None = None


class StatusItemIn(Schema):
    external_id: str
    status: str
    changed_at: dt.datetime | None = None


class StatusBatchIn(Schema):
    source: str
    statuses: list[Any]  # each a StatusItemIn; checked one by one, so one bad item holds back nothing


class BatchIn(Schema):
    source: str
    orders: list[dict]  # each an OrderIn with its external_id; checked one by one


class OrderResult(Schema):
    id: int
    source: str
    external_id: str
    number: str
    created: bool
    changed: bool
    status: str
    status_applied: bool | None
    status_ignored: str


class ItemOut(Schema):
    sku: str
    name: str
    category: str
    quantity: Decimal
    price: Decimal


class ShipmentOut(Schema):
    carrier: str
    tracking_number: str
    tracking_status: str
    courier_name: str
    courier_phone: str


class StatusChangeOut(Schema):
    status: str
    changed_at: dt.datetime
    recorded_at: dt.datetime
    actor: str


class OrderOut(Schema):
    id: int
    source: str
    external_id: str
    number: str
    customer_id: int
    branch: str | None
    flow: str
    status: str
    status_name: str
    status_changed_at: dt.datetime
    total: Decimal
    currency: str
    payment_state: str
    delivery_method: str
    pickup_point: str
    keep_until: dt.date | None
    placed_at: dt.datetime
    items: list[ItemOut]
    shipments: list[ShipmentOut]
    history: list[StatusChangeOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_offset: int | None


class StatusOut(Schema):
    code: str
    name: str
    rank: int
    outcome: str
    notify: bool
    template: str
    delay_minutes: int
    send_within_minutes: int | None


class StepIn(Schema):
    code: str
    name: str
    rank: int
    outcome: str = ""


class FlowOut(Schema):
    key: str
    name: str
    is_default: bool
    statuses: list[StatusOut]
