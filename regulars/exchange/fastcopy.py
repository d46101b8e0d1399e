"""Inserting many rows fast: PostgreSQL's COPY, or bulk_create elsewhere (SQLite).

Rows are plain dicts {attname: value}, not model instances: building a million Django objects costs more than the
database's work. COPY also skips the per-row SQL that bulk_create compiles. New customers get their ids from the
sequence first, so the rows that point at them are written in the same pass; all inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the table's sequence (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as {attname: value}; missing fields take their default, a missing "id" the sequence's."""
    if not rows:
        return
    if not is_postgres():
        model.objects.bulk_create([model(**row) for row in rows], batch_size=1000)  # type: ignore[attr-defined]
        return
    with_pk = "id" in rows[0]
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields if not f.primary_key}
    jsons = {f.attname for f in fields if isinstance(f, models.JSONField)}
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(statement) as copy:
            for row in rows:
                values = [row.get(n, defaults.get(n)) for n in names]
                for index, name in enumerate(names):
                    if name in jsons:
                        values[index] = json.dumps(values[index], ensure_ascii=False)
                copy.write_row(values)
