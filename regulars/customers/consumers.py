"""Event consumers of the customers domain: the timeline."""

from __future__ import annotations

from regulars.platform.events import Consumer

from .timeline import timeline_from_event

CONSUMERS = [
    Consumer(
        name="customers.timeline",
        events=("customer.*", "contact.*", "consent.*", "asset.*", "note.*", "flag.*"),
        handler=timeline_from_event,
        mode="inline",
    ),
]
