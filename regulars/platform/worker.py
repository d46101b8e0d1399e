"""The worker process: claim due rows, run them, sleep a little when there is nothing to do."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from functools import partial
from types import FrameType

from django.db import close_old_connections

from .jobs import jobs_run_due, pollers

log = logging.getLogger("regulars.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_worker(*, poll_seconds: float = 1.0, batch: int = 20, once: bool = False) -> None:
    """Loop until SIGTERM/SIGINT. A stop request lets the current job finish; SIGKILL is covered by the lease."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: signal %s, stopping after the current job", me, signum)
        stop.set()

    me = worker_id()
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    log.info("worker %s started", me)
    while not stop.is_set():
        close_old_connections()
        taken = 0
        # Jobs, then the domains with due-row tables of their own (messages). A database hiccup in one must not
        # kill the worker nor starve the others; each retries on the next tick.
        polls: list[Callable[..., int]] = [partial(jobs_run_due, limit=batch), *pollers()]
        for poll in polls:
            try:
                taken += poll(worker_id=me)
            except Exception:
                log.exception("worker %s: claiming failed in %s", me, getattr(poll, "__qualname__", poll))
        if once:
            break
        if taken == 0:
            stop.wait(poll_seconds)
    log.info("worker %s stopped", me)
    time.sleep(0)
