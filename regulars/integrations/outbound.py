"""Outbound webhooks: the inline consumer that turns an event into deliveries, and the job that POSTs one.

The consumer runs in the publishing transaction, so a delivery and its first job exist exactly when the event
does. Each attempt is its own job keyed `webhook:<delivery>:<attempt>`; the handler records the attempt and, on
failure, schedules the next one itself and returns normally, so the attempt row commits with the job.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from regulars.platform import signing
from regulars.platform.fastcopy import copy_objects
from regulars.platform.jobs import job_schedule, outside_transaction
from regulars.platform.models import Event, Job

from .destinations import private_destination
from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription

JOB_KIND = "webhook.deliver"
# Standard Webhooks' schedule: after the first attempt, wait this long before each next one. Tests patch it.
RETRY_SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=5),
    timedelta(hours=10), timedelta(hours=10),
)
TIMEOUT_SECONDS = 10
EXCERPT_BYTES = 1024
USER_AGENT = "Regulars-Webhooks/1"


def pattern_matches(pattern: str, name: str) -> bool:
    return pattern in ("*", name) or (pattern.endswith(".*") and name.startswith(pattern[:-1]))


def subscription_wants(subscription: WebhookSubscription, name: str) -> bool:
    return any(pattern_matches(str(p), name) for p in subscription.event_types or [])


def attempt_schedule(delivery: WebhookDelivery, *, number: int, due_at: datetime, manual: bool = False) -> Job:
    delivery.next_attempt_at = due_at
    return job_schedule(kind=JOB_KIND, key=f"webhook:{delivery.pk}:{number}", due_at=due_at,
                        payload={"delivery_id": delivery.pk, "attempt": number, "manual": manual})


def deliveries_for_event(event: Event) -> None:
    """Inline consumer: one delivery and its first job per active subscription whose patterns match.
    One small query per event; nothing is cached, so a change in another process counts at once."""
    now = timezone.now()
    for subscription in WebhookSubscription.objects.filter(is_active=True).only("id", "event_types"):
        if not subscription_wants(subscription, event.name):
            continue
        delivery = WebhookDelivery.objects.create(subscription=subscription, event=event,
                                                  msg_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now)
        attempt_schedule(delivery, number=1, due_at=now)


def deliveries_for_events(events: list[Event]) -> None:
    """The same for many events of one transaction: one query, one INSERT of deliveries, one of their jobs."""
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True).only("id", "event_types"))
    if not subscriptions:
        return
    now = timezone.now()
    deliveries = copy_objects(WebhookDelivery, [
        WebhookDelivery(subscription=subscription, event=event, msg_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now)
        for event in events for subscription in subscriptions if subscription_wants(subscription, event.name)])
    Job.objects.bulk_create([
        Job(kind=JOB_KIND, key=f"webhook:{d.pk}:1", due_at=now, payload={"delivery_id": d.pk, "attempt": 1,
                                                                          "manual": False})
        for d in deliveries])


def message_body(event: Event) -> bytes:
    """What the receiver gets; built from the stored event, so every attempt sends the same bytes."""
    document = {
        "type": event.name,
        "timestamp": event.occurred_at.isoformat(),
        "data": {**event.payload, "subject_type": event.subject_type, "subject_id": event.subject_id,
                 "event_id": event.pk},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: a POST is never silently turned into a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST and return (status code or None, response excerpt, error)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 — http(s) only
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _excerpt(response.read(EXCERPT_BYTES)), ""
    except urllib.error.HTTPError as exc:
        try:
            excerpt = _excerpt(exc.read(EXCERPT_BYTES))
        except OSError:
            excerpt = ""
        return exc.code, excerpt, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:  # refused, unreachable, timed out, bad answer
        reason = getattr(exc, "reason", exc)
        return None, "", f"{type(exc).__name__}: {reason}"[:1000]


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")


@outside_transaction
def deliver(job: Job) -> None:
    """Job handler of `webhook.deliver`: one attempt of one delivery. The POST runs with no transaction open (a
    slow receiver must not hold the database's writer); the attempt is recorded afterwards under the delivery's
    row lock, once: a second run of the same attempt (a worker killed after the POST) finds it recorded. Receivers
    see at most a repeat with the same `webhook-id`, which Standard Webhooks tells them to deduplicate."""
    number = int(job.payload.get("attempt", 0))
    delivery = (WebhookDelivery.objects.select_related("subscription", "event")
                .filter(pk=job.payload.get("delivery_id")).first())
    if delivery is None or number != delivery.attempts + 1:
        return  # the subscription was deleted, or this attempt was already made: nothing to do
    subscription = delivery.subscription
    now = timezone.now()
    if not subscription.is_active:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED,
                                                              next_attempt_at=None)
        return
    body = message_body(delivery.event)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
               **signing.headers_for(subscription.valid_secrets(now), delivery.msg_id, int(now.timestamp()), body)}
    started = time.monotonic()
    refused = private_destination(subscription.url)
    status_code, excerpt, error = (None, "", refused) if refused else post(subscription.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if number != delivery.attempts + 1:
            return  # recorded by an earlier run of this same attempt
        _record(job, delivery, number, now, status_code, duration_ms, error, excerpt)


def _record(job: Job, delivery: WebhookDelivery, number: int, now: datetime, status_code: int | None,
            duration_ms: int, error: str, excerpt: str) -> None:
    WebhookAttempt.objects.create(delivery=delivery, number=number, attempted_at=now, status_code=status_code,
                                  duration_ms=duration_ms, error=error, response_excerpt=excerpt)
    delivery.attempts, delivery.last_status_code = number, status_code
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            WebhookDelivery.Status.DELIVERED, timezone.now(), None)
    elif job.payload.get("manual") or number > len(RETRY_SCHEDULE):
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        delivery.status = WebhookDelivery.Status.PENDING
        attempt_schedule(delivery, number=number + 1, due_at=timezone.now() + RETRY_SCHEDULE[number - 1])
    delivery.save(update_fields=["attempts", "last_status_code", "status", "delivered_at", "next_attempt_at"])
