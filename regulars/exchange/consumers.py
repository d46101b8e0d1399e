"""Event consumers of the exchange domain: one timeline entry per card touched by an import chunk.

An import publishes one `import.chunk_done` event per chunk (not one per card: a million-row file would be a
million events); this consumer turns it into the entries with one bulk insert, in the chunk's transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from regulars.customers.models import TimelineEntry
from regulars.platform.events import Consumer
from regulars.platform.fastcopy import insert_rows
from regulars.platform.models import Event


def timeline_from_import(event: Event) -> None:
    payload = event.payload
    data = {"import_id": event.subject_id, "file": payload.get("file", "")}
    summary = (_("Imported from %(file)s") % {"file": payload.get("file", "")})[:300]
    insert_rows(
        TimelineEntry,
        [{"customer_id": customer_id, "kind": "customer.imported", "occurred_at": event.occurred_at,
          "summary": summary, "data": data, "branch_id": None, "actor_label": event.actor_label, "event_id": event.pk}
         for customer_id in payload.get("customer_ids", [])],
    )


CONSUMERS = [
    Consumer(name="exchange.import_timeline", events=("import.chunk_done",), handler=timeline_from_import,
             mode="inline"),
]
