"""`regulars serve`: the web server running config.wsgi (granian by default, gunicorn on request; whitenoise
serves the static files). Why granian: docs/adr/0009-granian.md."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

SERVERS = ("granian", "gunicorn")


def default_workers() -> int:
    """One granian process per core (each runs its own HTTP loop in Rust and Python threads for the app)."""
    return max(2, os.cpu_count() or 1)


def granian_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", host, "--port", str(port),
        "--workers", str(workers),
        # Python threads per process for the app: a request waiting for the database lets another one run. Few,
        # because the GIL serialises the rest; granian's default (hundreds) only adds switching.
        "--blocking-threads", str(threads),
        "--no-ws",
        "--workers-kill-timeout", "20",
        "config.wsgi:application",
    ]


def gunicorn_has_setting(name: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == name for setting in KNOWN_SETTINGS)


def gunicorn_argv(*, host: str, port: int, workers: int) -> list[str]:
    argv = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--timeout", "60",
        "--graceful-timeout", "20",
        "--error-logfile", "-",
    ]
    if gunicorn_has_setting("control_socket_disable"):
        # gunicorn >= 25 opens a control socket at one fixed path per user; two servers would fight over it.
        argv.append("--no-control-socket")
    return argv


def static_files_collected() -> bool:
    root = Path(settings.STATIC_ROOT)
    return root.is_dir() and any(root.iterdir())


class Command(BaseCommand):
    help = "Serve the site with granian or gunicorn (replaces this process)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                            help="Address to bind (default 127.0.0.1, or $HOST).")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                            help="Port to bind (default 8000, or $PORT).")
        parser.add_argument("--server", choices=SERVERS, default=os.environ.get("REGULARS_SERVER", "granian"),
                            help="HTTP server (default granian, or $REGULARS_SERVER).")
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="Server processes (default: one per CPU core, at least 2).")
        parser.add_argument("--threads", type=int, default=int(os.environ.get("REGULARS_SERVER_THREADS", "2")),
                            help="granian: Python threads per process (default 2, or $REGULARS_SERVER_THREADS).")

    def handle(self, *args: Any, **options: Any) -> None:
        if not static_files_collected():
            call_command("collectstatic", interactive=False, verbosity=0)
        if options["server"] == "gunicorn":
            argv = gunicorn_argv(host=options["host"], port=options["port"], workers=options["workers"])
        else:
            argv = granian_argv(host=options["host"], port=options["port"], workers=options["workers"],
                                threads=options["threads"])
        sys.stdout.flush()
        sys.stderr.flush()
        # DJANGO_SETTINGS_MODULE and the rest of the environment pass on to the server unchanged.
        os.execv(sys.executable, argv)  # noqa: S606 - a fixed argument list, no shell
