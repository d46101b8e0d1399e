"""Real `regulars worker` processes against the test database: a worker killed mid-job loses nothing and repeats
nothing, and two workers never take the same job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from regulars.platform.jobs import job_schedule
from regulars.platform.models import Event, Job

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60.0  # seconds; every wait below is bounded by it


def database_url_of_this_test() -> str:
    """DATABASE_URL of the database this test runs on (the test database, with any xdist suffix)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        host = quote(db["HOST"] or "localhost", safe="")
        return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    raise NotImplementedError(connection.vendor)


class Worker:
    def __init__(self, log: Path, *, lease_seconds: int) -> None:
        self.log = log
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_of_this_test(),
            "REGULARS_WORKER_LEASE_SECONDS": str(lease_seconds),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
        }
        command = [sys.executable, "-m", "regulars.cli", "worker", "--poll", "0.1",
                   "--with-handlers", "regulars.platform.tests.slow_jobs"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            cwd=settings.BASE_DIR)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(name: str, *, lease_seconds: int = 2) -> Worker:
        worker = Worker(tmp_path / f"worker-{name}.log", lease_seconds=lease_seconds)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


def wait_for(condition: Callable[[], bool], what: str, *workers: Worker, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        dead = [w for w in workers if w.process.poll() is not None]
        if dead:
            pytest.fail(f"worker {dead[0].pid} exited ({dead[0].process.returncode}) while waiting for {what}:\n"
                        + dead[0].output())
        time.sleep(0.05)
    logs = "\n".join(f"--- worker {w.pid}\n{w.output()}" for w in workers)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def test_a_job_killed_mid_handler_runs_again_and_its_effects_happen_once(
    workers: Callable[..., Worker], tmp_path: Path
) -> None:
    hold = tmp_path / "hold"
    hold.touch()
    job = job_schedule(kind="test.slow", payload={"hold": str(hold), "max_seconds": TIMEOUT})
    markers = Event.objects.filter(name="test.slow.done", subject_type="job", subject_id=job.pk)

    first = workers("first")
    wait_for(lambda: Path(f"{hold}.started-1").exists(), "the first worker to enter the handler", first)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.locked_by.rsplit(":", 1)[-1]) == (Job.Status.RUNNING, 1, str(first.pid))
    assert markers.count() == 0, "the handler's marker is not visible before its transaction commits"

    first.kill()  # SIGKILL in the middle of the handler: no cleanup code runs
    assert first.process.returncode == -signal.SIGKILL
    hold.unlink()  # the next run finishes at once

    second = workers("second")
    wait_for(lambda: Job.objects.get(pk=job.pk).status == Job.Status.DONE, "the second worker to finish the job",
             second)

    job.refresh_from_db()
    assert job.attempts == 2
    assert job.locked_by.rsplit(":", 1)[-1] == str(second.pid)
    assert job.finished_at is not None and job.lease_until is None
    assert [m.payload["attempt"] for m in markers] == [2], "exactly one marker, from the run that finished"


@pytest.mark.postgres
def test_two_workers_never_take_the_same_job(workers: Callable[..., Worker]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and truly concurrent writers need PostgreSQL; SQLite serialises writers")
    a = workers("a", lease_seconds=120)
    b = workers("b", lease_seconds=120)
    wait_for(lambda: all(" started" in w.output() for w in (a, b)), "both workers to start", a, b)

    now = timezone.now()
    Job.objects.bulk_create(
        Job(kind="test.quick", payload={"sleep": 0.005}, due_at=now) for _ in range(200)
    )
    jobs = Job.objects.filter(kind="test.quick")
    wait_for(lambda: not jobs.exclude(status__in=[Job.Status.DONE, Job.Status.FAILED]).exists(),
             "200 jobs to finish", a, b)

    assert list(jobs.values_list("status", "attempts").distinct()) == [(Job.Status.DONE, 1)]
    markers = Event.objects.filter(name="test.quick.done", subject_type="job")
    assert markers.count() == 200
    assert sorted(markers.values_list("subject_id", flat=True)) == sorted(jobs.values_list("pk", flat=True))
    by_worker = {pid: jobs.filter(locked_by__endswith=f":{pid}").count() for pid in (a.pid, b.pid)}
    assert sum(by_worker.values()) == 200
    assert all(by_worker.values()), f"both workers should have taken jobs: {by_worker}"
