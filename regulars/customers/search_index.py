"""The trigram index behind the one search box (PostgreSQL), taken down and built again around a bulk load.

Kept up row by row, the index costs a million-card import about four times what building it once afterwards does
(docs/benchmarks.md). A bulk import drops it before its first chunk and builds it after its last; searching
meanwhile still works, by a scan. The definition is the one migration 0003 created, so a rebuilt index is the same
index. On SQLite there is no such index and these are no-ops.
"""

from __future__ import annotations

from django.conf import settings
from django.db import OperationalError, connection, transaction

from regulars.platform.fastcopy import constraints_check_now, is_postgres

INDEX_NAME = "customer_search_trgm"
# Any number, the same for every process: builds of the index take turns on it.
_BUILD_LOCK = 0x5EA2C4
DEFINITION = f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON customers_customer USING gin (search_text gin_trgm_ops)"


def search_index_present() -> bool:
    """True when the index exists and is usable (always True on SQLite, which has none)."""
    if not is_postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relname = %s", [INDEX_NAME])
        row = cursor.fetchone()
    return bool(row and row[0])


def search_index_drop(*, wait_seconds: int = 3) -> bool:
    """Drop the index in the caller's transaction (a rollback brings it back). False if a running query held the
    table longer than `wait_seconds`: waiting on would queue every page reading cards behind the drop, so the caller
    goes on with the index kept up instead."""
    if not is_postgres():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('lock_timeout')")
            before = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{wait_seconds}s"])
            cursor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [before])
    except OperationalError:
        return False
    return True


def search_index_build() -> bool:
    """Build the index if it is missing or was left invalid, in the caller's transaction; False, doing nothing, while
    another transaction is building it (builds take turns on an advisory lock held to the end of the transaction).

    One pass over the table with `REGULARS_SEARCH_INDEX_BUILD_MEMORY` of sort memory (a GIN build with the default
    64 MB spills and takes twice as long). Writes to the cards wait while it runs; reads do not."""
    if not is_postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_BUILD_LOCK])
        row = cursor.fetchone()
    if not (row and row[0]):
        return False
    if search_index_present():
        return True
    memory = str(getattr(settings, "REGULARS_SEARCH_INDEX_BUILD_MEMORY", "1GB"))
    # Deferred foreign-key checks of the same transaction must run first: PostgreSQL refuses to index a table with
    # trigger events pending.
    constraints_check_now()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")  # an invalid leftover would satisfy IF NOT EXISTS
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, true)", [memory])
        cursor.execute(DEFINITION)
    return True


def cards_estimate() -> int:
    """About how many cards there are, from the planner's statistics (no count of a big table)."""
    if not is_postgres():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'customers_customer'")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def card_tables_analyze() -> None:
    """Refresh the planner's statistics of the cards and their contacts after a bulk load grew them (PostgreSQL).

    Statistics taken when the tables were small make the planner read every phone to match a few thousand of
    them (0.6 s a chunk instead of 0.2 s at a million cards); autovacuum catches up only minutes later."""
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customer, customers_contactpoint, customers_externalref")
