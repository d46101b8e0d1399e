"""The platform's own job kinds."""

from __future__ import annotations

from .events import consumer_by_name
from .jobs import JobHandler
from .models import Event, Job


def deliver_event(job: Job) -> None:
    """Hand one stored event to one queued consumer (the outbox relay)."""
    event = Event.objects.get(pk=job.payload["event_id"])
    consumer_by_name(job.payload["consumer"]).handler(event)


HANDLERS: dict[str, JobHandler] = {"event.deliver": deliver_event}
