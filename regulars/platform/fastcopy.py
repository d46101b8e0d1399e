"""Inserting many rows fast: PostgreSQL's COPY, or bulk_create elsewhere (SQLite). No business words: imports
(rows as dicts) and set-based services (model instances) use it alike.

Rows are plain dicts {attname: value}, not model instances: building a million Django objects costs more than the
database's work. COPY also skips the per-row SQL that bulk_create compiles. New customers get their ids from the
sequence first, so the rows that point at them are written in the same pass; all inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)
# Below this many rows one INSERT beats fetching the ids and then copying (two round trips).
COPY_FROM = 16


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def constraints_check_now() -> None:
    """Run the transaction's deferred foreign-key checks now rather than inside COMMIT (PostgreSQL), so that the
    caller chooses what happens during that wait. A violation raises here instead, with the same rollback."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys from the table's sequence (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


def values_in(model: type[models.Model], column: str, values: Iterable[Any], *, select: Sequence[str],
              **equal: Any) -> list[tuple[Any, ...]]:
    """The `select` columns of the rows whose `column` is one of `values` (and whose `equal` columns have those
    values). On PostgreSQL the values go as one array parameter (`= ANY(%s)`), not thousands of placeholders that
    the driver must split and the server parse; SQLite gets `IN` batches under its parameter limit."""
    wanted = list(values)
    if not wanted:
        return []
    if not is_postgres():
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), 900):
            found += model.objects.filter(  # type: ignore[attr-defined]
                **equal, **{f"{column}__in": wanted[start:start + 900]}).values_list(*select)
        return found
    meta, quote = model._meta, connection.ops.quote_name
    fields = {f.attname: str(f.column) for f in meta.concrete_fields}
    where = [f"{quote(fields[name])} = %s" for name in equal] + [f"{quote(fields[column])} = ANY(%s)"]
    # Only the model's own column names, quoted, go into the text; every value is a parameter.
    statement = (f"SELECT {', '.join(quote(fields[name]) for name in select)} "  # noqa: S608
                 f"FROM {quote(meta.db_table)} WHERE {' AND '.join(where)}")
    with connection.cursor() as cursor:
        cursor.execute(statement, [*equal.values(), wanted])
        return list(cursor.fetchall())


def insert_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as {attname: value}, every row with the same keys (those of insert_columns)."""
    if rows:
        columns = tuple(rows[0])
        insert_columns(model, columns, [tuple(row[c] for c in columns) for row in rows])


def insert_columns(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows given as value tuples in the order of `columns` (attnames): the bulk path, without a dict per
    row. Columns left out take their field's default (the primary key: the sequence's)."""
    if not rows:
        return
    if not is_postgres():
        model.objects.bulk_create(  # type: ignore[attr-defined]
            [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=1000)
        return
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    missing = [f for name, f in by_name.items() if name not in columns and not f.primary_key]
    fields = [by_name[c] for c in columns] + missing
    if not missing:
        _copy(model, fields, rows)
        return
    defaults = tuple(f.get_default() for f in missing)
    _copy(model, fields, ((*row, *defaults) for row in rows))


def _copy(model: type[models.Model], fields: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """One COPY of these columns; JSON columns are encoded as the field encodes them, each distinct object once
    (an import gives a thousand rows the same `{}` or the same timeline data)."""
    encoders = {n: f.encoder for n, f in enumerate(fields) if isinstance(f, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    encoded: dict[int, tuple[Any, str]] = {}  # id → (the object, kept alive so its id is not reused; its text)

    def encode(value: Any, encoder: Any) -> str:
        hit = encoded.get(id(value))
        if hit is None or hit[0] is not value:
            hit = encoded[id(value)] = (value, json.dumps(value, cls=encoder, ensure_ascii=False))
        return hit[1]

    with connection.cursor() as cursor:
        raw: Any = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(statement) as copy:
            write = copy.write_row
            if not encoders:
                for values in rows:
                    write(values)
                return
            for values in rows:
                values = list(values)
                for index, encoder in encoders.items():
                    if values[index] is not None:
                        values[index] = encode(values[index], encoder)
                write(values)


def copy_objects(model: type[M], objs: list[M]) -> list[M]:
    """bulk_create for unsaved instances, with COPY on PostgreSQL: ids come from the sequence first (set on the
    objects, as bulk_create does), then one COPY writes every column. Django's INSERT compiler prepares each value
    of each row through the field — most of the Python time of a batch of a few hundred rows."""
    if not objs:
        return objs
    if not is_postgres() or len(objs) < COPY_FROM:
        return model.objects.bulk_create(objs)  # type: ignore[attr-defined, no-any-return]
    meta = model._meta
    fields = list(meta.concrete_fields)
    for obj, pk in zip([o for o in objs if o.pk is None], reserve_ids(model, sum(o.pk is None for o in objs)),
                       strict=True):
        obj.pk = pk
    _copy(model, fields, ([f.pre_save(obj, True) for f in fields] for obj in objs))  # auto_now_add, as bulk_create
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias
    return objs
