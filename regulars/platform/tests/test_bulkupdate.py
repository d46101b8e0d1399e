"""update_rows: each row gets its own values, other rows and other columns stay as they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from regulars.platform.bulkupdate import update_rows
from regulars.platform.models import Job

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_nothing_else_changes() -> None:
    now = timezone.now()
    jobs = [Job.objects.create(kind="k", key=f"k{n}", due_at=now, payload={"n": n}) for n in range(5)]
    for n, job in enumerate(jobs[:3]):
        job.status, job.due_at, job.last_error = "done", now + dt.timedelta(minutes=n), f"e{n}"
        job.payload = {"changed": True}  # not in the fields: must not be written
    update_rows(Job, jobs[:3], ["status", "due_at", "last_error"])
    stored = {j.key: j for j in Job.objects.all()}
    assert [(stored[f"k{n}"].status, stored[f"k{n}"].last_error, stored[f"k{n}"].payload) for n in range(5)] == [
        ("done", "e0", {"n": 0}), ("done", "e1", {"n": 1}), ("done", "e2", {"n": 2}),
        ("pending", "", {"n": 3}), ("pending", "", {"n": 4})]
    assert stored["k2"].due_at == now + dt.timedelta(minutes=2)
    with pytest.raises(FieldDoesNotExist):
        update_rows(Job, jobs, ["status", "nope"])
    assert Job.objects.get(key="k0").status == "done"
