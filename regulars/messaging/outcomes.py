"""What became of held messages, written for many at once inside the caller's transaction: one UPDATE per kind of
outcome, one INSERT of their timeline events, and the fallbacks and delivery checks they call for. The caller has
checked that its worker still holds every message it passes (`claiming.messages_hold`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from regulars.platform.actor import Actor
from regulars.platform.bulkupdate import update_rows
from regulars.platform.events import publish_many
from regulars.platform.models import Job

from .models import Message
from .services import message_fall_back, status_event, status_summary

MAX_ATTEMPTS = 5


@dataclass
class Verdict:
    """A final state for a message, why, and whether the next channel of its list is tried."""

    message: Message
    status: str
    reason: str
    fall_back: bool


def _publish(messages: list[Message]) -> None:
    publish_many([status_event(m, m.status, status_summary(m)) for m in messages], actor=Actor.system("messaging"))


def messages_finish(verdicts: list[Verdict], *, now: dt.datetime) -> None:
    for verdict in verdicts:
        message = verdict.message
        message.status, message.status_reason = verdict.status, verdict.reason[:300]
        message.finished_at, message.lease_until = now, None
    messages = [v.message for v in verdicts]
    update_rows(Message, messages, ["status", "status_reason", "finished_at", "lease_until", "last_error",
                                    "ambiguous"])
    _publish(messages)
    for verdict in verdicts:
        if verdict.fall_back:
            message_fall_back(verdict.message, reason=verdict.reason)


def messages_sent(sent: list[tuple[Message, str, bool]], *, now: dt.datetime, check_delivery_after: int) -> None:
    """(message, the provider's id for it, whether that provider reports delivery). With `check_delivery_after`
    minutes, such a message with channels left to try gets a check then: not delivered by that time, it goes in
    the next channel too."""
    messages, checked = [], []
    for message, provider_message_id, reports_delivery in sent:
        if reports_delivery and message.next_channels:
            checked.append(message)
        message.status, message.sent_at, message.provider_message_id = Message.Status.SENT, now, provider_message_id
        message.lease_until, message.last_error = None, ""
        messages.append(message)
    update_rows(Message, messages, ["status", "sent_at", "provider_message_id", "lease_until", "last_error"])
    _publish(messages)
    if check_delivery_after and checked:
        due = now + dt.timedelta(minutes=check_delivery_after)
        Job.objects.bulk_create([
            Job(kind="messaging.delivery_check", payload={"message_id": m.pk}, due_at=due,
                key=f"delivery-check:{m.pk}") for m in checked], ignore_conflicts=True)


def messages_retry(failures: list[tuple[Message, str, bool, float | None]], *, now: dt.datetime) -> None:
    """(message, error, maybe sent, retry after seconds): queued again with a growing delay, or failed for good
    after MAX_ATTEMPTS (and the next channel tried)."""
    again: list[Message] = []
    given_up: list[Verdict] = []
    for message, error, maybe_sent, retry_after in failures:
        message.last_error = error[-2000:]
        message.ambiguous = message.ambiguous or maybe_sent
        if message.attempts >= MAX_ATTEMPTS:
            given_up.append(Verdict(message, Message.Status.FAILED,
                                    f"gave up after {message.attempts} attempts: {error}", fall_back=True))
            continue
        delay = retry_after if retry_after is not None else min(3600.0, 15.0 * 2 ** max(0, message.attempts - 1))
        message.status, message.due_at, message.lease_until = Message.Status.QUEUED, now + dt.timedelta(
            seconds=delay), None
        message.handed_over = False  # this attempt's outcome is recorded (and flagged above if it may have gone)
        again.append(message)
    update_rows(Message, again, ["status", "due_at", "lease_until", "last_error", "ambiguous", "handed_over"])
    messages_finish(given_up, now=now)
