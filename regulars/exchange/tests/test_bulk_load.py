"""Bulk loads (PostgreSQL): the search index comes down for the load and is built again at the end or, if the import
dies, by the watch; the rows and counts are those of an ordinary import."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.search_index import search_index_present
from regulars.customers.selectors import CustomerFilters, customer_search
from regulars.customers.services import customer_create
from regulars.exchange.models import ImportBatch
from regulars.exchange.selectors import import_progress
from regulars.exchange.services import import_configure, import_confirm, import_upload
from regulars.platform.jobs import job_run
from regulars.platform.models import AuditEntry, Job

from .helpers import MAPPING, existing_customers, messy_csv, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bulk_settings")]
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigram index is PostgreSQL's")


@pytest.fixture
def bulk_settings() -> object:
    with override_settings(REGULARS_IMPORT_BULK_ROWS=5, REGULARS_IMPORT_BULK_CHUNK=4):
        yield


def _start(world: World) -> ImportBatch:
    actor = world.actor(world.manager_a)
    batch = import_upload(actor=actor, upload=upload("clients.csv", messy_csv()))
    import_configure(actor=actor, batch_id=batch.pk, mapping=MAPPING, source="erp")
    return import_confirm(actor=actor, batch_id=batch.pk)


def _run_next(kind: str = "exchange.import_chunk") -> Job:
    """Run the one due job of this kind, as the worker would."""
    job = Job.objects.get(kind=kind, status=Job.Status.PENDING, due_at__lte=timezone.now())
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, locked_by="test-worker", attempts=F("attempts") + 1,
                                         lease_until=timezone.now() + timedelta(minutes=1))
    job.refresh_from_db()
    job_run(job, worker_id="test-worker")
    job.refresh_from_db()
    return job


def _found(world: World, text: str) -> list[str]:
    return [c.last_name for c in customer_search(world.admin, CustomerFilters(q=text))]


@postgres_only
def test_the_index_is_down_during_the_load_and_built_at_the_end(world: World) -> None:
    existing_customers(world)
    batch = _start(world)
    assert batch.bulk_load and batch.total_rows == 10

    _run_next()  # rows 0–3, and the index goes
    batch.refresh_from_db()
    assert (batch.status, batch.next_row, search_index_present()) == ("running", 4, False)
    assert _found(world, "9160000010") == ["Новиков"]  # the search box still finds cards, by a scan
    assert Job.objects.get(key=f"import:{batch.pk}:index-watch").due_at > timezone.now() + timedelta(minutes=20)

    _run_next(), _run_next()  # rows 4–7, then 8–10: every row is in
    batch.refresh_from_db()
    assert (batch.status, batch.next_row, search_index_present()) == ("indexing", 11, False)
    assert (import_progress(batch)["percent"], import_progress(batch)["finished"]) == (100, False)
    assert not AuditEntry.objects.filter(action="import.finish").exists()

    assert _run_next("exchange.import_index").status == Job.Status.DONE
    batch.refresh_from_db()
    assert (batch.status, batch.finished_at is not None, search_index_present()) == ("done", True, True)
    assert (batch.created_count, batch.updated_count, batch.skipped_count, batch.rejected_count) == (2, 3, 2, 3)
    assert AuditEntry.objects.filter(action="import.finish", object_id=str(batch.pk)).count() == 1
    with connection.cursor() as cursor:  # the rebuilt index is the migration's, and the planner uses it
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'customer_search_trgm'")
        assert "gin (search_text gin_trgm_ops)" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM customers_customer WHERE search_text LIKE '%%новиков%%'")
        assert "customer_search_trgm" in " ".join(row[0] for row in cursor.fetchall())

    # The watch finds the import done and leaves everything as it is.
    Job.objects.filter(key=f"import:{batch.pk}:index-watch").update(due_at=timezone.now())
    assert _run_next("exchange.import_index").status == Job.Status.DONE
    assert AuditEntry.objects.filter(action="import.finish").count() == 1


@postgres_only
def test_the_watch_waits_for_a_live_import_and_restores_the_index_of_a_dead_one(world: World) -> None:
    batch = _start(world)
    _run_next()
    watch = Job.objects.get(key=f"import:{batch.pk}:index-watch")
    Job.objects.filter(pk=watch.pk).update(due_at=timezone.now())

    assert _run_next("exchange.import_index").status == Job.Status.PENDING  # the next chunk is due: it waits
    watch.refresh_from_db()
    assert watch.due_at > timezone.now() + timedelta(minutes=20) and not search_index_present()

    Job.objects.filter(key=f"import:{batch.pk}:4").update(status=Job.Status.FAILED)  # the import died for good
    Job.objects.filter(pk=watch.pk).update(due_at=timezone.now())
    assert _run_next("exchange.import_index").status == Job.Status.DONE
    assert search_index_present()
    batch.refresh_from_db()
    assert (batch.status, batch.next_row) == ("running", 4)  # the rows it took stay; nothing pretends it finished


@postgres_only
def test_the_watch_finishes_an_import_whose_build_failed_for_good(world: World) -> None:
    batch = _start(world)
    for _chunk in range(3):
        _run_next()
    Job.objects.filter(key=f"import:{batch.pk}:index").update(status=Job.Status.FAILED, last_error="out of memory")
    batch.refresh_from_db()
    assert (batch.status, search_index_present()) == ("indexing", False)
    Job.objects.filter(key=f"import:{batch.pk}:index-watch").update(due_at=timezone.now())
    assert _run_next("exchange.import_index").status == Job.Status.DONE
    batch.refresh_from_db()
    assert (batch.status, search_index_present()) == ("done", True)
    assert AuditEntry.objects.filter(action="import.finish", object_id=str(batch.pk)).count() == 1


@postgres_only
def test_a_file_small_beside_the_table_keeps_the_index_up(world: World) -> None:
    actor = world.actor(world.admin)
    for number in range(25):
        customer_create(actor=actor, last_name=f"Клиент{number}", phones=[f"+7926555{number:04d}"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    batch = _start(world)
    assert Customer.objects.count() > 2 * (batch.total_rows or 0) and not batch.bulk_load
    while Job.objects.filter(kind="exchange.import_chunk", status=Job.Status.PENDING).exists():
        _run_next()
    batch.refresh_from_db()
    assert (batch.status, search_index_present()) == ("done", True)
    assert not Job.objects.filter(kind="exchange.import_index").exists()


def test_sqlite_has_no_bulk_mode(world: World) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's behaviour")
    batch = _start(world)
    assert not batch.bulk_load
    while Job.objects.filter(kind="exchange.import_chunk", status=Job.Status.PENDING).exists():
        _run_next()
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.rejected_count) == ("done", 5, 3)


@postgres_only
def test_a_busy_card_table_keeps_its_index_rather_than_queue_every_reader(world: World) -> None:
    import psycopg

    from regulars.customers.search_index import search_index_drop

    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "host", "port", "user")}) as reader:
        reader.execute("SELECT count(*) FROM customers_customer")  # a long report holds the table (open transaction)
        started = timezone.now()
        assert search_index_drop(wait_seconds=1) is False
        assert timedelta(seconds=0.9) < timezone.now() - started < timedelta(seconds=5)
    assert search_index_present()
    with connection.cursor() as cursor:  # the lock wait was the drop's own: the setting is back as it was
        cursor.execute("SELECT current_setting('lock_timeout')")
        assert cursor.fetchone()[0] == "0"
    assert search_index_drop() is True and not search_index_present()
