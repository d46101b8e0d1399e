"""A handler marked outside_transaction runs with no transaction open (a slow call holds no lock) and its job is
still finished under the lease; an ordinary handler runs inside the transaction that marks it done."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection

from regulars.platform import jobs
from regulars.platform.jobs import job_schedule, jobs_run_due, outside_transaction
from regulars.platform.models import Job

pytestmark = pytest.mark.django_db(transaction=True)


def test_outside_handlers_run_with_no_transaction_and_ordinary_ones_inside() -> None:
    seen: dict[str, bool] = {}

    @outside_transaction
    def calls_out(job: Job) -> None:
        seen["outside"] = connection.in_atomic_block

    def writes(job: Job) -> None:
        seen["inside"] = connection.in_atomic_block

    with mock.patch.object(jobs, "handlers", return_value={"t.out": calls_out, "t.in": writes}):
        job_schedule(kind="t.out", key="a")
        job_schedule(kind="t.in", key="b")
        assert jobs_run_due(worker_id="w") == 2
    assert seen == {"outside": False, "inside": True}
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}
