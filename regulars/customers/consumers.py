"""Event consumers of the customers domain: the timeline."""

from __future__ import annotations

from regulars.platform.events import Consumer

from .timeline import timeline_from_event

CONSUMERS = [
    Consumer(
        name="customers.timeline",
        # Everything that happens to a customer lands on their card. Later domains publish calls, visits,
        # orders, messages, reviews, bookings and points with the customer's id in the payload.
        events=(
            "customer.*", "contact.*", "consent.*", "asset.*", "note.*", "flag.*", "document.*",
            "call.*", "visit.*", "order.*", "message.*", "review.*", "booking.*", "points.*",
        ),
        handler=timeline_from_event,
        mode="inline",
    ),
]
