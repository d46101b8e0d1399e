"""Due rows: schedule work for later, claim it atomically, lease it while it runs.

Claiming is a conditional UPDATE (`… WHERE id = x AND (pending and due, or running with an expired lease)`),
which is atomic on SQLite and PostgreSQL alike; on PostgreSQL candidates are first picked with
`FOR UPDATE SKIP LOCKED` so that many workers do not fight over the same rows. A job's handler runs in one
transaction together with the row's move to `done`: if the worker dies half-way, nothing of the run is kept
and the expired lease hands the job to the next worker, so the job's database effects happen exactly once.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)
JobHandler = Callable[[Job], None]


def outside_transaction(handler: JobHandler) -> JobHandler:
    """Mark a handler that calls out to the world (an HTTP POST): it runs with no transaction open, writing what
    it records in short transactions of its own, and the job is marked done after it returns. A worker killed in
    between runs it again (at least once), so such a handler must be safe to repeat. Holding a transaction across
    a slow call would keep SQLite's only writer waiting for it."""
    handler.outside_transaction = True  # type: ignore[attr-defined]
    return handler


class RetryLater(Exception):
    """Raised by a handler that wants to run again later without counting a failure."""

    def __init__(self, delay: timedelta) -> None:
        super().__init__(f"retry in {delay}")
        self.delay = delay


@cache
def handlers() -> dict[str, JobHandler]:
    found: dict[str, JobHandler] = {}
    for module_name in settings.REGULARS_JOB_HANDLERS:
        module = importlib.import_module(module_name)
        for kind, handler in module.HANDLERS.items():
            if kind in found:
                raise RuntimeError(f"Two handlers for job kind {kind!r}")
            found[kind] = handler
    return found


# A domain whose due rows live in its own table (messages, with their own lease) gives the worker one function:
# poll(worker_id=...) -> how many rows it took; each poller knows the batch size that suits its rows. Named in
# settings.REGULARS_WORKER_POLLERS.
Poller = Callable[..., int]


@cache
def pollers() -> tuple[Poller, ...]:
    found: list[Poller] = []
    for path in getattr(settings, "REGULARS_WORKER_POLLERS", []):
        module_name, _, name = path.rpartition(".")
        found.append(getattr(importlib.import_module(module_name), name))
    return tuple(found)


def job_schedule(
    *, kind: str, payload: dict[str, Any] | None = None, due_at: datetime | None = None, key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue a job. With a key, a second call returns the first job instead of queueing another."""
    if key is not None:
        existing = Job.objects.filter(key=key).first()
        if existing is not None:
            return existing
    return Job.objects.create(
        kind=kind, payload=payload or {}, due_at=due_at or timezone.now(), key=key, max_attempts=max_attempts
    )


def job_cancel(*, job_id: int) -> bool:
    return bool(Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(status=Job.Status.CANCELLED))


def _claimable(now: datetime) -> Q:
    pending = Q(status=Job.Status.PENDING, due_at__lte=now)
    abandoned = Q(status=Job.Status.RUNNING, lease_until__lt=now)
    return pending | abandoned


def jobs_claim(*, worker_id: str, limit: int = 10, now: datetime | None = None) -> list[Job]:
    """Take up to `limit` due jobs for this worker. Two workers never hold the same job at once."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=settings.REGULARS_WORKER_LEASE_SECONDS)
    claimed: list[Job] = []
    with transaction.atomic():
        candidates = Job.objects.filter(_claimable(now)).order_by("due_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        for job_id in ids:
            updated = Job.objects.filter(_claimable(now), pk=job_id).update(
                status=Job.Status.RUNNING,
                lease_until=lease,
                locked_by=worker_id,
                attempts=F("attempts") + 1,
            )
            if updated:
                claimed.append(Job.objects.get(pk=job_id))
    return claimed


def job_run(job: Job, *, worker_id: str) -> str:
    """Run one claimed job; returns its new status. The handler's writes commit only with the `done` mark."""
    handler = handlers().get(job.kind)
    if handler is None:
        return _finish_failed(job, worker_id, f"no handler for job kind {job.kind!r}", final=True)
    outside = getattr(handler, "outside_transaction", False)
    try:
        if outside:
            handler(job)
        with transaction.atomic():
            if not outside:
                handler(job)
            # Only the lease holder may finish the job; if the lease was lost the whole run rolls back.
            done = Job.objects.filter(pk=job.pk, locked_by=worker_id, status=Job.Status.RUNNING).update(
                status=Job.Status.DONE, finished_at=timezone.now(), lease_until=None, last_error=""
            )
            if not done:
                raise LeaseLost(job.pk)
        return Job.Status.DONE
    except LeaseLost:
        log.warning("job %s lost its lease; its run was rolled back", job.pk)
        return "lease-lost"
    except RetryLater as retry:
        Job.objects.filter(pk=job.pk, locked_by=worker_id).update(
            status=Job.Status.PENDING, due_at=timezone.now() + retry.delay, lease_until=None,
            attempts=F("attempts") - 1,
        )
        return Job.Status.PENDING
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        return _finish_failed(job, worker_id, traceback.format_exc(limit=5), final=job.attempts >= job.max_attempts)


class LeaseLost(Exception):
    pass


def _finish_failed(job: Job, worker_id: str, error: str, *, final: bool) -> str:
    if final:
        Job.objects.filter(pk=job.pk, locked_by=worker_id).update(
            status=Job.Status.FAILED, finished_at=timezone.now(), lease_until=None, last_error=error[-4000:]
        )
        return Job.Status.FAILED
    backoff = timedelta(seconds=min(3600, 5 * 2 ** max(0, job.attempts - 1)))
    Job.objects.filter(pk=job.pk, locked_by=worker_id).update(
        status=Job.Status.PENDING, due_at=timezone.now() + backoff, lease_until=None, last_error=error[-4000:]
    )
    return Job.Status.PENDING


def jobs_run_due(*, worker_id: str, limit: int = 10) -> int:
    """Claim and run one batch; returns how many jobs were taken. Used by the worker loop and by tests."""
    batch = jobs_claim(worker_id=worker_id, limit=limit)
    for job in batch:
        job_run(job, worker_id=worker_id)
    return len(batch)
