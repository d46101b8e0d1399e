"""Reading ahead: the next chunk is read while one is written, and used only when nothing it depends on changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from conftest import World
from regulars.customers.models import Customer
from regulars.exchange import chunk_reading
from regulars.exchange.models import ImportBatch
from regulars.exchange.services import import_configure, import_confirm, import_run_chunk, import_upload
from regulars.org.models import Branch

from .helpers import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_chunks")]

HEADER = "Фамилия;Телефон;Филиал"
ROWS = [f"Клиент{n};+7916777{n:04d};Branch A" for n in range(6)]


@pytest.fixture
def small_chunks() -> object:
    with override_settings(REGULARS_IMPORT_CHUNK=2):
        yield


def _start(world: World) -> ImportBatch:
    actor = world.actor(world.manager_a)
    data = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    batch = import_upload(actor=actor, upload=upload("ahead.csv", data))
    import_configure(actor=actor, batch_id=batch.pk, mapping={"0": "last_name", "1": "phone", "2": "branch"})
    return import_confirm(actor=actor, batch_id=batch.pk)


def test_the_next_chunk_is_taken_from_the_read_ahead(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = _start(world)
    import_run_chunk(batch_id=batch.pk, row=0)
    reads: list[int] = []
    real = chunk_reading.read_chunk

    def counted(handle: Any, info: Any, where: chunk_reading.Where) -> chunk_reading.ChunkRows:
        reads.append(where.row)
        return real(handle, info, where)

    monkeypatch.setattr("regulars.exchange.services.read_chunk", counted)
    import_run_chunk(batch_id=batch.pk, row=2)
    import_run_chunk(batch_id=batch.pk, row=4)
    batch.refresh_from_db()
    assert reads == []  # both chunks came from the thread
    assert (batch.status, batch.created_count, batch.next_row) == ("done", 6, 6)
    assert sorted(Customer.objects.filter(last_name__startswith="Клиент").values_list("last_name", flat=True)) == [
        f"Клиент{n}" for n in range(6)]


def test_a_read_ahead_made_before_a_change_is_not_used(world: World) -> None:
    batch = _start(world)
    import_run_chunk(batch_id=batch.pk, row=0)
    # The branch is renamed between two chunks: rows read ahead found it; read again, they no longer do.
    Branch.objects.filter(pk=world.branch_a.pk).update(name="Renamed")
    import_run_chunk(batch_id=batch.pk, row=2)
    batch.refresh_from_db()
    assert (batch.created_count, batch.rejected_count, batch.next_row) == (2, 2, 4)
    assert sorted(batch.rejections.values_list("row_number", flat=True)) == [4, 5]


def test_take_gives_nothing_for_another_checkpoint(world: World) -> None:
    batch = _start(world)
    import_run_chunk(batch_id=batch.pk, row=0)
    assert chunk_reading._ahead is not None and chunk_reading._ahead.where.row == 2
    other = chunk_reading._ahead.where.__class__(**{**chunk_reading._ahead.where.__dict__, "row": 3})
    assert chunk_reading.take(other) is None and chunk_reading._ahead is None
