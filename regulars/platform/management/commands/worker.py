"""`regulars worker`: claim due jobs from the database and run them until SIGTERM/SIGINT."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from regulars.platform import jobs
from regulars.platform.worker import run_worker


class Command(BaseCommand):
    help = "Run the background worker: claim due jobs, run them, sleep a little when there is nothing to do."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Claim and run one batch, then exit.")
        parser.add_argument("--poll", type=float, default=1.0, metavar="SECONDS",
                            help="How long to sleep when no job is due (default 1).")
        parser.add_argument("--batch", type=int, default=20, help="How many jobs to claim at once (default 20).")
        parser.add_argument("--with-handlers", nargs="+", action="extend", default=[], metavar="MODULE",
                            help="Extra modules exposing HANDLERS, added to settings.REGULARS_JOB_HANDLERS.")

    def handle(self, *args: Any, **options: Any) -> None:
        extra = [m for m in options["with_handlers"] if m not in settings.REGULARS_JOB_HANDLERS]
        if extra:
            settings.REGULARS_JOB_HANDLERS = [*settings.REGULARS_JOB_HANDLERS, *extra]
            jobs.handlers.cache_clear()
        jobs.handlers()  # fail now, not on the first job, if a handler module cannot be imported
        run_worker(poll_seconds=options["poll"], batch=options["batch"], once=options["once"])
