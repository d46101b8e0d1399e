"""Importing a messy file: exact counts and reasons, re-import is a no-op, resume after a crash, rollback."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from conftest import World
from regulars.customers.models import Consent, ContactPoint, Customer, ExternalRef, TimelineEntry
from regulars.exchange.models import ImportBatch
from regulars.exchange.services import import_configure, import_confirm, import_preview, import_run_chunk, import_upload
from regulars.platform.models import AuditEntry, Job

from .helpers import MAPPING, db_counts, existing_customers, messy_csv, run_jobs, upload

pytestmark = pytest.mark.django_db


def _start(world: World, data: bytes, *, name: str = "clients.csv", on_match: str = "update",
           mapping: dict[str, str] | None = None) -> ImportBatch:
    actor = world.actor(world.manager_a)
    batch = import_upload(actor=actor, upload=upload(name, data))
    import_configure(actor=actor, batch_id=batch.pk, mapping=mapping or MAPPING, on_match=on_match,
                     consent_source="paper form 2019", source="erp")
    return import_confirm(actor=actor, batch_id=batch.pk)


def _counts(batch: ImportBatch) -> tuple[int, int, int, int]:
    batch.refresh_from_db()
    return batch.created_count, batch.updated_count, batch.skipped_count, batch.rejected_count


def test_messy_cp1251_csv_gives_exact_counts_and_reasons(world: World) -> None:
    existing = existing_customers(world)
    before = Customer.objects.count()
    batch = _start(world, messy_csv())
    assert (batch.encoding, batch.delimiter, batch.total_rows) == ("cp1251", ";", 10)
    assert run_jobs() == 1
    assert _counts(batch) == (2, 3, 2, 3)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE and batch.next_row == 11
    assert Customer.objects.count() == before + 2
    reasons = {r.row_number: r.reason for r in batch.rejections.all()}
    assert sorted(reasons) == [8, 9, 10]
    assert reasons[8] == "Phone: 12345 is not a valid phone number"
    assert reasons[9] == "Birthday: 31.02.1990 is not a date (dd.mm.yyyy or yyyy-mm-dd)"
    assert reasons[10] == "Branch (by name): unknown branch Филиал Х"
    assert batch.rejections.get(row_number=10).raw[1] == "Неизвестный"

    by_ext = Customer.objects.get(pk=existing["ext"].pk)
    assert (by_ext.last_name, by_ext.first_name, by_ext.birthday) == ("Иванов", "Иван", dt.date(1980, 2, 1))
    assert by_ext.home_branch_id == world.branch_a.pk
    assert "иванов" in by_ext.search_text and "79160000001" in by_ext.search_text
    assert list(by_ext.tags.values_list("name", flat=True)) == ["vip"]
    consent = Consent.objects.get(customer=by_ext)
    assert (consent.channel, consent.purpose, consent.granted, consent.source) == (
        "sms", "marketing", True, "paper form 2019")
    by_phone = Customer.objects.get(pk=existing["phone"].pk)
    assert by_phone.last_name == "Петров"
    assert ExternalRef.objects.get(source="erp", value="A-101").customer_id == by_phone.pk
    assert Customer.objects.get(pk=existing["email"].pk).home_branch_id == world.branch_b.pk

    oleg = Customer.objects.get(contacts__value="+79160000010")
    assert oleg.full_name == "Новиков Олег" and oleg.contacts.count() == 1
    maria = Customer.objects.get(contacts__value="maria@example.com")
    assert set(maria.contacts.values_list("value", flat=True)) == {"+79160000011", "maria@example.com"}
    assert maria.birthday == dt.date(1985, 3, 15) and maria.contacts.filter(is_primary=True).count() == 2
    assert sorted(maria.tags.values_list("name", flat=True)) == ["new", "vip"]
    assert Consent.objects.get(customer=maria).granted is False
    assert ExternalRef.objects.filter(customer=maria).count() == 1
    # Nothing of the rejected rows was written.
    assert not ContactPoint.objects.filter(value__in=["+79160000012", "+79160000013"]).exists()
    assert not ExternalRef.objects.filter(value__in=["A-105", "A-106", "A-107"]).exists()
    # One timeline entry per touched card, from one event for the chunk.
    entries = TimelineEntry.objects.filter(kind="customer.imported")
    assert sorted(entries.values_list("customer_id", flat=True)) == sorted(
        [existing["ext"].pk, existing["phone"].pk, existing["email"].pk, oleg.pk, maria.pk])
    assert entries.first().summary == "Imported from clients.csv"  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="import.finish", object_id=str(batch.pk)).count() == 1


def test_reimport_changes_nothing(world: World) -> None:
    existing_customers(world)
    _start(world, messy_csv())
    run_jobs()
    before = db_counts()
    again = _start(world, messy_csv())
    run_jobs()
    assert _counts(again) == (0, 0, 7, 3)
    assert db_counts() == before


def test_on_match_skip_leaves_existing_cards_alone(world: World) -> None:
    existing = existing_customers(world)
    batch = _start(world, messy_csv(), on_match="skip")
    run_jobs()
    assert _counts(batch) == (2, 0, 5, 3)
    assert Customer.objects.get(pk=existing["ext"].pk).last_name == "Старый"
    assert not Consent.objects.filter(customer=existing["ext"]).exists()


@override_settings(REGULARS_IMPORT_CHUNK=3)
def test_a_crash_between_chunks_resumes_without_doubles(world: World) -> None:
    existing_customers(world)
    batch = _start(world, messy_csv())
    import_run_chunk(batch_id=batch.pk, row=0)  # the first chunk ran and committed; then the worker died
    batch.refresh_from_db()
    assert (batch.next_row, batch.status, batch.created_count + batch.updated_count) == (3, "running", 3)
    import_run_chunk(batch_id=batch.pk, row=0)  # a repeated job for a chunk already done does nothing
    batch.refresh_from_db()
    assert batch.next_row == 3
    run_jobs()  # a new worker takes the remaining due jobs (the one for row 0 and the next chunk's)
    assert _counts(batch) == (2, 3, 2, 3)
    assert Customer.objects.count() == 5
    assert ContactPoint.objects.filter(value="+79160000010").count() == 1
    assert ImportBatch.objects.get(pk=batch.pk).rejections.count() == 3


def test_an_error_inside_a_chunk_rolls_the_chunk_back(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    existing_customers(world)
    before = db_counts()
    batch = _start(world, messy_csv())

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("regulars.exchange.services.publish", boom)
    run_jobs()
    batch.refresh_from_db()
    assert (batch.next_row, batch.created_count, batch.rejected_count, batch.status) == (0, 0, 0, "queued")
    assert db_counts() == before
    assert Job.objects.get(kind="exchange.import_chunk").last_error.find("disk full") >= 0


def test_preview_shows_rows_as_stored_and_problems_before_writing(world: World) -> None:
    actor = world.actor(world.manager_a)
    batch = import_upload(actor=actor, upload=upload("clients.csv", messy_csv()))
    assert batch.mapping["1"] == "last_name" and batch.mapping["3"] == "phone" and batch.mapping["5"] == "birthday"
    import_configure(actor=actor, batch_id=batch.pk, mapping=MAPPING, source="erp")
    before = db_counts()
    preview = import_preview(batch)
    assert db_counts() == before
    assert (preview["checked"], preview["valid"], preview["invalid"]) == (10, 7, 3)
    assert preview["rows"][0]["phones"] == ["+79160000001"] and preview["rows"][0]["birthday"] == "01.02.1980"
    assert [p["row"] for p in preview["problems"]] == [8, 9, 10]
    # The mapping is remembered for the next file with the same columns.
    second = import_upload(actor=actor, upload=upload("again.csv", messy_csv()))
    assert second.mapping == MAPPING


@pytest.mark.parametrize(("text", "expected"), [
    ("01.02.1980", dt.date(1980, 2, 1)), ("1980-02-01", dt.date(1980, 2, 1)), ("1/2/1980", dt.date(1980, 2, 1)),
    ("01.02.80", dt.date(1980, 2, 1)), ("29221", dt.date(1980, 1, 1)), ("1980-02-01 00:00:00", dt.date(1980, 2, 1)),
])
def test_dates_in_the_usual_forms(text: str, expected: dt.date) -> None:
    from regulars.exchange.normalising import parse_date

    assert parse_date(text, dt.date(2026, 1, 1)) == expected


@pytest.mark.parametrize("text", ["31.02.1990", "2030-01-01", "01.01.1850", "вчера", "13/13/2000"])
def test_bad_dates_are_refused(text: str) -> None:
    from regulars.exchange.normalising import parse_date

    with pytest.raises(ValueError):
        parse_date(text, dt.date(2026, 1, 1))
