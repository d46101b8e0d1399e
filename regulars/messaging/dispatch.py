"""The dispatcher: claim a batch of due messages with a lease, check every rule again, send outside any
transaction, record — set-based, a few statements per batch rather than per message.

1. **Claim** (claiming.py, one statement): `queued` and due, or `sending` with an expired lease (its worker died),
   moved to `sending` with this worker's lease.
2. **Decide** (deciding.py, one transaction): the rules read once for the batch; verdicts written by kind.
3. **Send** with no transaction open. A message claimed back from a dead worker had an unknown outcome: through a
   provider that deduplicates by our key it is simply sent again with the same key; otherwise it was marked
   `ambiguous` in step 2 (it may reach the customer twice).
4. **Record** (outcomes.py, one transaction per chunk of about a tenth of a second of sending, only for the
   messages this worker still holds, renewing the lease of the rest): sent / retry later / failed, the timeline
   events, the fallbacks, and the next chunk marked `handed_over`. Only a message marked so can have gone out
   when its worker died, so only such a message is "outcome unknown" when taken back; the mark stays until an
   outcome is recorded.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from regulars.customers.models import Purpose

from .claiming import Claimed, messages_claim, messages_hold
from .deciding import BatchSettings, Go, messages_decide
from .models import Message
from .outcomes import Verdict, messages_finish, messages_retry, messages_sent
from .providers.base import Outgoing, PermanentError, TemporaryError
from .throttle import THROTTLE, rate_for

log = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "regulars.messaging.unsubscribe"
BATCH = 200  # messages claimed at once by one worker
# Messages are handed over to providers a chunk at a time, each chunk marked in the recording before it: about
# HAND_OVER_SECONDS of sending (what a killed worker leaves with an unknown outcome), sized by the pace so far.
HAND_OVER_SECONDS = 0.1
FIRST_CHUNK = 20
MAX_CHUNK = 200
LONGEST_CHUNK_SECONDS = 5.0  # a chunk slower than this is cut short (its lease renewed well before it runs out)

__all__ = ["Claimed", "message_dispatch", "messages_claim", "messages_dispatch", "messages_dispatch_due"]


@dataclass
class Outcome:
    go: Go
    provider_message_id: str = ""
    error: Exception | None = None


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


def _send(go: Go) -> Outcome:
    THROTTLE.wait(f"{go.provider.name}:{go.account_id}", rate_for(go.provider.name, go.config))
    try:
        return Outcome(go, provider_message_id=go.provider.send(_outgoing(go.message, go),
                                                                config=go.config).provider_message_id)
    except Exception as exc:  # PermanentError, TemporaryError, or anything unexpected (its outcome is unknown)
        if not isinstance(exc, PermanentError | TemporaryError):
            log.warning("message %s: %s", go.message.pk, exc)
        return Outcome(go, error=exc)


def _record(outcomes: list[Outcome], still_to_send: list[Go], hand_over: list[Go], *, worker_id: str,
            current: BatchSettings, states: dict[int, str]) -> None:
    """The outcomes of one chunk, the lease of the rest renewed, the next chunk marked as handed over."""
    with transaction.atomic():
        held = messages_hold([o.go.message.pk for o in outcomes] + [g.message.pk for g in still_to_send],
                             worker_id=worker_id, hand_over=[g.message.pk for g in hand_over])
        now = timezone.now()
        sent: list[tuple[Message, str, bool]] = []
        failed: list[Verdict] = []
        retried: list[tuple[Message, str, bool, float | None]] = []
        for outcome in outcomes:
            message, provider, error = outcome.go.message, outcome.go.provider, outcome.error
            if message.pk not in held:  # another worker took it over; its send carries the same key
                continue
            if error is None:
                sent.append((message, outcome.provider_message_id, getattr(provider, "reports_delivery", False)))
            elif isinstance(error, PermanentError):
                failed.append(Verdict(message, Message.Status.FAILED, str(error), fall_back=True))
            else:
                unknown = error.outcome_unknown if isinstance(error, TemporaryError) else True
                retry_after = error.retry_after if isinstance(error, TemporaryError) else None
                retried.append((message, str(error), unknown and not provider.takes_idempotency_key, retry_after))
        messages_sent(sent, now=now, check_delivery_after=current.policy.fallback_after_minutes)
        messages_finish(failed, now=now)
        messages_retry(retried, now=now)
    for outcome in outcomes:
        message = outcome.go.message
        states[message.pk] = message.status if message.pk in held else "lease-lost"


def _chunk(seconds_per_send: float) -> int:
    """How many messages to hand over before the next recording, at this pace."""
    return max(1, min(MAX_CHUNK, int(HAND_OVER_SECONDS / max(seconds_per_send, 1e-6))))


def messages_dispatch(batch: list[Claimed], *, worker_id: str) -> dict[int, str]:
    """Take claimed messages to their next state; returns each one's state (or "lease-lost")."""
    if not batch:
        return {}
    with transaction.atomic():
        current = BatchSettings.now()
        goes = messages_decide(batch, worker_id=worker_id, now=timezone.now(), current=current,
                               hand_over=FIRST_CHUNK)
    states: dict[int, str] = {c.message.pk: "lease-lost" for c in batch}
    for claimed in batch:  # decided without sending: expired, suppressed, waiting for the morning ("queued")
        if claimed.message.status != Message.Status.SENDING:
            states[claimed.message.pk] = claimed.message.status
    position, handed_to = 0, FIRST_CHUNK
    while position < len(goes):
        started = time.monotonic()
        outcomes: list[Outcome] = []
        for go in goes[position:handed_to]:
            outcomes.append(_send(go))
            if time.monotonic() - started >= LONGEST_CHUNK_SECONDS:  # a slow provider: record, renew the lease
                break
        position += len(outcomes)
        size = _chunk((time.monotonic() - started) / len(outcomes))
        _record(outcomes, goes[position:], goes[position:position + size], worker_id=worker_id, current=current,
                states=states)
        handed_to = position + size
    return states


def message_dispatch(claimed: Claimed, *, worker_id: str) -> str:
    """One claimed message to its next state (tests, and a caller holding one message)."""
    return messages_dispatch([claimed], worker_id=worker_id)[claimed.message.pk]


def messages_dispatch_due(*, worker_id: str, limit: int = BATCH) -> int:
    """One round for the worker loop; returns how many messages were taken."""
    batch = messages_claim(worker_id=worker_id, limit=limit)
    try:
        messages_dispatch(batch, worker_id=worker_id)
    except Exception:  # the batch's leases bring back whatever was not recorded
        log.exception("messages %s could not be dispatched", [c.message.pk for c in batch][:20])
    return len(batch)
