"""The e-mail dispatch benchmark: messages queued through `message_send` and sent by real `regulars worker`
processes to a local SMTP sink, with all the database bookkeeping (claim with a lease, the rules re-checked,
the outcome, the timeline event), against a bare smtplib loop sending prebuilt messages to the same sink in the
same run.

Run on its own: `python -m bench.emailbench [--messages N] [--workers N] [--json PATH]`; `python -m bench` runs it
after the other parts, in a subprocess (Django there points at its own database).
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from . import config, generate
from .server import free_port

DB = config.Database(name=config.DB_NAME + "_mail")
DEFAULT_MESSAGES = 5000
DEFAULT_WORKERS = 2
TIMEOUT_SECONDS = 900


def say(message: str) -> None:
    print(message, flush=True)


class SinkProcess:
    def __init__(self) -> None:
        self.port = free_port()
        self.count_file = Path(tempfile.mkstemp(prefix="bench-sink-")[1])
        self.process = subprocess.Popen([sys.executable, "-m", "bench.smtpsink", str(self.port), str(self.count_file)],
                                        cwd=config.ROOT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def count(self) -> int:
        text = self.count_file.read_text().strip()
        return int(text or 0)

    def stop(self) -> int:
        self.process.terminate()
        self.process.wait(10)
        count = self.count()
        self.count_file.unlink(missing_ok=True)
        return count


def baseline(port: int, n: int) -> float:
    """Seconds for a bare smtplib loop over one connection, the messages built beforehand (not timed)."""
    prebuilt = []
    for i in range(n):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "shop@example.com", f"c{i}@example.com", "Ваш заказ"
        message.set_content(f"Здравствуйте! Заказ №{i} готов.")
        prebuilt.append((f"c{i}@example.com", message.as_bytes()))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for to, raw in prebuilt:
            client.sendmail("shop@example.com", [to], raw)
    return time.perf_counter() - started


def _prepare(n: int, port: int) -> None:
    """Customers with e-mails (inserted in bulk: they are not what is measured), the sink as the SMTP account."""
    import datetime as dt

    from django.utils import timezone

    from regulars.customers.models import ContactPoint, Customer
    from regulars.messaging.models import MessagingPolicy, ProviderAccount

    now = timezone.now()
    Customer.objects.bulk_create([Customer(first_name=f"Клиент{i}", created_at=now, updated_at=now)
                                  for i in range(n)], batch_size=2000)
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    ContactPoint.objects.bulk_create([ContactPoint(customer_id=cid, kind="email", value=f"c{i}@example.com",
                                                   is_primary=True, created_at=now) for i, cid in enumerate(ids)],
                                     batch_size=2000)
    ProviderAccount.objects.create(channel="email", provider="email", name="sink", sender="shop@example.com",
                                   config={"backend": "django.core.mail.backends.smtp.EmailBackend",
                                           "host": "127.0.0.1", "port": port, "timeout": 10})
    # The run must not depend on the hour it starts at.
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))


def _queue(n: int) -> float:
    from regulars.customers.models import Customer
    from regulars.messaging.services import message_send
    from regulars.platform.actor import Actor

    actor = Actor.system("bench")
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))[:n]
    started = time.perf_counter()
    for i, customer_id in enumerate(ids):
        message_send(actor=actor, customer_id=customer_id, channel="email", subject="Ваш заказ",
                     text="Здравствуйте, {{ customer.first_name }}! Заказ готов.", idempotency_key=f"bench:{i}")
    return time.perf_counter() - started


def _dispatch(n: int, workers: int) -> float:
    """Seconds from the moment the queued messages fall due (the workers already polling: a worker's start-up is
    not dispatch) until none is left queued or sending."""
    import datetime as dt

    from django.utils import timezone

    from regulars.messaging.models import Message

    Message.objects.update(due_at=timezone.now() + dt.timedelta(days=1))
    env = dict(os.environ, DATABASE_URL=DB.url, DEBUG="false", DJANGO_SETTINGS_MODULE="config.settings.local",
               PYTHONUNBUFFERED="1", LOG_LEVEL="INFO")
    logs = [Path(tempfile.mkstemp(prefix="bench-worker-")[1]) for _ in range(workers)]
    processes = []
    for log in logs:
        with log.open("wb") as out:
            processes.append(subprocess.Popen([str(config.ROOT / ".venv" / "bin" / "regulars"), "worker",
                                               "--poll", "0.05"], env=env, stdout=out, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 60
        while not all(" started" in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            time.sleep(0.05)
        started = time.perf_counter()
        Message.objects.update(due_at=timezone.now())
        while Message.objects.filter(status__in=("queued", "sending")).exists():
            if time.perf_counter() - started > TIMEOUT_SECONDS:
                raise RuntimeError("the messages were not sent in time")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        for log in logs:
            log.unlink(missing_ok=True)


def run(n: int, workers: int) -> dict[str, Any]:
    say(f"E-mail benchmark: {n:,} messages, {workers} workers, into a freshly migrated {DB.name} …")
    machine = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "cores": os.cpu_count(),
               "load_at_start": [round(x, 2) for x in os.getloadavg()]}
    generate.recreate_database(DB)
    generate.setup_django(DB)
    generate.migrate()
    sink = SinkProcess()
    try:
        say("  baseline: a bare smtplib loop …")
        bare = baseline(sink.port, n)
        after_baseline = sink.count()
        say(f"  smtplib: {n / bare:,.0f} messages/s")
        _prepare(n, sink.port)
        queue_seconds = _queue(n)
        say(f"  queued through message_send: {n / queue_seconds:,.0f} messages/s")
        dispatch_seconds = _dispatch(n, workers)
        say(f"  sent by the workers: {n / dispatch_seconds:,.0f} messages/s")
    finally:
        received = sink.stop()
    from regulars.messaging.models import Message

    statuses = {s: Message.objects.filter(status=s).count() for s in ("sent", "failed", "queued", "sending",
                                                                         "suppressed")}
    return {"messages": n, "workers": workers, "baseline_seconds": bare, "queue_seconds": queue_seconds,
            "dispatch_seconds": dispatch_seconds, "received_by_sink": received - after_baseline,
            "statuses": statuses, "ambiguous": Message.objects.filter(ambiguous=True).count(), **machine}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.emailbench", description=__doc__)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = run(args.messages, args.workers)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    else:
        say(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
