"""The dispatcher: claim due messages with a lease, check every rule again, send outside any transaction, record.

1. **Claim** (one short transaction): `queued` and due, or `sending` with an expired lease (its worker died), moved
   to `sending` by a conditional UPDATE with a lease, so two workers never hold the same message.
2. **Decide** (one transaction): past `send_by` → expired; blacklisted, no consent, no address, no provider →
   suppressed, and the next channel of the message's list is queued; quiet hours in the customer's zone → back to
   `queued` until morning; advertising over the frequency cap → suppressed.
3. **Send** with no transaction open. A message claimed back from a dead worker had an unknown outcome: through a
   provider that deduplicates by our key it is simply sent again with the same key; otherwise it is marked
   `ambiguous` first (it may reach the customer twice) and then sent.
4. **Record** (one transaction, only while this worker still holds the lease): sent / retry later / failed, the
   event for the timeline, and the fallback.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from regulars.customers.models import Flag, Purpose
from regulars.customers.selectors import consents_current
from regulars.platform.jobs import job_schedule

from .addressing import address_for
from .models import Message, MessagingPolicy, ProviderAccount
from .providers import provider as provider_named
from .providers.base import Outgoing, PermanentError, Provider, TemporaryError
from .rules import next_allowed
from .services import emit_status, message_fall_back, status_summary
from .throttle import DEFAULT_RATES, THROTTLE

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
UNSUBSCRIBE_SALT = "regulars.messaging.unsubscribe"

# Why a message did not go (stored in English for programs, shown translated: `{% translate m.status_reason %}`).
PAST_DEADLINE = gettext_noop("not sent before its deadline")
BLACKLISTED = gettext_noop("the customer is blacklisted")
NO_AD_CONSENT = gettext_noop("no advertising consent in this channel")
SERVICE_REFUSED = gettext_noop("service messages refused in this channel")
NO_ADDRESS = gettext_noop("no address in this channel on the card")
NO_PROVIDER = gettext_noop("no provider configured for this channel")
QUIET_HOURS = gettext_noop("waiting for the end of quiet hours")
CAP_DAY = gettext_noop("advertising frequency cap (per day)")
CAP_WEEK = gettext_noop("advertising frequency cap (per week)")


@dataclass
class Claimed:
    message: Message
    outcome_unknown: bool  # taken back from a worker that died while sending


@dataclass
class Go:
    provider: Provider
    config: dict[str, Any]
    sender: str
    to: str
    account_id: int | None


def lease_seconds() -> int:
    return int(getattr(settings, "REGULARS_WORKER_LEASE_SECONDS", 60))


def messages_claim(*, worker_id: str, limit: int = 20, now: dt.datetime | None = None) -> list[Claimed]:
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=lease_seconds())
    due = Q(status=Message.Status.QUEUED, due_at__lte=now)
    abandoned = Q(status=Message.Status.SENDING, lease_until__lt=now)
    taken: dict[int, bool] = {}  # id → taken back from a dead worker
    with transaction.atomic():
        candidates = Message.objects.filter(due | abandoned).order_by("due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        for message_id, status in candidates.values_list("id", "status")[:limit]:
            if Message.objects.filter(due | abandoned, pk=message_id).update(
                    status=Message.Status.SENDING, lease_until=lease, locked_by=worker_id, attempts=F("attempts") + 1):
                taken[message_id] = status == Message.Status.SENDING
        rows = Message.objects.select_related("customer").in_bulk(list(taken))
    return [Claimed(rows[i], unknown) for i, unknown in taken.items()]


def _mine(message: Message, worker_id: str) -> Any:
    return Message.objects.filter(pk=message.pk, locked_by=worker_id, status=Message.Status.SENDING)


def _finish(message: Message, worker_id: str, status: str, reason: str, *, fall_back: bool) -> str:
    """A final verdict for this message (inside a transaction), its timeline entry and maybe the next channel."""
    now = timezone.now()
    if not _mine(message, worker_id).update(status=status, status_reason=reason[:300], finished_at=now,
                                            lease_until=None):
        return "lease-lost"
    message.status, message.status_reason = status, reason[:300]
    emit_status(message, status, status_summary(message))
    if fall_back:
        message_fall_back(message, reason=reason)
    return status


@dataclass
class BatchSettings:
    """What every message of one claimed batch reads alike, read once per batch: the policy and the accounts."""

    policy: MessagingPolicy
    accounts: dict[str, ProviderAccount]

    @classmethod
    def now(cls) -> BatchSettings:
        accounts: dict[str, ProviderAccount] = {}
        for account in ProviderAccount.objects.filter(is_active=True).order_by("priority", "id"):
            accounts.setdefault(account.channel, account)  # the lowest priority number per channel
        # The policy's defaults apply until the business saves its own.
        return cls(policy=MessagingPolicy.objects.first() or MessagingPolicy(), accounts=accounts)


def _decide(claimed: Claimed, worker_id: str, now: dt.datetime, current: BatchSettings) -> Go | str:
    message = claimed.message
    suppressed = Message.Status.SUPPRESSED
    if message.send_by and now > message.send_by:
        return _finish(message, worker_id, Message.Status.EXPIRED, PAST_DEADLINE, fall_back=False)
    customer = message.customer
    if Flag.objects.filter(customer_id=customer.pk, kind=Flag.Kind.BLACKLIST, cleared_at=None).exists():
        return _finish(message, worker_id, suppressed, BLACKLISTED, fall_back=False)
    consent = consents_current(customer.pk).get((message.channel, message.purpose))
    if message.purpose == Purpose.MARKETING and not (consent and consent.granted):
        return _finish(message, worker_id, suppressed, NO_AD_CONSENT, fall_back=True)
    if message.purpose == Purpose.SERVICE and consent is not None and not consent.granted:
        return _finish(message, worker_id, suppressed, SERVICE_REFUSED, fall_back=True)
    to = address_for(customer.pk, message.channel)  # the card may have changed since the message was queued
    if not to:
        return _finish(message, worker_id, suppressed, NO_ADDRESS, fall_back=True)
    account = current.accounts.get(message.channel)
    if account is None and message.channel != "email":  # e-mail works with Django's own settings
        return _finish(message, worker_id, suppressed, NO_PROVIDER, fall_back=True)
    policy = current.policy
    allowed = next_allowed(now, time_zone=customer.time_zone, quiet_from=policy.quiet_from, quiet_to=policy.quiet_to)
    if allowed > now:  # quiet hours: wait for the morning, do not count an attempt
        _mine(message, worker_id).update(status=Message.Status.QUEUED, due_at=allowed, lease_until=None,
                                         attempts=F("attempts") - 1, status_reason=QUIET_HOURS)
        return "later"
    if message.purpose == Purpose.MARKETING:
        sent = Message.objects.filter(customer_id=customer.pk, purpose=Purpose.MARKETING,
                                      status__in=("sent", "delivered", "read")).exclude(pk=message.pk)
        if sent.filter(sent_at__gte=now - dt.timedelta(days=1)).count() >= policy.marketing_per_day:
            return _finish(message, worker_id, suppressed, CAP_DAY, fall_back=False)
        if sent.filter(sent_at__gte=now - dt.timedelta(days=7)).count() >= policy.marketing_per_week:
            return _finish(message, worker_id, suppressed, CAP_WEEK, fall_back=False)
    provider = provider_named(account.provider if account else "email")
    maybe_twice = {"ambiguous": True} if claimed.outcome_unknown and not provider.takes_idempotency_key else {}
    # The lease covers a whole claimed batch: renew it for this message, so a slow provider earlier in the batch
    # cannot make this live worker look dead to the others.
    renewed = now + dt.timedelta(seconds=lease_seconds())
    if not _mine(message, worker_id).update(to=to, account_id=account.pk if account else None,
                                            provider=provider.name, lease_until=renewed, **maybe_twice):
        return "lease-lost"
    return Go(provider=provider, config=dict(account.config) if account else {},
              sender=account.sender if account else "", to=to, account_id=account.pk if account else None)


def unsubscribe_url(message: Message) -> str:
    """A signed link with 128 random bits: one click revokes advertising consent in the message's channel."""
    token = signing.dumps({"m": message.pk, "n": secrets.token_hex(16)}, salt=UNSUBSCRIBE_SALT)
    return settings.REGULARS_PUBLIC_URL.rstrip("/") + reverse("messaging:unsubscribe", args=[token])


def _outgoing(message: Message, go: Go) -> Outgoing:
    headers: dict[str, str] = {}
    body = message.body
    if message.channel == "email" and message.purpose == Purpose.MARKETING:
        url = unsubscribe_url(message)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        body = f"{body}\n\n--\n{url}"
    if message.channel == "whatsapp" and message.context.get("whatsapp_template"):
        # Outside the customer's 24-hour window WhatsApp takes only approved templates: the caller names one.
        headers["X-WhatsApp-Template"] = str(message.context["whatsapp_template"])
    return Outgoing(message_id=message.pk, idempotency_key=message.idempotency_key, channel=message.channel,
                    purpose=message.purpose, to=go.to, body=body, subject=message.subject, sender=go.sender,
                    headers=headers)


def message_dispatch(claimed: Claimed, *, worker_id: str, current: BatchSettings | None = None) -> str:
    """Take one claimed message to its next state; returns that state (or "later", "lease-lost")."""
    message = claimed.message
    with transaction.atomic():
        current = current or BatchSettings.now()
        decision = _decide(claimed, worker_id, timezone.now(), current)
    if not isinstance(decision, Go):
        return decision
    THROTTLE.wait(f"{decision.provider.name}:{decision.account_id}", DEFAULT_RATES.get(decision.provider.name, 0.0))
    try:
        sent = decision.provider.send(_outgoing(message, decision), config=decision.config)
    except PermanentError as exc:
        with transaction.atomic():
            return _finish(message, worker_id, Message.Status.FAILED, str(exc), fall_back=True)
    except Exception as exc:  # TemporaryError, or anything unexpected: the outcome may be unknown
        unknown = exc.outcome_unknown if isinstance(exc, TemporaryError) else True
        retry_after = exc.retry_after if isinstance(exc, TemporaryError) else None
        log.warning("message %s: %s", message.pk, exc)
        return _retry_or_fail(message, worker_id, str(exc), unknown and not decision.provider.takes_idempotency_key,
                              retry_after)
    with transaction.atomic():
        recorded = _mine(message, worker_id).update(status=Message.Status.SENT, sent_at=timezone.now(),
                                                    provider_message_id=sent.provider_message_id, lease_until=None,
                                                    last_error="")
        if not recorded:
            return "lease-lost"  # another worker took it over; its send carries the same key
        message.status = Message.Status.SENT
        emit_status(message, "sent", status_summary(message))
        minutes = current.policy.fallback_after_minutes
        if message.next_channels and minutes and getattr(decision.provider, "reports_delivery", False):
            job_schedule(kind="messaging.delivery_check", payload={"message_id": message.pk},
                         due_at=timezone.now() + dt.timedelta(minutes=minutes), key=f"delivery-check:{message.pk}")
    return Message.Status.SENT


def _retry_or_fail(message: Message, worker_id: str, error: str, maybe_sent: bool, retry_after: float | None) -> str:
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True).first() or 0
    with transaction.atomic():
        if attempts >= MAX_ATTEMPTS:
            _mine(message, worker_id).update(last_error=error[-2000:], **({"ambiguous": True} if maybe_sent else {}))
            return _finish(message, worker_id, Message.Status.FAILED, f"gave up after {attempts} attempts: {error}",
                           fall_back=True)
        delay = retry_after if retry_after is not None else min(3600.0, 15.0 * 2 ** max(0, attempts - 1))
        updated = _mine(message, worker_id).update(
            status=Message.Status.QUEUED, due_at=timezone.now() + dt.timedelta(seconds=delay), lease_until=None,
            last_error=error[-2000:], **({"ambiguous": True} if maybe_sent else {}))
    return Message.Status.QUEUED if updated else "lease-lost"


def messages_dispatch_due(*, worker_id: str, limit: int = 20) -> int:
    """One round for the worker loop; returns how many messages were taken."""
    batch = messages_claim(worker_id=worker_id, limit=limit)
    current = BatchSettings.now() if batch else None
    for claimed in batch:
        try:
            message_dispatch(claimed, worker_id=worker_id, current=current)
        except Exception:  # one broken message must not stop the others; its lease brings it back
            log.exception("message %s could not be dispatched", claimed.message.pk)
    return len(batch)
