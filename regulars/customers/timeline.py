"""The timeline consumer: every customer event becomes one append-only entry on the card."""

from __future__ import annotations

from typing import Any

from regulars.platform.fastcopy import insert_rows
from regulars.platform.models import Event

from .models import TimelineEntry

# Shown whatever the event's subject: later domains publish calls, visits, orders, messages, reviews, bookings
# and points with the customer's id in the payload.
SHOWN = ("customer.", "contact.", "consent.", "asset.", "note.", "flag.", "document.", "call.", "visit.", "order.",
         "message.", "review.", "booking.", "points.")
# Owned by a domain that decides itself what the card shows (an import chunk becomes one customer.imported entry
# per card, exchange/consumers.py) or that is no customer's history (webhooks).
NOT_SHOWN = ("import.", "webhook.")


def entry_row(event: Event) -> dict[str, Any] | None:
    """The card's entry for this event as column values; None when the event is no customer's history."""
    if not event.name.startswith(SHOWN) and (event.subject_type != "customer" or event.name.startswith(NOT_SHOWN)):
        return None
    payload = event.payload
    customer_id = payload.get("customer_id", event.subject_id if event.subject_type == "customer" else None)
    if customer_id is None:
        return None
    return {
        "customer_id": customer_id,
        "kind": event.name,
        "occurred_at": event.occurred_at,
        "summary": str(payload.get("summary", ""))[:300],
        "data": {k: v for k, v in payload.items() if k not in {"customer_id", "summary", "branch_id"}},
        "branch_id": payload.get("branch_id"),
        "actor_label": event.actor_label,
        "event_id": event.pk,
    }


def timeline_from_event(event: Event) -> None:
    row = entry_row(event)
    if row is not None:
        TimelineEntry.objects.create(**row)


def timeline_from_events(events: list[Event]) -> None:
    """The same for many events, with one COPY (rows, no model instances: this runs for every event of a batch)."""
    insert_rows(TimelineEntry, [row for row in map(entry_row, events) if row is not None])
