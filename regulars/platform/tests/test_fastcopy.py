"""copy_objects: the same rows as bulk_create, ids set on the objects, defaults and auto_now_add applied."""

from __future__ import annotations

import pytest
from django.utils import timezone

from regulars.platform.fastcopy import COPY_FROM, copy_objects
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
