"""The timeline consumer: every customer event becomes one append-only entry on the card."""

from __future__ import annotations

from regulars.platform.models import Event

from .models import TimelineEntry


def timeline_from_event(event: Event) -> None:
    payload = event.payload
    customer_id = payload.get("customer_id", event.subject_id if event.subject_type == "customer" else None)
    if customer_id is None:
        return
    TimelineEntry.objects.create(
        customer_id=customer_id,
        kind=event.name,
        occurred_at=event.occurred_at,
        summary=str(payload.get("summary", ""))[:300],
        data={k: v for k, v in payload.items() if k not in {"customer_id", "summary", "branch_id"}},
        branch_id=payload.get("branch_id"),
        actor_label=event.actor_label,
        event=event,
    )
