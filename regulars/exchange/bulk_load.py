"""Bulk loads: a file about as large as the table goes in with the search index down (docs/adr/0014-bulk-load.md).

The first chunk drops the index (in its own transaction, so a chunk that dies brings it back); the last chunk
leaves the batch `indexing` and queues the build, which marks the batch done. A watch job queued with the drop
builds the index again if the import dies for good (its chunk job or its build failed), so a failed import never
leaves the search box without its index.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from regulars.customers.search_index import (
    card_tables_analyze,
    cards_estimate,
    search_index_build,
    search_index_drop,
)
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.fastcopy import is_postgres
from regulars.platform.jobs import RetryLater, job_schedule
from regulars.platform.models import Job

from .models import ImportBatch

log = logging.getLogger(__name__)

INDEX_KIND = "exchange.import_index"
WATCH_AFTER = timedelta(minutes=30)


def bulk_wanted(rows: int) -> bool:
    """PostgreSQL, at least REGULARS_IMPORT_BULK_ROWS rows, and the table no more than twice the file: rebuilding
    the index over what is there is then cheaper than keeping it up for every new card."""
    if not is_postgres() or rows < int(settings.REGULARS_IMPORT_BULK_ROWS):
        return False
    return cards_estimate() <= 2 * rows


def chunk_rows(batch: ImportBatch) -> int:
    return int(settings.REGULARS_IMPORT_BULK_CHUNK if batch.bulk_load else settings.REGULARS_IMPORT_CHUNK)


def bulk_chunk_begins(batch: ImportBatch) -> None:
    """At the start of every chunk of a bulk load, in its transaction.

    Its commit does not wait for the write-ahead log to reach the disk: a server crash can then lose the last few
    commits and with them their checkpoints, and the import redoes those chunks, as after a worker crash. The first
    chunk also drops the index (a chunk that dies brings it back) and sets the watch."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
    if batch.next_row == 0:
        if not search_index_drop():
            log.warning("import %s: the cards were busy, the search index stays up during the load", batch.pk)
        job_schedule(kind=INDEX_KIND, payload={"batch_id": batch.pk, "watch": True},
                     due_at=timezone.now() + WATCH_AFTER, key=f"import:{batch.pk}:index-watch")


def bulk_chunk_ends(batch: ImportBatch, *, more: bool) -> None:
    """After a chunk's rows, with the checkpoint moved on. After chunks 1, 2, 4, 8, … (the tables have doubled since
    the last time): fresh statistics, so that matching reads the unique indexes instead of every contact. After the
    last: the batch is `indexing` and the build is queued."""
    if not more:
        batch.status = ImportBatch.Status.INDEXING
        job_schedule(kind=INDEX_KIND, payload={"batch_id": batch.pk, "watch": False},
                     key=f"import:{batch.pk}:index")
        return
    done = batch.next_row // max(chunk_rows(batch), 1)
    if done and done & (done - 1) == 0:
        card_tables_analyze()


def _in_hand(batch: ImportBatch) -> bool:
    """Its next chunk or its own index build is still due or running: the import will finish by itself."""
    return Job.objects.filter(key__in=[f"import:{batch.pk}:{batch.next_row}", f"import:{batch.pk}:index"],
                              status__in=(Job.Status.PENDING, Job.Status.RUNNING)).exists()


def import_build_index(*, batch_id: int, watch: bool) -> None:
    """Build the search index and finish the batch (the job runs outside a transaction: a build can outlast a
    job's lease; a second worker that took the job over meanwhile waits for the first one's build).

    The watch acts only when the import can no longer finish by itself (its chunk job or its build failed for good);
    then it builds the index, and a batch whose rows were all in is done."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if watch:
        if batch is None or batch.status == ImportBatch.Status.DONE:
            return
        if _in_hand(batch):
            raise RetryLater(WATCH_AFTER)
    with transaction.atomic():
        if not search_index_build():
            raise RetryLater(timedelta(seconds=30))  # another worker is building it
        card_tables_analyze()
        if batch is not None:
            _finish(batch)


def _finish(batch: ImportBatch) -> None:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.INDEXING:
        return
    batch.status, batch.finished_at = ImportBatch.Status.DONE, timezone.now()
    batch.save(update_fields=["status", "finished_at"])
    import_finished(batch)


def import_finished(batch: ImportBatch) -> None:
    audit_record(actor=Actor(user_id=batch.created_by_id, label=batch.created_by_label),
                 action="import.finish", object_type="import", object_id=batch.pk,
                 object_label=batch.original_name,
                 changes={"created": batch.created_count, "updated": batch.updated_count,
                          "skipped": batch.skipped_count, "rejected": batch.rejected_count})
