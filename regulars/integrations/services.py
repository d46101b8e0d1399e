"""Writes of the integrations domain: webhook subscriptions, their secrets, redelivery, inbound endpoints.

Each is one transaction and one audit entry. Secrets never reach the audit log."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record, diff
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.models import Job
from regulars.platform.signing import new_secret

from .destinations import private_destination
from .models import InboundEndpoint, WebhookDelivery, WebhookSubscription
from .outbound import attempt_schedule

PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
SOURCE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_PATTERNS = 50
ROTATION_GRACE = dt.timedelta(hours=24)


def _url_error(url: str) -> str | None:
    if not url:
        return _("required")
    if len(url) > 500:
        return _("at most %(n)s characters") % {"n": 500}
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("an http:// or https:// address is expected")
    return private_destination(url)


def clean_event_types(raw: Any) -> list[str]:
    """A list, or text with one pattern a line (or separated by commas or spaces), into unique patterns."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or [])
    patterns: list[str] = []
    for item in items:
        text = str(item).strip()
        if text and text not in patterns:
            patterns.append(text)
    errors = [p for p in patterns if not PATTERN.match(p) or len(p) > 100]
    if errors:
        raise ValidationFailed(_("The subscription could not be saved"), fields={
            "event_types": _("not an event name or pattern: %(items)s (use order.status_changed, order.* or *)")
            % {"items": ", ".join(errors[:5])}})
    if not patterns:
        raise ValidationFailed(_("The subscription could not be saved"), fields={
            "event_types": _("at least one event name or pattern")})
    if len(patterns) > MAX_PATTERNS:
        raise ValidationFailed(_("The subscription could not be saved"), fields={
            "event_types": _("at most %(n)s patterns") % {"n": MAX_PATTERNS}})
    return patterns


def webhook_subscription_save(*, actor: Actor, url: str, event_types: Any, description: str = "",
                              is_active: bool = True, subscription_id: int | None = None) -> WebhookSubscription:
    """Create a subscription (with a new secret) or change one."""
    url = (url or "").strip()
    errors: dict[str, str] = {}
    url_error = _url_error(url)
    if url_error:
        errors["url"] = url_error
    try:
        patterns = clean_event_types(event_types)
    except ValidationFailed as exc:
        errors.update(exc.fields)
        patterns = []
    if len(description or "") > 200:
        errors["description"] = _("at most %(n)s characters") % {"n": 200}
    if errors:
        raise ValidationFailed(_("The subscription could not be saved"), fields=errors)
    with transaction.atomic():
        if subscription_id is None:
            subscription = WebhookSubscription(secret=new_secret())
            before: dict[str, Any] = {}
        else:
            found = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
            if found is None:
                raise NotFound(_("No such subscription"), fields={"subscription_id": _("not found")})
            subscription = found
            before = _state(subscription)
        subscription.url, subscription.event_types = url, patterns
        subscription.description, subscription.is_active = (description or "").strip(), bool(is_active)
        subscription.save()
        audit_record(actor=actor, action="webhook.save", object_type="webhook_subscription",
                     object_id=subscription.pk, object_label=url, changes=diff(before, _state(subscription)))
    return subscription


def _state(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"url": subscription.url, "event_types": list(subscription.event_types),
            "description": subscription.description, "is_active": subscription.is_active}


def _locked(subscription_id: int) -> WebhookSubscription:
    found = WebhookSubscription.objects.select_for_update().filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(_("No such subscription"), fields={"subscription_id": _("not found")})
    return found


def webhook_subscription_delete(*, actor: Actor, subscription_id: int) -> None:
    """Delete a subscription with its delivery log; its queued attempts find nothing and do nothing."""
    with transaction.atomic():
        subscription = _locked(subscription_id)
        audit_record(actor=actor, action="webhook.delete", object_type="webhook_subscription",
                     object_id=subscription.pk, object_label=subscription.url, changes=_state(subscription))
        subscription.delete()


def webhook_secret_rotate(*, actor: Actor, subscription_id: int) -> WebhookSubscription:
    """A new signing secret, used from the next attempt on; for ROTATION_GRACE every request is signed with the old
    one as well (Standard Webhooks' header takes several signatures), so the receiver has a day to switch."""
    with transaction.atomic():
        subscription = _locked(subscription_id)
        subscription.rotate(new_secret(), timezone.now(), ROTATION_GRACE)
        subscription.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit_record(actor=actor, action="webhook.secret_rotate", object_type="webhook_subscription",
                     object_id=subscription.pk, object_label=subscription.url, changes={"secret": "rotated"})
    return subscription


def webhook_redeliver(*, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """One more attempt now, for a delivered, failed or still pending delivery. A pending delivery's next
    scheduled attempt is simply moved to now; otherwise the extra attempt is not retried automatically."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (WebhookDelivery.objects.select_for_update().select_related("subscription")
                    .filter(pk=delivery_id).first())
        if delivery is None:
            raise NotFound(_("No such delivery"), fields={"delivery_id": _("not found")})
        if not delivery.subscription.is_active:
            raise Conflict(_("The subscription is switched off"), fields={
                "delivery_id": _("switch the subscription on to redeliver")})
        number = delivery.attempts + 1
        job = Job.objects.filter(key=f"webhook:{delivery.pk}:{number}").first()
        if job is None:
            attempt_schedule(delivery, number=number, due_at=now, manual=True)
        elif job.status != Job.Status.RUNNING:
            Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING, due_at=now, attempts=0,
                                                 lease_until=None, locked_by="", finished_at=None)
        previous = delivery.status
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.PENDING, now
        delivery.save(update_fields=["status", "next_attempt_at"])
        audit_record(actor=actor, action="webhook.redeliver", object_type="webhook_delivery", object_id=delivery.pk,
                     object_label=delivery.msg_id, changes={"status": [previous, delivery.status],
                                                            "attempt": number})
    return delivery


def inbound_endpoint_save(*, actor: Actor, name: str, source: str, is_active: bool = True,
                          endpoint_id: int | None = None) -> InboundEndpoint:
    """Create an inbound endpoint (with a new secret) or change its name, source or state."""
    name, source = (name or "").strip(), (source or "").strip().lower()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("required")
    elif len(name) > 100:
        errors["name"] = _("at most %(n)s characters") % {"n": 100}
    if not SOURCE.match(source):
        errors["source"] = _("lower-case letters, digits, - and _, up to 50 characters")
    if errors:
        raise ValidationFailed(_("The endpoint could not be saved"), fields=errors)
    with transaction.atomic():
        if endpoint_id is None:
            endpoint = InboundEndpoint(secret=new_secret())
            before: dict[str, Any] = {}
        else:
            found = InboundEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
            if found is None:
                raise NotFound(_("No such endpoint"), fields={"endpoint_id": _("not found")})
            endpoint = found
            before = {"name": endpoint.name, "source": endpoint.source, "is_active": endpoint.is_active}
        endpoint.name, endpoint.source, endpoint.is_active = name, source, bool(is_active)
        endpoint.save()
        audit_record(actor=actor, action="inbound_endpoint.save", object_type="inbound_endpoint",
                     object_id=endpoint.pk, object_label=name,
                     changes=diff(before, {"name": name, "source": source, "is_active": endpoint.is_active}))
    return endpoint


def inbound_secret_rotate(*, actor: Actor, endpoint_id: int) -> InboundEndpoint:
    """A new secret for the sender; for ROTATION_GRACE requests signed with the old one are still taken, so the
    sender has a day to switch without a refused webhook."""
    with transaction.atomic():
        endpoint = InboundEndpoint.objects.select_for_update().filter(pk=endpoint_id).first()
        if endpoint is None:
            raise NotFound(_("No such endpoint"), fields={"endpoint_id": _("not found")})
        endpoint.rotate(new_secret(), timezone.now(), ROTATION_GRACE)
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
        audit_record(actor=actor, action="inbound_endpoint.secret_rotate", object_type="inbound_endpoint",
                     object_id=endpoint.pk, object_label=endpoint.name, changes={"secret": "rotated"})
    return endpoint
