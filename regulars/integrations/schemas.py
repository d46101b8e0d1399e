"""Request and response shapes of the integrations API (and of the inbound "event" webhook)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from regulars.customers.services.matching import CustomerRef


class CustomerIn(Schema):
    """Our id, or the program's own id (with its source), or a phone, or an e-mail; names for a new card."""

    id: int | None = None
    source: str = ""
    external_id: str = ""
    phone: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def customer_ref_of(customer: CustomerIn, *, default_source: str = "") -> CustomerRef:
    source = customer.source.strip() or (default_source if customer.external_id else "")
    return CustomerRef(id=customer.id, source=source[:50], external_id=customer.external_id.strip()[:100],
                       phone=customer.phone.strip(), email=customer.email.strip(),
                       first_name=customer.first_name.strip()[:100], last_name=customer.last_name.strip()[:100])


class EventIn(Schema):
    name: str
    customer: CustomerIn
    occurred_at: dt.datetime | None = None
    data: dict[str, Any] = {}
    summary: str = ""


class EventOut(Schema):
    id: int
    event_id: int
    name: str
    customer_id: int
    customer_created: bool
    occurred_at: dt.datetime
    summary: str
    data: dict[str, Any]
    created_at: dt.datetime


class WebhookIn(Schema):
    url: str
    event_types: list[str]
    description: str = ""
    is_active: bool = True


class WebhookPatch(Schema):
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    is_active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: dt.datetime
    # After a rotation, until when the previous secret also signs each request (None: no grace running).
    previous_secret_until: dt.datetime | None = None


class WebhookCreated(WebhookOut):
    secret: str


class AttemptOut(Schema):
    number: int
    attempted_at: dt.datetime
    status_code: int | None
    duration_ms: int
    error: str
    response_excerpt: str


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: int
    event_type: str
    msg_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    attempt_log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_offset: int | None


class PageQuery(Schema):
    limit: int = 50
    offset: int = 0


class InboundEndpointIn(Schema):
    name: str
    source: str
    is_active: bool = True


class InboundEndpointOut(Schema):
    id: int
    name: str
    source: str
    is_active: bool
    created_at: dt.datetime
    url: str
    # After a rotation: until when requests signed with the previous secret are still accepted.
    previous_secret_until: dt.datetime | None = None


class InboundEndpointCreated(InboundEndpointOut):
    secret: str
