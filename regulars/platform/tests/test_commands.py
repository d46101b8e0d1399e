"""The platform's management commands: `worker`, `serve` and `run` (the one behind `make run`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command

from regulars.platform import jobs
from regulars.platform.jobs import job_schedule
from regulars.platform.management.commands.run import database_is_empty, demo_logins
from regulars.platform.management.commands.serve import granian_argv, gunicorn_argv
from regulars.platform.models import Event, Job
from regulars.platform.tests.test_worker_kill import database_url_of_this_test


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("restore_signals")
def test_worker_once_runs_due_jobs_with_extra_handlers(settings: Any) -> None:
    settings.REGULARS_JOB_HANDLERS = list(settings.REGULARS_JOB_HANDLERS)  # restored, with what the command adds
    job = job_schedule(kind="test.quick")
    try:
        call_command("worker", "--once", "--with-handlers", "regulars.platform.tests.slow_jobs")
    finally:
        jobs.handlers.cache_clear()

    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.DONE, 1)
    assert Event.objects.filter(name="test.quick.done", subject_id=job.pk).count() == 1


def test_serve_runs_granian_on_the_wsgi_application() -> None:
    argv = granian_argv(host="127.0.0.1", port=8123, workers=3, threads=2)
    assert argv[:5] == [sys.executable, "-m", "granian", "--interface", "wsgi"]
    assert argv[-1] == "config.wsgi:application"
    assert (argv[argv.index("--host") + 1], argv[argv.index("--port") + 1]) == ("127.0.0.1", "8123")
    assert (argv[argv.index("--workers") + 1], argv[argv.index("--blocking-threads") + 1]) == ("3", "2")


def test_serve_runs_gunicorn_on_the_wsgi_application() -> None:
    argv = gunicorn_argv(host="127.0.0.1", port=8123, workers=3)
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "config.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8123"
    assert argv[argv.index("--workers") + 1] == "3"


@pytest.mark.django_db
def test_run_loads_the_demo_only_into_an_empty_database(django_user_model: Any) -> None:
    assert database_is_empty()
    django_user_model.objects.create_user(username="someone", password="x" * 12)
    assert not database_is_empty()
    assert all(len(login) == 3 for login in demo_logins())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Run:
    """`regulars run` in a child process, its output going to a file."""

    def __init__(self, tmp_path: Path, port: int) -> None:
        self.log = tmp_path / "run.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_of_this_test(),
            "REGULARS_VAR_DIR": str(tmp_path / "var"),
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "regulars.cli", "run", "--port", str(port), "--workers", "1", "--no-demo"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            cwd=settings.BASE_DIR)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None and needle not in self.output():
            time.sleep(0.1)
        return self.output()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_run_serves_the_site_and_stops_both_children_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    run = Run(tmp_path, port)
    try:
        output = run.wait_for_output("Press Ctrl-C", timeout=60)
        assert f"Regulars is running at http://127.0.0.1:{port}/" in output, output
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as answer:
            status = answer.code
        assert 200 <= status < 600

        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=40) == 0, run.output()
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the web server must be gone"
    finally:
        run.stop()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_run_exits_non_zero_when_a_child_dies(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        run = Run(tmp_path, port)  # the web server cannot bind, gives up, and `run` must stop the worker too
        try:
            assert run.process.wait(timeout=60) != 0
            assert "the web process exited" in run.output(), run.output()
        finally:
            run.stop()
