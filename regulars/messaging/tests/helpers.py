"""Helpers of the messaging tests: the fixed clock's noon, the worker played in the test, a row read again."""

from __future__ import annotations

import datetime as dt

from regulars.messaging.dispatch import messages_dispatch_due
from regulars.messaging.models import Message

# Wednesday 12:00 in Moscow (the customer's zone): outside quiet hours, so nothing waits for the morning.
NOON = dt.datetime(2025, 3, 12, 9, 0, tzinfo=dt.UTC)


def drain(worker_id: str = "w1") -> int:
    """Play the worker: dispatch rounds until one takes nothing; returns how many messages were taken."""
    taken = 0
    for _ in range(50):
        count = messages_dispatch_due(worker_id=worker_id)
        if count == 0:
            return taken
        taken += count
    raise AssertionError("the dispatcher never ran dry")


def fresh(message: Message) -> Message:
    message.refresh_from_db()
    return message
