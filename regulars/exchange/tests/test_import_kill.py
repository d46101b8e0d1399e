"""A real `regulars worker` killed with SIGKILL in the middle of an import, three times: each new worker resumes at
the checkpoint and the final counts and rows are exactly those of one clean run."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count, Sum
from django.test import override_settings

from conftest import World
from regulars.customers.models import ContactPoint, Customer, ExternalRef, TimelineEntry
from regulars.customers.search_index import search_index_present
from regulars.customers.services import customer_create
from regulars.exchange.models import ImportBatch, ImportRejection
from regulars.exchange.services import import_configure, import_confirm, import_upload
from regulars.platform.models import AuditEntry, Event, Job
from regulars.platform.tests.test_worker_kill import TIMEOUT, Worker, database_url_of_this_test, wait_for

from .helpers import upload

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROWS = 6000  # data lines after the header, blank lines included
CHUNK = 200  # REGULARS_IMPORT_CHUNK of the workers: 30 chunks, one job each
BULK_ROWS = 1000  # REGULARS_IMPORT_BULK_ROWS of the bulk variant: the file is a bulk load (PostgreSQL)
CHUNK_SECONDS = 0.12  # the least a chunk takes in these workers (WORKER_BOOT)
LEASE = 2  # REGULARS_WORKER_LEASE_SECONDS: how long a dead worker's job waits before the next worker takes it
SOURCE = "erp"
HEADER = "Код;Фамилия;Имя;Телефон;E-mail;Дата рождения"
MAPPING = {"0": "external_id", "1": "last_name", "2": "first_name", "3": "phone", "4": "email", "5": "birthday"}

# The test settings keep files in memory, which another process cannot read: the worker is started with the
# default storage switched to a folder that the test process uses too (set before Django reads its settings).
WORKER_BOOT = """
import os, sys
import config.settings.test as test_settings
test_settings.STORAGES = {**test_settings.STORAGES, "default": {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": os.environ["REGULARS_TEST_MEDIA_ROOT"]}}}
# A chunk of these workers lasts at least CHUNK_SECONDS, half before its writes and half after: long enough for
# the test to see it running and to kill it either while it reads or after it wrote, on any machine.
import time
import django
django.setup()
from regulars.exchange import services
written = services.write_chunk
def paced(*args, **kwargs):
    time.sleep(float(os.environ["REGULARS_TEST_CHUNK_SECONDS"]) / 2)
    result = written(*args, **kwargs)
    time.sleep(float(os.environ["REGULARS_TEST_CHUNK_SECONDS"]) / 2)
    return result
services.write_chunk = paced
from regulars.cli import main
sys.exit(main(sys.argv[1:]))
"""


class ImportWorker(Worker):
    """test_worker_kill's Worker (pid, output, kill), started with the shared file storage and a small chunk."""

    def __init__(self, log: Path, *, media_root: Path, bulk: bool = False) -> None:
        # Not super().__init__(): that would start a worker without the shared storage.
        self.log = log
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url_of_this_test(),
            "REGULARS_WORKER_LEASE_SECONDS": str(LEASE),
            "REGULARS_IMPORT_CHUNK": str(CHUNK),
            "REGULARS_IMPORT_BULK_CHUNK": str(CHUNK),
            "REGULARS_IMPORT_BULK_ROWS": str(BULK_ROWS if bulk else 10**9),
            "REGULARS_TEST_MEDIA_ROOT": str(media_root),
            "REGULARS_TEST_CHUNK_SECONDS": str(CHUNK_SECONDS),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
        }
        command = [sys.executable, "-c", WORKER_BOOT, "worker", "--poll", "0.1"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            cwd=settings.BASE_DIR)


@pytest.fixture
def media_root(tmp_path: Path) -> Iterator[Path]:
    """The folder both processes keep uploads in (the test process's default storage too, for this test)."""
    root = tmp_path / "media"
    root.mkdir()
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
        yield root


@pytest.fixture
def import_workers(tmp_path: Path, media_root: Path, bulk: bool) -> Iterator[Callable[[str], ImportWorker]]:
    started: list[ImportWorker] = []

    def start(name: str) -> ImportWorker:
        worker = ImportWorker(tmp_path / f"worker-{name}.log", media_root=media_root, bulk=bulk)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


# The file. Every line is one of these kinds; the expected counts are derived from the list of kinds.
CREATED, UPDATED, SAME, REPEAT, BAD_PHONE, BAD_DATE, BLANK = (
    "created", "updated", "same", "repeat", "bad_phone", "bad_date", "blank")
COUNTED_AS = {CREATED: "created", UPDATED: "updated", SAME: "skipped", REPEAT: "skipped",
              BAD_PHONE: "rejected", BAD_DATE: "rejected"}


def new_phone(index: int) -> str:
    return f"+7916{1_000_000 + index:07d}"


def old_phone(number: int) -> str:  # the phones of the cards that exist before the import
    return f"+7926{2_000_000 + number:07d}"


def as_written(phone: str, index: int) -> str:
    """The same number the way people type it: +7…, 8…, with spaces and dashes, without the country code."""
    digits = phone[2:]
    return [phone, f"8{digits}", f"8 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}", digits][index % 4]


@dataclass
class Plan:
    lines: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    phones: set[str] = field(default_factory=set)  # contact values the import adds
    emails: set[str] = field(default_factory=set)
    refs: set[str] = field(default_factory=set)  # external ids the import adds
    rejected_rows: list[int] = field(default_factory=list)  # row numbers as the importer counts them (2 = first)

    def counts_before(self, next_row: int) -> dict[str, int]:
        """created/updated/skipped/rejected of the lines before the checkpoint `next_row`."""
        counted = Counter(COUNTED_AS[k] for k in self.kinds[:next_row] if k != BLANK)
        return {name: counted[name] for name in ("created", "updated", "skipped", "rejected")}

    def data(self) -> bytes:
        return ("\r\n".join([HEADER, *self.lines]) + "\r\n").encode("utf-8")


def plan_file(updated_cards: int, same_cards: int) -> Plan:
    plan = Plan()
    for i in range(ROWS):
        ext, phone = f"K-{i}", new_phone(i)
        if i % 500 == 499:
            kind, line = BLANK, ";;;;;"
        elif i % 250 == 7:
            kind, line = BAD_PHONE, f"{ext};Плохой;Телефон;12345;;"
        elif i % 250 == 130:
            kind, line = BAD_DATE, f"{ext};Плохая;Дата;{as_written(phone, i)};;31.02.1990"
        elif i % 50 == 20 and i // 50 < updated_cards:
            # An existing card found by its phone: a new name and a new external id → updated.
            kind, line = UPDATED, f"{ext};Обновлённый;Клиент{i};{as_written(old_phone(i // 50), i)};;"
            plan.refs.add(ext)
        elif i % 400 == 333 and i // 400 < same_cards:
            # An existing card found by its phone, with nothing new → skipped.
            kind, line = SAME, f";Прежний;Клиент;{as_written(old_phone(10_000 + i // 400), i)};;"
        elif i % 300 == 215 and plan.kinds[i - 100] == CREATED:
            # A line 100 lines up (often in an earlier chunk) again, found by its external id → skipped.
            kind, line = REPEAT, plan.lines[i - 100]
        else:
            kind = CREATED
            email = f"client{i}@example.com" if i % 3 == 0 else ""
            birthday = "15.03.1985" if i % 7 == 0 else ""
            line = f"{ext};Новый{i};Клиент;{as_written(phone, i)};{email};{birthday}"
            plan.phones.add(phone)
            plan.refs.add(ext)
            if email:
                plan.emails.add(email)
        if kind in (BAD_PHONE, BAD_DATE):
            plan.rejected_rows.append(i + 2)
        plan.kinds.append(kind)
        plan.lines.append(line)
    return plan


def existing_cards(world: World, updated_cards: int, same_cards: int) -> None:
    actor = world.actor(world.admin)
    for number in range(updated_cards):
        customer_create(actor=actor, last_name=f"Старый{number}", phones=[old_phone(number)])
    for number in range(same_cards):
        customer_create(actor=actor, last_name="Прежний", first_name="Клиент", phones=[old_phone(10_000 + number)])


@dataclass
class Kill:
    checkpoint: int  # batch.next_row when the worker died
    delay: float  # seconds between the start of the chunk and the SIGKILL (the aim; the exact moment varies)
    interrupted: bool  # it died holding the job of the chunk at the checkpoint (its writes were rolled back)


def boundaries(worker: ImportWorker, batch: ImportBatch, *, until: int) -> list[tuple[float, int]]:
    """Watch the checkpoint closely until it reaches `until`: when each chunk committed, as (time, next_row).
    The worker claims the next chunk's job at once, so a commit is also the start of the next chunk."""
    seen: list[tuple[float, int]] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        batch.refresh_from_db(fields=["next_row", "status"])
        if not seen or seen[-1][1] != batch.next_row:
            seen.append((time.monotonic(), batch.next_row))
        if batch.next_row >= until or batch.status == ImportBatch.Status.DONE:
            return seen
        if worker.process.poll() is not None:
            pytest.fail(f"worker {worker.pid} exited ({worker.process.returncode}):\n{worker.output()}")
        time.sleep(0.005)
    pytest.fail(f"timed out waiting for the checkpoint {until}\n{worker.output()}")


def kill_during_chunk(worker: ImportWorker, batch: ImportBatch, *, chunk_at: int, into: float) -> Kill:
    """SIGKILL the worker `into` (a fraction of how long a chunk takes it) after the chunk at row `chunk_at`
    starts, and say where it died. Early in a chunk the rows are being read; late, they are being written."""
    def running(row: int) -> bool:
        return Job.objects.filter(key=f"import:{batch.pk}:{row}", status=Job.Status.RUNNING,
                                  locked_by__endswith=f":{worker.pid}").exists()

    delay = 0.0
    if chunk_at == 0:
        wait_for(lambda: running(0), "the worker to start the first chunk", worker)
    else:
        wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).next_row >= chunk_at - 3 * CHUNK,
                 f"the worker to come near row {chunk_at}", worker)
        seen = boundaries(worker, batch, until=chunk_at)
        (first, first_row), (last, last_row) = seen[0], seen[-1]
        if len(seen) > 2:  # seen[0] is where watching began, not a commit: measure from the first commit seen
            (first, first_row) = seen[1]
            delay = into * (last - first) / ((last_row - first_row) / CHUNK)
        time.sleep(max(0.0, delay - (time.monotonic() - last)))
    worker.kill()  # SIGKILL: no cleanup code runs, the open transaction dies with the connection
    assert worker.process.returncode == -signal.SIGKILL
    batch.refresh_from_db(fields=["next_row"])
    job = Job.objects.filter(key=f"import:{batch.pk}:{batch.next_row}").first()
    return Kill(checkpoint=batch.next_row, delay=round(delay, 3), interrupted=job is not None
                and job.status == Job.Status.RUNNING and job.locked_by.endswith(f":{worker.pid}"))


def assert_checkpoint_consistent(batch: ImportBatch, plan: Plan, customers_before: int) -> None:
    """What is committed is exactly the rows before the checkpoint: no half chunk, nothing lost."""
    batch.refresh_from_db()
    expected = plan.counts_before(batch.next_row)
    got = {"created": batch.created_count, "updated": batch.updated_count, "skipped": batch.skipped_count,
           "rejected": batch.rejected_count}
    assert got == expected, f"counts at checkpoint {batch.next_row}"
    assert Customer.objects.count() == customers_before + expected["created"]
    assert ImportRejection.objects.filter(batch=batch).count() == expected["rejected"]


@pytest.fixture(params=[False, True], ids=["kept-index", "bulk-load"])
def bulk(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Both ways an import runs: the search index kept up, and a bulk load (PostgreSQL only) that drops it."""
    if request.param and connection.vendor != "postgresql":
        pytest.skip("bulk loads are PostgreSQL's")
    with override_settings(REGULARS_IMPORT_BULK_ROWS=BULK_ROWS if request.param else 10**9,
                           REGULARS_IMPORT_BULK_CHUNK=CHUNK):
        yield request.param


def test_a_worker_killed_three_times_mid_import_resumes_and_the_counts_are_those_of_one_run(
    world: World, import_workers: Callable[[str], ImportWorker], bulk: bool
) -> None:
    updated_cards, same_cards = ROWS // 50, ROWS // 400
    existing_cards(world, updated_cards, same_cards)
    plan = plan_file(updated_cards, same_cards)
    expected = plan.counts_before(ROWS)
    assert expected == {"created": 5785, "updated": 120, "skipped": 35, "rejected": 48}  # the plan, spelled out
    before = {"customers": Customer.objects.count(), "contacts": ContactPoint.objects.count(),
              "refs": ExternalRef.objects.count()}
    old_contacts = set(ContactPoint.objects.values_list("value", flat=True))

    actor = world.actor(world.manager_a)
    batch = import_upload(actor=actor, upload=upload("clients.csv", plan.data()))
    import_configure(actor=actor, batch_id=batch.pk, mapping=MAPPING, on_match="update", source=SOURCE)
    batch = import_confirm(actor=actor, batch_id=batch.pk)
    assert batch.total_rows == ROWS - plan.kinds.count(BLANK) and batch.bulk_load == bulk
    chunks = math.ceil(ROWS / CHUNK)
    last_chunk = (chunks - 1) * CHUNK

    # Kill the worker as the first chunk starts (reading rows), late in a chunk in the middle of the file (writing
    # them) and half-way through the last chunk; after each kill the committed state is exactly that of the rows
    # before the checkpoint: no half chunk, nothing lost.
    kills: list[Kill] = []
    for number, (chunk_at, into) in enumerate([(0, 0.0), (ROWS // 2, 0.65), (last_chunk, 0.45)], start=1):
        kills.append(kill_during_chunk(import_workers(f"killed-{number}"), batch, chunk_at=chunk_at, into=into))
        assert kills[-1].checkpoint >= chunk_at
        assert_checkpoint_consistent(batch, plan, before["customers"])
    assert any(k.interrupted for k in kills), f"no kill hit a running chunk: {kills}"

    final = import_workers("final")
    wait_for(lambda: ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.DONE,
             "the last worker to finish the import", final)
    final.kill()

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.next_row == ROWS and batch.finished_at is not None
    assert (batch.created_count, batch.updated_count, batch.skipped_count, batch.rejected_count) == (
        expected["created"], expected["updated"], expected["skipped"], expected["rejected"])

    # Exactly the rows of one clean import: no card, contact or external id twice, none missing.
    assert Customer.objects.count() == before["customers"] + expected["created"]
    assert ContactPoint.objects.count() == before["contacts"] + len(plan.phones) + len(plan.emails)
    assert ExternalRef.objects.count() == before["refs"] + len(plan.refs)
    assert set(ContactPoint.objects.values_list("value", flat=True)) == old_contacts | plan.phones | plan.emails
    assert set(ExternalRef.objects.filter(source=SOURCE).values_list("value", flat=True)) == plan.refs
    assert not Customer.objects.filter(last_name__startswith="Новый").values("last_name").annotate(
        n=Count("id")).filter(n__gt=1).exists(), "a card created twice"
    assert Customer.objects.filter(last_name="Обновлённый").count() == expected["updated"]
    assert TimelineEntry.objects.filter(kind="customer.imported").count() == expected["created"] + expected["updated"]
    assert Event.objects.filter(name="import.chunk_done", subject_id=batch.pk).count() == chunks
    assert AuditEntry.objects.filter(action="import.finish", object_id=str(batch.pk)).count() == 1

    # Each rejected row has exactly one rejection.
    rejections = dict(ImportRejection.objects.filter(batch=batch).values_list("row_number", "reason"))
    assert sorted(rejections) == plan.rejected_rows
    assert ImportRejection.objects.filter(batch=batch).count() == len(plan.rejected_rows)
    for row_number, reason in rejections.items():
        kind = plan.kinds[row_number - 2]
        assert reason.startswith("Phone:" if kind == BAD_PHONE else "Birthday:"), (row_number, reason)

    # No job failed; one job per chunk, each done, and a chunk run again only after a kill interrupted it.
    assert not Job.objects.filter(status=Job.Status.FAILED).exists()
    jobs = Job.objects.filter(kind="exchange.import_chunk")
    assert list(jobs.values_list("status", flat=True).distinct()) == [Job.Status.DONE]
    assert jobs.count() == chunks
    assert jobs.aggregate(n=Sum("attempts"))["n"] == chunks + sum(k.interrupted for k in kills), kills
    # A bulk load ended with its search index built again; the watch has nothing left to do.
    assert search_index_present()
    assert dict(Job.objects.filter(kind="exchange.import_index").values_list("key", "status")) == (
        {f"import:{batch.pk}:index": Job.Status.DONE, f"import:{batch.pk}:index-watch": Job.Status.PENDING}
        if bulk else {})
