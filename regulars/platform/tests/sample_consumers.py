"""Event consumers for the platform tests (see test_jobs.py): one inline, one queued. They record what they saw."""

from __future__ import annotations

from regulars.platform.events import Consumer
from regulars.platform.models import Event

SEEN: list[tuple[str, int]] = []


def inline(event: Event) -> None:
    SEEN.append(("inline", event.pk))


def queued(event: Event) -> None:
    SEEN.append(("queued", event.pk))


CONSUMERS = [
    Consumer(name="test.inline", events=("test.thing.*",), handler=inline),
    Consumer(name="test.queued", events=("test.thing.created",), handler=queued, mode="queued"),
]
