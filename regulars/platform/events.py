"""Domain events and their consumers.

A service calls `publish()` inside its transaction. The event row is the outbox: it commits or rolls back with
the change. Consumers are declared in the modules listed in settings.REGULARS_EVENT_CONSUMERS, each exposing
`CONSUMERS: list[Consumer]`. There are no Django signals: the list is the whole wiring, read in one place.

- An *inline* consumer runs inside the publishing transaction (the customer timeline: it must never miss a
  change and never show one that rolled back).
- A *queued* consumer gets a Job row in the same transaction; the worker runs it after commit, with retries.
  Side effects that leave the database (messages, webhooks) are always queued.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .actor import Actor
from .fastcopy import copy_objects
from .models import Event, Job

Handler = Callable[[Event], None]
BatchHandler = Callable[[list[Event]], None]


@dataclass(frozen=True)
class Consumer:
    """`batch`, for inline consumers, handles many events of one `publish_many` at once (set-based writes); it must
    have the same effect as calling `handler` on each event in order."""

    name: str
    events: tuple[str, ...]
    handler: Handler
    mode: Literal["inline", "queued"] = "inline"
    batch: BatchHandler | None = None

    def wants(self, event_name: str) -> bool:
        return any(
            pattern in ("*", event_name) or (pattern.endswith(".*") and event_name.startswith(pattern[:-1]))
            for pattern in self.events
        )


@cache
def consumers() -> tuple[Consumer, ...]:
    found: list[Consumer] = []
    for module_name in settings.REGULARS_EVENT_CONSUMERS:
        module = importlib.import_module(module_name)
        found.extend(module.CONSUMERS)
    names = [c.name for c in found]
    if len(names) != len(set(names)):
        raise RuntimeError(f"Duplicate consumer names: {names}")
    return tuple(found)


def consumer_by_name(name: str) -> Consumer:
    for consumer in consumers():
        if consumer.name == name:
            return consumer
    raise LookupError(name)


@dataclass(frozen=True)
class EventSpec:
    """One event of a `publish_many` call."""

    name: str
    subject_type: str
    subject_id: int
    payload: dict[str, Any]
    occurred_at: datetime | None = None


def publish_many(specs: list[EventSpec], *, actor: Actor | None = None) -> list[Event]:
    """Store many events with one INSERT and hand them to their consumers, in order (a consumer's `batch` gets
    them all at once). Inside the caller's transaction, like `publish`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish_many() must run inside the transaction of the changes it describes")
    if not specs:
        return []
    now = timezone.now()
    events = copy_objects(Event, [
        Event(name=s.name, occurred_at=s.occurred_at or now, subject_type=s.subject_type, subject_id=s.subject_id,
              payload=s.payload, actor_label=actor.label if actor else "") for s in specs])
    for consumer in consumers():
        wanted = [e for e in events if consumer.wants(e.name)]
        if not wanted:
            continue
        if consumer.mode == "queued":
            Job.objects.bulk_create([Job(kind="event.deliver", key=f"event:{e.pk}:{consumer.name}",
                                         payload={"event_id": e.pk, "consumer": consumer.name}, due_at=e.occurred_at)
                                     for e in wanted])
        elif consumer.batch is not None:
            consumer.batch(wanted)
        else:
            for event in wanted:
                consumer.handler(event)
    return events


def publish(
    name: str,
    *,
    subject_type: str,
    subject_id: int,
    payload: dict[str, Any] | None = None,
    actor: Actor | None = None,
    occurred_at: datetime | None = None,
) -> Event:
    """Store the event and hand it to its consumers. Must be called inside the service's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() must run inside the transaction of the change it describes")
    event = Event.objects.create(
        name=name,
        occurred_at=occurred_at or timezone.now(),
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload or {},
        actor_label=actor.label if actor else "",
    )
    for consumer in consumers():
        if not consumer.wants(name):
            continue
        if consumer.mode == "inline":
            consumer.handler(event)
        else:
            Job.objects.create(
                kind="event.deliver",
                key=f"event:{event.pk}:{consumer.name}",
                payload={"event_id": event.pk, "consumer": consumer.name},
                due_at=event.occurred_at,
            )
    return event
