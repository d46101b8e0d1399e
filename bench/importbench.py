"""The import benchmark: a generated customer spreadsheet of 1,000,000 rows imported into PostgreSQL end to end,
against a bare COPY of the same file measured in the same run.

End to end means what a user waits for: the upload is stored, the mapping set, the import confirmed (which counts
the rows), then the real `regulars worker` process takes the chunks one after another until the batch is done,
search index included. The database is freshly migrated, so every index and constraint of the schema is in place
when the import starts; a file this size is a bulk load, which builds the trigram index once at the end.

Run on its own: `python -m bench.importbench [--rows N] [--json PATH]`; `python -m bench` runs it after the lookup
measurements (in a subprocess, because each part points Django at its own database).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import config, generate, importfile

DB = config.Database(name=config.DB_NAME + "_import")
OUT = config.ROOT / "bench" / "out"
DEFAULT_ROWS = 1_000_000
# Column → target, as a user maps the file's header on the mapping page.
MAPPING = {"0": "external_id", "1": "last_name", "2": "first_name", "3": "middle_name", "4": "phone", "5": "phone",
           "6": "email", "7": "birthday", "8": "branch", "9": "tags"}
TIMEOUT_SECONDS = 1800


def say(message: str) -> None:
    print(message, flush=True)


def _worker_env(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": DB.url, "REGULARS_VAR_DIR": str(var_dir), "DEBUG": "false",
                "DJANGO_SETTINGS_MODULE": "config.settings.local"})
    return env


def _import(path: Path, var_dir: Path) -> dict[str, Any]:
    """Upload, map, confirm through the services, then let one real worker process drain the chunks."""
    from django.core.files.uploadedfile import UploadedFile

    from regulars.exchange.bulk_load import chunk_rows
    from regulars.exchange.models import ImportBatch
    from regulars.exchange.services import import_configure, import_confirm, import_upload
    from regulars.platform.actor import Actor

    actor = Actor.system("bench")
    phases: dict[str, float] = {}
    started = time.perf_counter()
    with path.open("rb") as handle:
        upload = UploadedFile(file=handle, name=path.name, size=path.stat().st_size)
        batch = import_upload(actor=actor, upload=upload)
    phases["upload"] = time.perf_counter() - started
    mark = time.perf_counter()
    import_configure(actor=actor, batch_id=batch.pk, mapping=MAPPING, on_match="update", source="erp")
    import_confirm(actor=actor, batch_id=batch.pk)
    phases["confirm"] = time.perf_counter() - mark

    mark = time.perf_counter()
    indexing_from: float | None = None
    worker = subprocess.Popen([str(config.ROOT / ".venv" / "bin" / "regulars"), "worker"],
                              env=_worker_env(var_dir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            batch.refresh_from_db()
            if batch.status == ImportBatch.Status.INDEXING and indexing_from is None:
                indexing_from = time.perf_counter()
            if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
                break
            if worker.poll() is not None:
                tail = worker.stderr.read().decode()[-500:] if worker.stderr else ""
                raise RuntimeError(f"the worker exited early: {tail}")
            if time.perf_counter() - mark > TIMEOUT_SECONDS:
                raise RuntimeError("the import did not finish in time")
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(30)
    phases["worker"] = time.perf_counter() - mark
    phases["indexing"] = time.perf_counter() - indexing_from if indexing_from else 0.0
    total = time.perf_counter() - started
    return {
        "seconds": total, "phases": phases, "status": batch.status, "rows": batch.total_rows,
        "created": batch.created_count, "updated": batch.updated_count, "skipped": batch.skipped_count,
        "rejected": batch.rejected_count, "rows_per_second": (batch.total_rows or 0) / total if total else 0.0,
        "bulk_load": batch.bulk_load,
        "chunk": chunk_rows(batch),
    }


def _table_counts() -> dict[str, int]:
    from regulars.customers.models import ContactPoint, Customer, ExternalRef

    return {"customers": Customer.objects.count(), "contacts": ContactPoint.objects.count(),
            "external_ids": ExternalRef.objects.count()}


FLOOR_TABLES = ("customers_customer", "customers_contactpoint", "customers_externalref", "customers_customer_tags",
                "customers_timelineentry")


def _schema_floor(chunk: int) -> dict[str, float]:
    """Seconds PostgreSQL alone needs to store the imported rows again with this schema (no Python, no parsing): the
    floor any importer stands on. Empty copies of the five tables an import writes keep every index and get the
    same deferred foreign keys; the rows go in by `INSERT … SELECT` in transactions of one chunk of cards each, as
    the import's chunks; the trigram index is left out during the load and built at the end, as a bulk load does."""
    import psycopg

    floor = {name: 0.0 for name in (*FLOOR_TABLES, "commit (foreign-key checks)", "trigram index build")}
    with psycopg.connect(DB.url, autocommit=True) as conn:
        for table in FLOOR_TABLES:
            conn.execute(f"DROP TABLE IF EXISTS floor_{table} CASCADE")
            conn.execute(f"CREATE TABLE floor_{table} (LIKE {table} INCLUDING ALL)")
        trigram = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'floor_customers_customer' "
                               "AND indexdef LIKE '%gin_trgm_ops%'").fetchone()
        if trigram:
            conn.execute(f"DROP INDEX {trigram[0]}")
        for table, column, target in (
                ("customers_customer", "created_by_id", "org_staff"), ("customers_customer", "home_branch_id",
                                                                       "org_branch"),
                ("customers_contactpoint", "customer_id", "floor_customers_customer"),
                ("customers_externalref", "customer_id", "floor_customers_customer"),
                ("customers_customer_tags", "customer_id", "floor_customers_customer"),
                ("customers_customer_tags", "tag_id", "customers_tag"),
                ("customers_timelineentry", "customer_id", "floor_customers_customer"),
                ("customers_timelineentry", "event_id", "platform_event")):
            conn.execute(f"ALTER TABLE floor_{table} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) "
                         "DEFERRABLE INITIALLY DEFERRED")
        low, high = conn.execute("SELECT min(id), max(id) FROM customers_customer").fetchone() or (0, 0)
        for start in range(low or 0, (high or 0) + 1, chunk):
            with conn.transaction():
                for table in FLOOR_TABLES:
                    key = "id" if table == "customers_customer" else "customer_id"
                    mark = time.perf_counter()
                    conn.execute(f"INSERT INTO floor_{table} SELECT * FROM {table} "
                                 f"WHERE {key} >= %s AND {key} < %s", [start, start + chunk])
                    floor[table] += time.perf_counter() - mark
                mark = time.perf_counter()
            floor["commit (foreign-key checks)"] += time.perf_counter() - mark
        conn.execute("SET maintenance_work_mem = '1GB'")
        mark = time.perf_counter()
        conn.execute("CREATE INDEX floor_cards_trgm ON floor_customers_customer USING gin (search_text gin_trgm_ops)")
        floor["trigram index build"] = time.perf_counter() - mark
        for table in FLOOR_TABLES:
            conn.execute(f"DROP TABLE floor_{table} CASCADE")
    return floor


def _reading(result: dict[str, Any]) -> list[str]:
    run, floor = result["import"], result["floor"]
    per_row_us = run["phases"]["worker"] / max(run["rows"], 1) * 1e6
    parts = ", ".join(f"{name.removeprefix('customers_')} {seconds:.1f} s" for name, seconds in floor.items())
    return [
        f"The worker spends {per_row_us:,.0f} µs per row end to end: reading and normalising the cells in Python "
        "(a second thread reads the next chunk while the database checks the foreign keys of the one before), "
        "matching by external id, phone and e-mail (one array query per kind and chunk), writing cards, contacts, "
        "external ids, tags and timeline entries with `COPY`, the foreign-key checks of each chunk, and the search "
        f"index built once at the end ({run['phases'].get('indexing', 0):.1f} s).",
        f"PostgreSQL alone, storing the same rows again with this schema (`INSERT … SELECT` per chunk into copies of "
        f"the five tables with their indexes and foreign keys, the trigram index built afterwards): {parts} — "
        f"{sum(floor.values()):.1f} s in all, before any parsing.",
    ]


def run(rows: int) -> dict[str, Any]:
    say(f"Import benchmark: {rows:,} rows into a freshly migrated {DB.name} …")
    generate.recreate_database(DB)
    var_dir = Path(tempfile.mkdtemp(prefix="regulars-bench-import-"))
    os.environ["REGULARS_VAR_DIR"] = str(var_dir)
    # A million-row file is larger than the default upload cap (REGULARS_IMPORT_MAX_BYTES) meant for people's
    # spreadsheets; the bench raises the cap for this run only.
    os.environ.setdefault("REGULARS_IMPORT_MAX_BYTES", str(1024 * 1024 * 1024))
    generate.setup_django(DB)
    generate.migrate()
    generate.create_org()

    path = importfile.write(OUT / f"import-{rows}-{config.SEED}.csv", rows)
    size = path.stat().st_size
    say(f"  file {path.name}: {size / 1e6:,.0f} MB")
    say("  baseline: bare COPY of the file into an indexed table …")
    copy_seconds = importfile.copy_baseline(DB.url, path)
    say(f"  COPY: {copy_seconds:.1f} s")
    say("  import through the services and the worker …")
    result = _import(path, var_dir)
    say(f"  import: {result['seconds']:.1f} s ({result['rows_per_second']:,.0f} rows/s), status {result['status']}")
    say("  the schema's own floor: the same rows stored again by PostgreSQL alone …")
    floor = _schema_floor(result["chunk"])
    say(f"  floor: {sum(floor.values()):.1f} s")
    out = {"rows": rows, "file_bytes": size, "copy_seconds": copy_seconds, "import": result,
           "tables": _table_counts(), "floor": floor}
    out["reading"] = _reading(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.importbench", description=__doc__)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows in the file (default %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="write the result here as JSON")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = run(args.rows)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    else:
        say(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
