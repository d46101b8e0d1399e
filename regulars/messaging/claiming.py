"""Which worker holds which message: a batch claimed with a lease in one statement, held (and renewed) in one more.

A message is claimable when it is `queued` and due, or `sending` with an expired lease (its worker died). Two
workers never hold the same message: on PostgreSQL the claim locks the rows it picks with SKIP LOCKED, on SQLite
the transaction already holds the database's write lock (IMMEDIATE, config/settings/base.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Message


@dataclass
class Claimed:
    message: Message
    outcome_unknown: bool  # taken back from a worker that died after handing it to the provider


def lease_seconds() -> int:
    return int(getattr(settings, "REGULARS_WORKER_LEASE_SECONDS", 60))


def _table() -> str:
    return connection.ops.quote_name(Message._meta.db_table)


CLAIMABLE = "(status = 'queued' AND due_at <= %s) OR (status = 'sending' AND lease_until < %s)"


def _claim_rows(worker_id: str, limit: int, now: dt.datetime, lease: dt.datetime) -> dict[int, bool]:
    """id → the outcome of an earlier attempt is unknown (a dead worker had handed it over and nobody recorded what
    became of it), for the rows claimed."""
    table = _table()
    # handed_over is left as it is: a dead worker's mark must survive this claim until the new holder has recorded
    # what it means (ambiguous, in messages_decide), or a second death would erase it.
    take = "status = 'sending', lease_until = %s, locked_by = %s, attempts = attempts + 1"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH picked AS (SELECT id FROM {table} WHERE {CLAIMABLE} "  # noqa: S608
                f"ORDER BY due_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
                f"UPDATE {table} AS m SET {take.replace('attempts + 1', 'm.attempts + 1')} FROM picked "
                f"WHERE m.id = picked.id RETURNING m.id, m.handed_over",
                [now, now, limit, lease, worker_id])
            return {pk: bool(handed) for pk, handed in cursor.fetchall()}
        cursor.execute(f"SELECT id, handed_over FROM {table} WHERE {CLAIMABLE} "  # noqa: S608
                       f"ORDER BY due_at, id LIMIT %s", [now, now, limit])
        picked = {pk: bool(handed) for pk, handed in cursor.fetchall()}
        if picked:
            marks = ", ".join(["%s"] * len(picked))
            cursor.execute(f"UPDATE {table} SET {take} WHERE id IN ({marks})",  # noqa: S608
                           [lease, worker_id, *picked])
        return picked


def messages_claim(*, worker_id: str, limit: int = 20, now: dt.datetime | None = None) -> list[Claimed]:
    """Up to `limit` due messages for this worker, oldest due first, each with its customer loaded."""
    now = now or timezone.now()
    lease = now + dt.timedelta(seconds=lease_seconds())
    with transaction.atomic():
        taken = _claim_rows(worker_id, limit, now, lease)
        rows = Message.objects.select_related("customer").in_bulk(list(taken))
    return [Claimed(rows[pk], taken[pk]) for pk in sorted(taken, key=lambda pk: (rows[pk].due_at, pk))]


def messages_hold(ids: Iterable[int], *, worker_id: str, hand_over: Iterable[int] = ()) -> set[int]:
    """Of these messages, the ones this worker still holds; their lease is renewed (so a long batch does not make
    a live worker look dead), and those of `hand_over` are marked as about to go to their provider. Inside the
    caller's transaction: the rows stay locked until it commits."""
    wanted, handing = list(ids), list(hand_over)
    if not wanted:
        return set()
    table = _table()
    renewed = timezone.now() + dt.timedelta(seconds=lease_seconds())
    handed = (f"CASE WHEN id IN ({', '.join(['%s'] * len(handing))}) THEN TRUE ELSE handed_over END"
              if handing else "handed_over")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET lease_until = %s, handed_over = {handed} "  # noqa: S608
                       f"WHERE id IN ({', '.join(['%s'] * len(wanted))}) AND locked_by = %s AND status = 'sending' "
                       f"RETURNING id", [renewed, *handing, *wanted, worker_id])
        return {row[0] for row in cursor.fetchall()}
