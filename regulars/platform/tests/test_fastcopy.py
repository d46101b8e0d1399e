"""copy_objects: the same rows as bulk_create, ids set on the objects, defaults and auto_now_add applied."""

from __future__ import annotations

import pytest
from django.utils import timezone

from regulars.platform.fastcopy import COPY_FROM, copy_objects, insert_columns, values_in
from regulars.platform.models import Event, Job

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, COPY_FROM, COPY_FROM * 3])
def test_copied_rows_read_back_as_they_were_built(count: int) -> None:
    now = timezone.now()
    events = [Event(name="x.happened", occurred_at=now, subject_type="thing", subject_id=n,
                    payload={"n": n, "text": 'кавычки " и \\ слэши', "nested": {"list": [1, None, True]}})
              for n in range(count)]
    copied = copy_objects(Event, events)
    assert all(a is b for a, b in zip(copied, events, strict=True))
    assert all(e.pk is not None for e in events) and len({e.pk for e in events}) == count
    assert [(e.subject_id, e.payload) for e in Event.objects.filter(pk__in=[e.pk for e in events]).order_by(
        "subject_id")] == [(n, events[n].payload) for n in range(count)]
    jobs = copy_objects(Job, [Job(kind="k", key=f"k{n}", due_at=now) for n in range(count)])
    stored = Job.objects.get(pk=jobs[-1].pk)
    assert (stored.status, stored.max_attempts, stored.created_at is not None) == ("pending", 5, True)


def test_values_in_finds_exactly_the_rows_asked_for_in_one_go_or_in_batches() -> None:
    now = timezone.now()
    copy_objects(Job, [Job(kind="a" if n % 2 else "b", key=f"k{n}", due_at=now) for n in range(2000)])
    wanted = [f"k{n}" for n in range(0, 2000, 3)] + ["missing"]  # more than one SQLite batch of 900
    found = values_in(Job, "key", wanted, select=("key", "kind"), kind="a")
    assert sorted(found) == sorted((f"k{n}", "a") for n in range(0, 2000, 3) if n % 2)
    assert values_in(Job, "key", [], select=("key",)) == []


def test_insert_columns_writes_the_given_columns_and_encodes_shared_json_once_per_object() -> None:
    now, shared = timezone.now(), {"file": "клиенты.csv", "n": [1, 2]}
    insert_columns(Event, ("name", "occurred_at", "subject_type", "subject_id", "payload"),
                   [("x.done", now, "thing", n, shared if n < 3 else {"n": n}) for n in range(5)])
    stored = list(Event.objects.filter(name="x.done").order_by("subject_id").values_list("subject_id", "payload"))
    assert stored == [(0, shared), (1, shared), (2, shared), (3, {"n": 3}), (4, {"n": 4})]

