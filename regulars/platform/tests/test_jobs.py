"""Due jobs on the current database: claiming, leases, retries, idempotent scheduling, and the event outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from regulars.platform import events, jobs
from regulars.platform.events import publish
from regulars.platform.jobs import job_run, job_schedule, jobs_claim, jobs_run_due
from regulars.platform.models import Event, Job
from regulars.platform.tests import sample_consumers

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_handlers(settings: Any) -> Iterator[None]:
    settings.REGULARS_JOB_HANDLERS = [*django_settings.REGULARS_JOB_HANDLERS, "regulars.platform.tests.slow_jobs"]
    jobs.handlers.cache_clear()
    yield
    jobs.handlers.cache_clear()


@pytest.fixture
def test_consumers(settings: Any) -> Iterator[list[tuple[str, int]]]:
    settings.REGULARS_EVENT_CONSUMERS = ["regulars.platform.tests.sample_consumers"]
    events.consumers.cache_clear()
    sample_consumers.SEEN.clear()
    yield sample_consumers.SEEN
    sample_consumers.SEEN.clear()
    events.consumers.cache_clear()


def markers(job: Job) -> int:
    return Event.objects.filter(name=f"{job.kind}.done", subject_type="job", subject_id=job.pk).count()


def test_a_due_job_is_claimed_once() -> None:
    job = job_schedule(kind="test.quick")
    before = timezone.now()

    first = jobs_claim(worker_id="w1")
    second = jobs_claim(worker_id="w2")

    assert [j.pk for j in first] == [job.pk]
    assert second == []
    job.refresh_from_db()
    assert (job.status, job.locked_by, job.attempts) == (Job.Status.RUNNING, "w1", 1)
    assert job.lease_until is not None
    lease = timedelta(seconds=django_settings.REGULARS_WORKER_LEASE_SECONDS)
    assert before + lease <= job.lease_until <= timezone.now() + lease


def test_a_job_that_is_not_due_yet_is_not_claimed() -> None:
    due = timezone.now() + timedelta(hours=1)
    job = job_schedule(kind="test.quick", due_at=due)

    assert jobs_claim(worker_id="w1") == []
    assert jobs_claim(worker_id="w1", now=due - timedelta(seconds=1)) == []
    assert [j.pk for j in jobs_claim(worker_id="w1", now=due)] == [job.pk]


@pytest.mark.usefixtures("test_handlers")
def test_an_expired_lease_is_reclaimed_and_the_old_holder_cannot_finish() -> None:
    job = job_schedule(kind="test.quick")
    t0 = timezone.now()
    lease = timedelta(seconds=django_settings.REGULARS_WORKER_LEASE_SECONDS)
    [stale] = jobs_claim(worker_id="w1", now=t0)

    assert jobs_claim(worker_id="w2", now=t0 + lease - timedelta(seconds=1)) == []
    [fresh] = jobs_claim(worker_id="w2", now=t0 + lease + timedelta(seconds=1))

    assert (fresh.pk, fresh.locked_by, fresh.attempts) == (job.pk, "w2", 2)
    assert job_run(stale, worker_id="w1") == "lease-lost"
    assert markers(job) == 0, "the run of a worker that lost its lease must be rolled back"
    assert job_run(fresh, worker_id="w2") == Job.Status.DONE
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_until) == (Job.Status.DONE, 2, None)
    assert markers(job) == 1


@pytest.mark.usefixtures("test_handlers")
def test_a_failing_job_is_retried_with_backoff_then_marked_failed() -> None:
    job = job_schedule(kind="test.fail", max_attempts=3)
    now = timezone.now()
    expected_backoff = [5, 10]  # seconds: 5 * 2 ** (attempt - 1)

    for attempt, backoff in enumerate(expected_backoff, start=1):
        [claimed] = jobs_claim(worker_id="w1", now=now)
        started = timezone.now()
        assert job_run(claimed, worker_id="w1") == Job.Status.PENDING
        job.refresh_from_db()
        assert (job.status, job.attempts, job.lease_until) == (Job.Status.PENDING, attempt, None)
        assert f"test.fail attempt {attempt}" in job.last_error
        assert started + timedelta(seconds=backoff) <= job.due_at <= timezone.now() + timedelta(seconds=backoff)
        assert jobs_claim(worker_id="w1", now=job.due_at - timedelta(seconds=1)) == []
        now = job.due_at

    [claimed] = jobs_claim(worker_id="w1", now=now)
    assert job_run(claimed, worker_id="w1") == Job.Status.FAILED
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.FAILED, 3)
    assert job.finished_at is not None
    assert "test.fail attempt 3" in job.last_error
    assert jobs_claim(worker_id="w1", now=now + timedelta(days=1)) == []
    assert markers(job) == 0, "a failed run keeps none of its writes"


def test_a_job_of_an_unknown_kind_fails_at_once() -> None:
    job = job_schedule(kind="test.nobody-handles-this")
    assert jobs_run_due(worker_id="w1") == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.FAILED, 1)
    assert "no handler" in job.last_error


def test_scheduling_with_the_same_key_returns_the_first_job() -> None:
    first = job_schedule(kind="test.quick", key="remind:42", payload={"n": 1})
    again = job_schedule(kind="test.quick", key="remind:42", payload={"n": 2})
    unkeyed = [job_schedule(kind="test.quick"), job_schedule(kind="test.quick")]

    assert again.pk == first.pk
    assert Job.objects.get(key="remind:42").payload == {"n": 1}
    assert Job.objects.count() == 1 + len(unkeyed)


@pytest.mark.django_db(transaction=True)
def test_publish_outside_a_transaction_raises() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        publish("test.thing.created", subject_type="thing", subject_id=1)
    assert not Event.objects.exists()

    with transaction.atomic():
        publish("test.thing.created", subject_type="thing", subject_id=1)
    assert Event.objects.filter(name="test.thing.created").count() == 1


def test_a_queued_consumer_gets_exactly_one_job(test_consumers: list[tuple[str, int]]) -> None:
    with transaction.atomic():
        event = publish("test.thing.created", subject_type="thing", subject_id=7, payload={"x": 1})
        other = publish("test.thing.updated", subject_type="thing", subject_id=7)

    deliveries = list(Job.objects.filter(kind="event.deliver"))
    assert [(j.key, j.payload) for j in deliveries] == [
        (f"event:{event.pk}:test.queued", {"event_id": event.pk, "consumer": "test.queued"})
    ]
    assert test_consumers == [("inline", event.pk), ("inline", other.pk)], "the queued one waits for the worker"

    assert jobs_run_due(worker_id="w1") == 1
    assert jobs_run_due(worker_id="w1") == 0
    assert test_consumers == [("inline", event.pk), ("inline", other.pk), ("queued", event.pk)]
    assert Job.objects.get(kind="event.deliver").status == Job.Status.DONE
