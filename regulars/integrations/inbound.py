"""Signed webhooks in, from ERPs and shops (Standard Webhooks): the signature is the authentication.

Refusals write nothing: the endpoint, headers, timestamp and signature are checked before any write, and the
receipt (which makes a repeated webhook-id a 409) commits in one transaction with the webhook's effect, so an
effect that fails leaves no receipt and the sender may send the same message again."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from regulars.platform import signing
from regulars.platform.actor import Actor
from regulars.platform.api_errors import schema_errors_to_fields
from regulars.platform.errors import Conflict, DomainError, NotFound, ValidationFailed
from regulars.platform.jobs import job_schedule

from .events_api import event_record, received_event_json
from .models import InboundEndpoint, InboundReceipt
from .schemas import EventIn, customer_ref_of

TOLERANCE_SECONDS = 300
# Receipts outlive the timestamp tolerance by far (a replay older than that is refused by its timestamp); a daily job
# (queued by the first webhook of each day) deletes older ones.
RECEIPTS_KEPT = dt.timedelta(days=1)
PRUNE_KIND = "integrations.receipts_prune"


class SignatureRefused(DomainError):
    status = 401
    code = "bad_signature"


def _event(endpoint: InboundEndpoint, actor: Actor, msg_id: str, data: dict[str, Any]) -> Any:
    try:
        parsed = EventIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(_("Invalid request"), fields={
            f"data.{k}": v for k, v in schema_errors_to_fields([dict(e) for e in exc.errors()]).items()}) from None
    received, _created = event_record(
        actor=actor, name=parsed.name, customer_ref=customer_ref_of(parsed.customer, default_source=endpoint.source),
        occurred_at=parsed.occurred_at, data=parsed.data, summary=parsed.summary,
        idempotency_key=f"inbound:{endpoint.pk}:{msg_id}")
    return received_event_json(received)


def _changed_at(raw: Any) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    try:
        value = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        value = None
    if value is None or timezone.is_naive(value):
        raise ValidationFailed(_("Invalid request"), fields={
            "data.changed_at": _("an ISO date and time with its time zone")})
    return value


def _required(data: dict[str, Any], *names: str) -> None:
    missing = {f"data.{n}": _("required") for n in names if not str(data.get(n) or "").strip()}
    if missing:
        raise ValidationFailed(_("Invalid request"), fields=missing)


def _order(endpoint: InboundEndpoint, actor: Actor, msg_id: str, data: dict[str, Any]) -> Any:
    from regulars.orders.services import order_upsert  # written beside this domain; imported when used

    _required(data, "external_id")
    return order_upsert(actor=actor, source=endpoint.source, external_id=str(data["external_id"]), data=data)


def _order_status(endpoint: InboundEndpoint, actor: Actor, msg_id: str, data: dict[str, Any]) -> Any:
    from regulars.orders.services import order_status_set

    _required(data, "external_id", "status")
    return order_status_set(actor=actor, source=endpoint.source, external_id=str(data["external_id"]),
                            status=str(data["status"]), changed_at=_changed_at(data.get("changed_at")))


def _orders_batch(endpoint: InboundEndpoint, actor: Actor, msg_id: str, data: dict[str, Any]) -> Any:
    from regulars.orders.services import orders_batch

    orders = data.get("orders")
    if not isinstance(orders, list) or not all(isinstance(o, dict) for o in orders):
        raise ValidationFailed(_("Invalid request"), fields={"data.orders": _("a list of orders is expected")})
    return orders_batch(actor=actor, source=endpoint.source, orders=orders)


Effect = Callable[[InboundEndpoint, Actor, str, dict[str, Any]], Any]
DISPATCH: dict[str, Effect] = {
    "event": _event,
    "order": _order,
    "order.status": _order_status,
    "orders.batch": _orders_batch,
}


def endpoint_url_path(endpoint_id: int) -> str:
    return reverse("api:inbound_webhook", args=[endpoint_id])


def inbound_receive(*, endpoint_id: int, headers: Mapping[str, str], body: bytes, ip: str | None = None,
                    now: dt.datetime | None = None) -> dict[str, Any]:
    """Verify one webhook and apply it. Raises NotFound (404), ValidationFailed (400), SignatureRefused (401) or
    Conflict (409, the webhook-id was already taken) and then has written nothing."""
    endpoint = InboundEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        raise NotFound(_("No such endpoint"), fields={"endpoint_id": _("not found")})
    try:
        moment = now or timezone.now()
        signing.verify(endpoint.valid_secrets(moment), headers, body, now=moment, tolerance=TOLERANCE_SECONDS)
    except signing.SignatureError as exc:
        if exc.reason in (signing.MISSING_HEADER, signing.MALFORMED_HEADER):
            raise ValidationFailed(_("Signed webhook headers are missing"), fields={
                "headers": _("webhook-id, webhook-timestamp and webhook-signature are required")}) from None
        raise SignatureRefused(_("The signature does not match"), fields={"webhook-signature": exc.reason}) from None
    msg_id = {k.lower(): v for k, v in headers.items()}["webhook-id"][:255]
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ValidationFailed(_("Invalid request"), fields={"body": _("a JSON object is expected")}) from None
    if not isinstance(document, dict):
        raise ValidationFailed(_("Invalid request"), fields={"body": _("a JSON object is expected")})
    kind = document.get("type")
    if not isinstance(kind, str) or kind not in DISPATCH:
        raise ValidationFailed(_("Invalid request"), fields={
            "type": _("one of: %(choices)s") % {"choices": ", ".join(DISPATCH)}})
    data = document.get("data")
    if not isinstance(data, dict):
        raise ValidationFailed(_("Invalid request"), fields={"data": _("a JSON object is expected")})
    effect = DISPATCH[kind]
    if InboundReceipt.objects.filter(endpoint=endpoint, msg_id=msg_id).exists():
        raise _replayed()
    actor = Actor(user_id=None, label=f"inbound:{endpoint.name}"[:200], ip=ip)
    try:
        with transaction.atomic():
            with transaction.atomic():  # a concurrent twin fails here, before any effect
                InboundReceipt.objects.create(endpoint=endpoint, msg_id=msg_id, type=kind,
                                              received_at=timezone.now())
            _prune_later()
            result = effect(endpoint, actor, msg_id, data)
    except IntegrityError:
        if InboundReceipt.objects.filter(endpoint=endpoint, msg_id=msg_id).exists():
            raise _replayed() from None
        raise
    return {"type": kind, "result": result}


def _prune_later() -> None:
    """Queue today's pruning of old receipts, once a day however many webhooks arrive (a concurrent twin of this
    job is no error: the first one is enough)."""
    try:
        with transaction.atomic():
            job_schedule(kind=PRUNE_KIND, key=f"{PRUNE_KIND}:{timezone.localdate().isoformat()}",
                         due_at=timezone.now() + RECEIPTS_KEPT)
    except IntegrityError:
        pass


def _replayed() -> Conflict:
    return Conflict(_("This webhook-id was already received"), fields={"webhook-id": _("already received")})
