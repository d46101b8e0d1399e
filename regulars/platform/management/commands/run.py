"""`regulars run`: the one-command local start behind `make run`.

Migrates, collects static files, loads the demo network into an empty database, then starts the web server and
the worker as two child processes. Ctrl-C (or SIGTERM) stops both; if either dies, the other is stopped too and
the command exits non-zero.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import Resolver404, resolve

from .serve import default_workers

STOP_GRACE_SECONDS = 15


def database_is_empty() -> bool:
    """No staff and no customers. The models are looked up by name: the kernel imports no business domain."""
    if get_user_model().objects.exists():
        return False
    try:
        customer = apps.get_model("customers", "Customer")
    except LookupError:
        return True
    return not customer.objects.exists()


def prepare_directories() -> None:
    """A fresh clone has no var/: make the SQLite file's folder (and the static root's) before Django needs them."""
    for alias in settings.DATABASES:
        database = settings.DATABASES[alias]
        if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) not in ("", ":memory:"):
            Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def demo_logins() -> list[tuple[str, str, str]]:
    try:
        demo = importlib.import_module("regulars.demo")
    except ModuleNotFoundError as missing:
        if missing.name != "regulars.demo":
            raise
        return []
    return [(str(username), str(password), str(role)) for username, password, role in getattr(demo, "LOGINS", [])]


def wait_for_port(host: str, port: int, *, timeout: float, alive: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Set up the database, load the demo when empty, and run the web server and the worker together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                            help="Port to bind (default 8000, or $PORT).")
        parser.add_argument("--workers", type=int, default=default_workers(), help="Web server processes.")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo into an empty database.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        prepare_directories()
        self.stdout.write("Migrating the database…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not options["no_demo"] and database_is_empty():
            self.load_demo()

        cli = [sys.executable, "-m", "regulars.cli"]  # the system checks ran once already, in this process
        workers = str(options["workers"])
        serve = [*cli, "serve", "--skip-checks", "--host", host, "--port", str(port), "--workers", workers]
        children = {
            "web": subprocess.Popen(serve),  # noqa: S603 - our own interpreter and a fixed argument list
            "worker": subprocess.Popen([*cli, "worker", "--skip-checks"]),  # noqa: S603
        }
        stopping = False

        def forward(signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)

        shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a comparison, not a bind
        wait_for_port(shown_host, port, timeout=30, alive=children["web"])
        if children["web"].poll() is None:
            self.banner(f"http://{shown_host}:{port}/")

        failed = ""
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = f"the {name} process exited with code {child.returncode}"
                    break
            if failed:
                break
            time.sleep(0.3)

        forward(signal.SIGTERM, None)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if failed:
            raise CommandError(f"Stopped: {failed}.")
        self.stdout.write("Stopped.")

    def load_demo(self) -> None:
        try:
            self.stdout.write("The database is empty: loading the demo network…")
            call_command("demo")
        except CommandError as exc:
            if "Unknown command" not in str(exc):
                raise
            self.stdout.write(self.style.WARNING("No `demo` command is installed; starting with an empty database."))

    def banner(self, url: str) -> None:
        lines = ["", "=" * 64, f"  Regulars is running at {url}"]
        try:
            resolve("/api/v1/docs")
            lines.append(f"  REST API docs: {url}api/v1/docs")
        except Resolver404:
            pass
        logins = demo_logins()
        if logins:
            lines.append("  Demo logins:")
            lines.extend(f"    {username:<10} {password}   {role}" for username, password, role in logins)
        lines += ["  The worker is running too. Press Ctrl-C to stop both.", "=" * 64, ""]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
