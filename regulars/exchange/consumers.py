"""Event consumers of the exchange domain: one timeline entry per card touched by an import chunk.

An import publishes one `import.chunk_done` event per chunk (not one per card: a million-row file would be a
million events); this consumer turns it into the entries with one bulk insert, in the chunk's transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from regulars.customers.models import TimelineEntry
from regulars.platform.events import Consumer
from regulars.platform.fastcopy import insert_columns
from regulars.platform.models import Event


def timeline_from_import(event: Event) -> None:
    payload = event.payload
    data = {"import_id": event.subject_id, "file": payload.get("file", "")}
    summary = (_("Imported from %(file)s") % {"file": payload.get("file", "")})[:300]
    at, actor, event_id = event.occurred_at, event.actor_label, event.pk
    insert_columns(
        TimelineEntry,
        ("customer_id", "kind", "occurred_at", "summary", "data", "branch_id", "actor_label", "event_id"),
        [(customer_id, "customer.imported", at, summary, data, None, actor, event_id)
         for customer_id in payload.get("customer_ids", [])],
    )


CONSUMERS = [
    Consumer(name="exchange.import_timeline", events=("import.chunk_done",), handler=timeline_from_import,
             mode="inline"),
]
