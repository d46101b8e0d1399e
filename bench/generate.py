"""Build the bench database: drop + create, migrate, a few branches and staff through the ORM, then COPY the bulk.

The bulk goes into the real tables with every index and constraint the migrations create (the trigram GIN index on
search_text included), so the numbers describe the schema production runs. Loading is a streaming generator feeding
psycopg's `COPY … FROM STDIN`; nothing is held in memory.

Run on its own: `python -m bench.generate [--customers N] [--fresh]`.
"""

from __future__ import annotations

import argparse
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator

import psycopg
from psycopg import sql

from . import config
from .data import DATA_VERSION, Org, Rows

_BATCH = 5000  # lines per write(): big enough to amortise the call, small enough to keep memory flat
_MARKER = f"regulars-bench v{DATA_VERSION} customers={{count}} seed={{seed}}"  # stored as the database comment


def setup_django(db: config.Database) -> None:
    """Point Django at the bench database. Must run before anything imports models."""
    os.environ["DATABASE_URL"] = db.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("DEBUG", "false")  # DEBUG would keep every query of the harness in memory
    import django

    django.setup()


def database_exists(db: config.Database) -> bool:
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db.name]).fetchone() is not None


def loaded_marker(db: config.Database) -> str | None:
    if not database_exists(db):
        return None
    with psycopg.connect(db.url) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           [db.name]).fetchone()
        return row[0] if row else None


def is_loaded(db: config.Database, count: int) -> bool:
    """True when a previous run loaded exactly this data set to the end (the marker is written last)."""
    marker = _MARKER.format(count=count, seed=config.SEED)
    found = loaded_marker(db) or ""
    return found == marker or found.startswith(marker + " ")


def last_generation_seconds(db: config.Database) -> float | None:
    """How long the load that built the database took, as recorded in its marker."""
    match = re.search(r"generated_in=(\d+)s", loaded_marker(db) or "")
    return float(match.group(1)) if match else None


def _write_marker(db: config.Database, count: int, seconds: float) -> None:
    with psycopg.connect(db.url, autocommit=True) as conn:
        marker = _MARKER.format(count=count, seed=config.SEED) + f" generated_in={seconds:.0f}s"
        conn.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(db.name), sql.Literal(marker)))


def recreate_database(db: config.Database) -> None:
    with psycopg.connect(db.admin_url, autocommit=True) as conn:
        # FORCE ends the sessions of a server left over from an interrupted run.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db.name)))


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def ensure_staff() -> int:
    """The operator the list-page measurement logs in as (created if missing). Returns its id.

    An operator, as at the front desk, and not an administrator, whom production asks for a one-time code."""
    from regulars.org.models import Role, Staff
    from regulars.org.services import staff_create
    from regulars.platform.actor import Actor

    existing = Staff.objects.filter(username=config.STAFF_USERNAME).first()
    if existing:
        if existing.role != Role.OPERATOR:  # a database generated before operators ran the searches
            Staff.objects.filter(pk=existing.pk).update(role=Role.OPERATOR)
        return existing.pk
    staff = staff_create(actor=Actor.system("bench"), username=config.STAFF_USERNAME,
                         password=config.STAFF_PASSWORD, role=Role.OPERATOR, first_name="Bench", last_name="Operator")
    return staff.pk


def create_org() -> Org:
    """Three branches and a few staff, through the services like a real set-up."""
    from regulars.org.models import Role
    from regulars.org.services import branch_create, staff_create
    from regulars.platform.actor import Actor

    actor = Actor.system("bench")
    branches = [
        branch_create(actor=actor, name=name, code=code, phone=phone)
        for name, code, phone in (
            ("Центр", "center", "+74951234567"), ("Север", "north", "+74951234568"), ("Юг", "south", "+74951234569"),
        )
    ]
    ids = [b.pk for b in branches]
    staff = [ensure_staff()]
    for n, (first, last) in enumerate((("Ольга", "Сидорова"), ("Иван", "Петров"), ("Мария", "Орлова")), start=1):
        member = staff_create(actor=actor, username=f"bench-operator-{n}", password=config.STAFF_PASSWORD,
                              role=Role.OPERATOR, branch_ids=[ids[n % len(ids)]], first_name=first, last_name=last)
        staff.append(member.pk)
    return Org(branch_ids=ids, staff_ids=staff)


def _copy(conn: psycopg.Connection, table: str, columns: Iterable[str], lines: Iterator[str]) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    written = 0
    with conn.cursor() as cur, cur.copy(statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= _BATCH:
                copy.write("\n".join(batch) + "\n")
                written += len(batch)
                batch.clear()
        if batch:
            copy.write("\n".join(batch) + "\n")
            written += len(batch)
    return written


def _customers_spooling_contacts(rows: Rows, spool) -> Iterator[str]:
    """Customer lines for COPY; their contact lines go to `spool`, to be copied once the customers are committed
    (the contacts' foreign key needs them, and generating every card twice would cost more than the file)."""
    for customer, contacts in rows.customers_and_contacts():
        spool.write("\n".join(contacts))
        spool.write("\n")
        yield customer


def _lines_of(spool) -> Iterator[str]:
    spool.seek(0)
    for line in spool:
        yield line.rstrip("\n")


class _Worker(threading.Thread):
    """A thread whose exception is re-raised by join()."""

    def __init__(self, name: str, target) -> None:
        super().__init__(name=name)
        self._target_fn = target
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._target_fn()
        except BaseException as exc:
            self.error = exc

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error:
            raise self.error


def _connect(db: config.Database) -> psycopg.Connection:
    conn = psycopg.connect(db.url)
    # A crash loses the whole bench database anyway (the marker is written last), so skip the WAL flush waits.
    conn.execute("SET synchronous_commit = off")
    return conn


def _load(db: config.Database, rows: Rows, say) -> dict[str, float]:
    """Three COPY streams on three connections, overlapped so that both cores stay busy:

    customers  ──────────────▶ commit ─┐
    timeline   ───────────────────────────▶ waits for the customers' commit, then commits
    contacts                           └─▶ (from the spool file) ──▶ commit

    The foreign keys Django creates are DEFERRABLE INITIALLY DEFERRED, so the timeline rows may be written before
    their customers exist: they are checked at the timeline's commit, which waits until the customers are committed.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    customers_committed = threading.Event()

    def elapsed(name: str, count: int) -> None:
        timings[name] = time.perf_counter() - started
        say(f"  {name}: {count:,} rows, done at {timings[name]:.0f}s")

    def timeline() -> None:
        with _connect(db) as conn:
            count = _copy(conn, "customers_timelineentry", Rows.TIMELINE_COLUMNS, rows.timeline_lines())
            customers_committed.wait()
        elapsed("timeline", count)

    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:

        def contacts() -> None:
            customers_committed.wait()
            with _connect(db) as conn:
                count = _copy(conn, "customers_contactpoint", Rows.CONTACT_COLUMNS, _lines_of(spool))
            elapsed("contacts", count)

        workers = [_Worker("copy-timeline", timeline), _Worker("copy-contacts", contacts)]
        for worker in workers:
            worker.start()
        try:
            with _connect(db) as conn:
                count = _copy(conn, "customers_customer", Rows.CUSTOMER_COLUMNS,
                              _customers_spooling_contacts(rows, spool))
            spool.flush()
            elapsed("customers", count)
        finally:
            customers_committed.set()  # also on failure, so the workers end (their commit then fails)
            for worker in workers:
                worker.join()
    timings["load"] = time.perf_counter() - started
    return timings


def _finish(db: config.Database) -> float:
    """Sequences past the copied ids, then VACUUM ANALYZE: planner statistics, the visibility map and hint bits
    set once here, so the first measured queries do not pay for them (and the GIN pending list is merged)."""
    started = time.perf_counter()
    with psycopg.connect(db.url, autocommit=True) as conn:
        for table in ("customers_customer", "customers_contactpoint", "customers_timelineentry"):
            conn.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT coalesce(max(id), 1) FROM {}))")
                .format(sql.Identifier(table)),
                [table],
            )
            conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    return time.perf_counter() - started


def generate(db: config.Database, count: int, *, fresh: bool = False, say=print) -> dict[str, float] | None:
    """Make sure `db` holds `count` customers; returns load timings, or None when the data was reused.

    Django must already be set up against `db` (see setup_django).
    """
    if not fresh and is_loaded(db, count):
        say(f"Reusing {db.name}: it already holds {count:,} customers (--fresh rebuilds it).")
        migrate()  # cheap when nothing is new; keeps the schema in step with the code under test
        ensure_staff()
        return None
    say(f"Building {db.name} with {count:,} customers …")
    started = time.perf_counter()
    recreate_database(db)
    from django.db import connections

    connections.close_all()
    migrate()
    org = create_org()
    timings = {"migrate": time.perf_counter() - started}
    say(f"  database, migrations, branches, staff: {timings['migrate']:.0f}s")
    rows = Rows(count, org, seed=config.SEED, phones=config.PHONES_PER_CUSTOMER,
                timeline=config.TIMELINE_PER_CUSTOMER)
    timings.update(_load(db, rows, say))
    timings["vacuum_analyze"] = _finish(db)
    say(f"  VACUUM ANALYZE: {timings['vacuum_analyze']:.0f}s")
    timings["total"] = time.perf_counter() - started
    _write_marker(db, count, timings["total"])  # last: an interrupted load is never mistaken for a complete one
    say(f"Generated in {timings['total']:.0f}s.")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=config.DEFAULT_CUSTOMERS)
    parser.add_argument("--fresh", action="store_true", help="rebuild even when the data is already there")
    args = parser.parse_args()
    db = config.Database()
    setup_django(db)
    generate(db, args.customers, fresh=args.fresh)


if __name__ == "__main__":
    main()
