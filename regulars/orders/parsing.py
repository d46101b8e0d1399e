"""Order documents as programs send them (JSON from an ERP, a shop, a batch, an inbound webhook), checked into
plain values. One parser for every surface, so every surface refuses the same things with the same field names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from regulars.customers.services import CustomerRef
from regulars.platform.errors import ValidationFailed

from .models import Order

MAX_ITEMS = 1000
MAX_SHIPMENTS = 20
_TEXT_LIMITS = {"number": 100, "delivery_method": 50, "pickup_point": 300, "currency": 3}


@dataclass
class ItemInput:
    name: str
    sku: str = ""
    category: str = ""
    quantity: Decimal = Decimal("1")
    price: Decimal = Decimal("0")


@dataclass
class ShipmentInput:
    carrier: str = ""
    tracking_number: str = ""
    tracking_status: str = ""
    courier_name: str = ""
    courier_phone: str = ""


@dataclass
class OrderInput:
    """Only the keys the caller sent are applied: `present` names them (a status update sends no items)."""

    present: set[str] = field(default_factory=set)
    number: str = ""
    customer: CustomerRef | None = None
    branch: str = ""
    flow: str = ""
    status: str = ""
    status_changed_at: dt.datetime | None = None
    placed_at: dt.datetime | None = None
    total: Decimal | None = None
    currency: str = "RUB"
    payment_state: str = ""
    delivery_method: str = ""
    pickup_point: str = ""
    keep_until: dt.date | None = None
    items: list[ItemInput] = field(default_factory=list)
    shipments: list[ShipmentInput] = field(default_factory=list)


def _text(value: Any, name: str, errors: dict[str, str], limit: int = 300) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        errors[name] = _("must be text")
        return ""
    text = str(value).strip()
    if len(text) > limit:
        errors[name] = _("at most %(n)s characters") % {"n": limit}
    return text


def _decimal(value: Any, name: str, errors: dict[str, str], *, positive: bool = False) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = _("must be a number")
        return Decimal("0")
    if not number.is_finite() or number < 0 or (positive and number == 0) or abs(number) >= Decimal("1e12"):
        errors[name] = _("must be a positive number") if positive else _("must be zero or more")
    return number


def clean_datetime(value: Any, name: str, errors: dict[str, str]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else value if isinstance(value, dt.datetime) else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors[name] = _("a date and time like 2026-12-01T10:00:00+03:00")
        return None
    if parsed.tzinfo is None:
        errors[name] = _("give the time zone, e.g. +03:00 or Z")
        return None
    return parsed


def _customer(value: Any, errors: dict[str, str], source: str) -> CustomerRef | None:
    if not isinstance(value, dict):
        errors["customer"] = _("an object with id, external_id, phone or email")
        return None
    raw_id = value.get("id")
    if raw_id is not None and (not isinstance(raw_id, int) or isinstance(raw_id, bool)):
        errors["customer.id"] = _("must be a number")
        raw_id = None
    ref = CustomerRef(
        id=raw_id, source=source, external_id=_text(value.get("external_id"), "customer.external_id", errors, 100),
        phone=_text(value.get("phone"), "customer.phone", errors, 40),
        email=_text(value.get("email"), "customer.email", errors, 254),
        first_name=_text(value.get("first_name"), "customer.first_name", errors, 100),
        last_name=_text(value.get("last_name"), "customer.last_name", errors, 100))
    if not (ref.id or ref.external_id or ref.phone or ref.email):
        errors["customer"] = _("give id, external_id, phone or email")
    return ref


def clean_order(data: Any, *, source: str) -> OrderInput:
    """ValidationFailed with every problem at once, each under its field (`items[2].price`)."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("The order could not be read"), fields={"order": _("must be an object")})
    errors: dict[str, str] = {}
    order = OrderInput(present={k for k in data if k != "external_id"})
    for name, limit in _TEXT_LIMITS.items():
        if name in data:
            setattr(order, name, _text(data[name], name, errors, limit))
    order.currency = (order.currency or "RUB").upper()
    for name in ("branch", "flow", "status", "payment_state"):
        if name in data:
            setattr(order, name, _text(data[name], name, errors, 50))
    if order.payment_state and order.payment_state not in Order.Payment.values:
        errors["payment_state"] = _("one of: %(choices)s") % {"choices": ", ".join(Order.Payment.values)}
    if "customer" in data:
        order.customer = _customer(data["customer"], errors, source)
    order.placed_at = clean_datetime(data.get("placed_at"), "placed_at", errors)
    order.status_changed_at = clean_datetime(data.get("status_changed_at"), "status_changed_at", errors)
    if data.get("keep_until") not in (None, ""):
        raw = data["keep_until"]
        try:
            order.keep_until = raw if isinstance(raw, dt.date) else parse_date(raw) if isinstance(raw, str) else None
        except ValueError:
            order.keep_until = None
        if order.keep_until is None:
            errors["keep_until"] = _("a date like 2026-12-31")
    if data.get("total") is not None:
        order.total = _decimal(data["total"], "total", errors)
    order.items = _items(data.get("items"), errors) if "items" in data else []
    order.shipments = _shipments(data.get("shipments"), errors) if "shipments" in data else []
    if errors:
        raise ValidationFailed(_("The order could not be stored"), fields=errors)
    return order


def _items(value: Any, errors: dict[str, str]) -> list[ItemInput]:
    if not isinstance(value, list):
        errors["items"] = _("must be a list")
        return []
    if len(value) > MAX_ITEMS:
        errors["items"] = _("at most %(n)s items") % {"n": MAX_ITEMS}
        return []
    items = []
    for i, raw in enumerate(value):
        at = f"items[{i}]"
        if not isinstance(raw, dict):
            errors[at] = _("must be an object")
            continue
        name = _text(raw.get("name"), f"{at}.name", errors)
        if not name and f"{at}.name" not in errors:
            errors[f"{at}.name"] = _("required")
        items.append(ItemInput(
            name=name, sku=_text(raw.get("sku"), f"{at}.sku", errors, 100),
            category=_text(raw.get("category"), f"{at}.category", errors, 200),
            quantity=_decimal(raw.get("quantity", 1), f"{at}.quantity", errors, positive=True),
            price=_decimal(raw.get("price", 0), f"{at}.price", errors)))
    return items


def _shipments(value: Any, errors: dict[str, str]) -> list[ShipmentInput]:
    if not isinstance(value, list) or len(value) > MAX_SHIPMENTS:
        errors["shipments"] = _("a list of at most %(n)s shipments") % {"n": MAX_SHIPMENTS}
        return []
    shipments = []
    for i, raw in enumerate(value):
        at = f"shipments[{i}]"
        if not isinstance(raw, dict):
            errors[at] = _("must be an object")
            continue
        shipments.append(ShipmentInput(**{
            name: _text(raw.get(name), f"{at}.{name}", errors, 32 if name == "courier_phone" else 200)
            for name in ("carrier", "tracking_number", "tracking_status", "courier_name", "courier_phone")}))
    return shipments
