"""Job handlers for the platform tests. A worker loads them with `--with-handlers regulars.platform.tests.slow_jobs`;
in-process tests add this module to settings.REGULARS_JOB_HANDLERS.

Every handler leaves a marker: an Event row named `<kind>.done` about ("job", job.pk). The marker is written in
the job's transaction, so it exists exactly once per successful run and never for a run that died or failed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.utils import timezone

from regulars.platform.jobs import JobHandler
from regulars.platform.models import Event, Job


def mark(job: Job) -> Event:
    return Event.objects.create(
        name=f"{job.kind}.done", occurred_at=timezone.now(), subject_type="job", subject_id=job.pk,
        payload={"attempt": job.attempts, "worker": job.locked_by, "pid": os.getpid()},
    )


def slow(job: Job) -> None:
    """Write the marker, say so in `<hold>.started-<attempt>`, then wait while the file `hold` exists."""
    mark(job)
    hold = Path(job.payload["hold"])
    Path(f"{hold}.started-{job.attempts}").touch()
    deadline = time.monotonic() + float(job.payload.get("max_seconds", 60))
    while hold.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def quick(job: Job) -> None:
    mark(job)
    time.sleep(float(job.payload.get("sleep", 0)))


def failing(job: Job) -> None:
    mark(job)  # rolled back with the failed run
    raise ValueError(f"test.fail attempt {job.attempts}")


HANDLERS: dict[str, JobHandler] = {"test.slow": slow, "test.quick": quick, "test.fail": failing}
