"""Event consumers of the customers domain: the timeline."""

from __future__ import annotations

from regulars.platform.events import Consumer

from .timeline import timeline_from_event, timeline_from_events

CONSUMERS = [
    Consumer(
        name="customers.timeline",
        # Everything that happens to a customer lands on their card: timeline.SHOWN, plus any other event about a
        # customer (a program's own "visit.completed") unless its name is timeline.NOT_SHOWN.
        events=("*",),
        handler=timeline_from_event,
        mode="inline",
        batch=timeline_from_events,
    ),
]
