"""Job kinds of the exchange domain (listed in REGULARS_JOB_HANDLERS)."""

from __future__ import annotations

from regulars.platform.jobs import JobHandler, outside_transaction
from regulars.platform.models import Job

from .bulk_load import INDEX_KIND, import_build_index
from .exporting import export_run_chunk
from .services import import_run_chunk


def import_chunk(job: Job) -> None:
    import_run_chunk(batch_id=int(job.payload["batch_id"]), row=int(job.payload["row"]))


@outside_transaction
def import_index(job: Job) -> None:
    import_build_index(batch_id=int(job.payload["batch_id"]), watch=bool(job.payload.get("watch")))


def export_chunk(job: Job) -> None:
    export_run_chunk(batch_id=int(job.payload["batch_id"]), part=int(job.payload["part"]))


HANDLERS: dict[str, JobHandler] = {
    "exchange.import_chunk": import_chunk,
    "exchange.export_chunk": export_chunk,
    INDEX_KIND: import_index,
}
