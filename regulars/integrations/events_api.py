"""Custom business events from programs ("visit.completed", "eye_test.done"): matched to a card (or a card is
started), stored once per idempotency key and published, so the timeline and webhooks see them."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.services.matching import CustomerRef, customer_match_or_create
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, ValidationFailed
from regulars.platform.events import publish

from .models import ReceivedEvent

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_NAME = 80
# Names the product itself publishes: a program may not pretend to be one of its domains.
OWNED_PREFIXES = ("customer.", "contact.", "consent.", "flag.", "asset.", "note.", "document.", "import.",
                  "message.", "order.", "webhook.")
MAX_DATA_BYTES = 16 * 1024
MAX_SUMMARY = 300
MAX_FUTURE = dt.timedelta(minutes=5)


def _check(name: str, occurred_at: dt.datetime | None, data: Any, summary: str, idempotency_key: str,
           now: dt.datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not NAME.match(name or "") or len(name) > MAX_NAME:
        errors["name"] = _("lower-case words joined by dots, like visit.completed, at most %(n)s characters") % {
            "n": MAX_NAME}
    elif name.startswith(OWNED_PREFIXES):
        errors["name"] = _("names starting with %(prefix)s belong to Regulars itself") % {
            "prefix": name.split(".")[0] + "."}
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            errors["occurred_at"] = _("give the time with its time zone")
        elif occurred_at > now + MAX_FUTURE:
            errors["occurred_at"] = _("at most 5 minutes in the future")
    if not isinstance(data, dict):
        errors["data"] = _("a JSON object is expected")
    elif len(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()) > MAX_DATA_BYTES:
        errors["data"] = _("at most %(n)s KB as JSON") % {"n": MAX_DATA_BYTES // 1024}
    if len(summary or "") > MAX_SUMMARY:
        errors["summary"] = _("at most %(n)s characters") % {"n": MAX_SUMMARY}
    if not idempotency_key or len(idempotency_key) > 300:
        errors["Idempotency-Key"] = _("required, at most %(n)s characters") % {"n": 300}
    return errors


def event_record(*, actor: Actor, name: str, customer_ref: CustomerRef, occurred_at: dt.datetime | None,
                 data: dict[str, Any], summary: str, idempotency_key: str) -> tuple[ReceivedEvent, bool]:
    """Store and publish one event about a customer. The same key again returns the first one and does nothing."""
    existing = ReceivedEvent.objects.select_related("event").filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    now = timezone.now()
    errors = _check(name, occurred_at, data, summary, idempotency_key, now)
    if errors:
        raise ValidationFailed(_("The event could not be recorded"), fields=errors)
    try:
        with transaction.atomic():
            customer, created = customer_match_or_create(actor=actor, ref=customer_ref, field="customer")
            event = publish(name, subject_type="customer", subject_id=customer.pk, actor=actor,
                            occurred_at=occurred_at or now,
                            payload={"summary": (summary or "").strip(), "data": data, "customer_created": created})
            received = ReceivedEvent.objects.create(idempotency_key=idempotency_key, event=event, customer=customer,
                                                    customer_created=created, created_at=now)
    except IntegrityError:  # the same key recorded concurrently: the first one wins
        found = ReceivedEvent.objects.select_related("event").filter(idempotency_key=idempotency_key).first()
        if found is None:  # a contact taken at the same moment by another request
            raise Conflict(_("The event could not be recorded at the same time as another; send it again"),
                           fields={"customer": _("try again")}) from None
        return found, False
    return received, True


def received_event_json(received: ReceivedEvent) -> dict[str, Any]:
    event = received.event
    return {"id": received.pk, "event_id": event.pk, "name": event.name, "customer_id": received.customer_id,
            "customer_created": received.customer_created, "occurred_at": event.occurred_at,
            "summary": event.payload.get("summary", ""), "data": event.payload.get("data", {}),
            "created_at": received.created_at}
