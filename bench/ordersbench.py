"""The orders benchmark: order-status events through the HTTP API (one event per request, and batches), with the
notification each step queues in the same transaction, against bare single-row inserts from the same number of
clients in the same run.

Measured per event: the client's send time, compared with the `Message.created_at` of the notification that event
queued ("status change → notification queued") and with the `StatusChange.recorded_at` of the change. Afterwards
the database is checked: every event applied once, one message per notifying step, no non-2xx answer.

Run on its own: `python -m bench.ordersbench [--orders N] [--seconds S] [--json PATH]`; `python -m bench` runs it
after the other parts, in a subprocess (Django there points at its own database).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from . import config, cpu, generate, machine
from .httpbench import Client
from .server import Server, ServerConfig
from .stats import summarize

DB = config.Database(name=config.DB_NAME + "_orders")
SOURCE = "bench"
FLOW = "eshop"
# Always forward, and every step notifies (assembled, rank 30, does not: skipped).
STEPS = ("confirmed", "handed_to_courier")
DEFAULT_ORDERS = 40_000
DEFAULT_SECONDS = 15.0
DEFAULT_SERVERS = "granian:2x2"
# The load: client processes × threads. 16 connections for single events and the baseline, 6 for batches
# (the server has 2 × 2 Python threads: 6 batches in flight keep every one busy while others wait for PostgreSQL).
SINGLE_SHAPE = (4, 4)
BATCH_SHAPE = (6, 1)
BATCH_SIZE = 250
ORDERS_PER_PHASE = 12_000  # 24,000 events at most per phase; a phase ends at its deadline or when they are used up
RESERVED = 1_200  # at the end of the range: warm-up and the in-process diagnostics
STATUS_PATH = "/api/v1/orders/{source}/{external_id}/status"
BATCH_PATH = "/api/v1/orders/statuses"  # the ERP exchange's status batch: one transaction, set-based writes
JSON = {"Content-Type": "application/json"}


def say(message: str) -> None:
    print(message, flush=True)


def external_id(i: int) -> str:
    return f"o{i:06d}"


# ---------------------------------------------------------------------------------------------- the data


def _prepare(n: int) -> dict[str, int]:
    """n customers with a mobile phone, each with one order in status "new" of the e-shop flow, inserted in bulk
    (they are not what is measured): the rows the order service would have written, without the "new" message."""
    import datetime as dt

    from django.utils import timezone

    from regulars.customers.models import ContactPoint, Customer
    from regulars.messaging.models import MessagingPolicy
    from regulars.orders.models import Flow, Order, OrderStatus, StatusChange

    now = timezone.now()
    Customer.objects.bulk_create([Customer(first_name=f"Клиент{i}", last_name="Заказов", created_at=now,
                                           updated_at=now) for i in range(n)], batch_size=5000)
    ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
    ContactPoint.objects.bulk_create([ContactPoint(customer_id=cid, kind="phone", value=f"+7916{i:07d}",
                                                   is_primary=True, created_at=now) for i, cid in enumerate(ids)],
                                     batch_size=5000)
    flow = Flow.objects.get(key=FLOW)
    new = OrderStatus.objects.get(flow=flow, code="new")
    Order.objects.bulk_create([Order(source=SOURCE, external_id=external_id(i), number=f"B-{i}", customer_id=cid,
                                     flow=flow, status=new, status_changed_at=now, total=1990, placed_at=now,
                                     created_at=now, updated_at=now) for i, cid in enumerate(ids)], batch_size=5000)
    order_ids = list(Order.objects.order_by("id").values_list("id", flat=True))
    StatusChange.objects.bulk_create([StatusChange(order_id=oid, status=new, changed_at=now, recorded_at=now,
                                                   actor_label="bench") for oid in order_ids], batch_size=5000)
    # Messages are queued whatever the hour (quiet hours only hold back the sending); a policy without quiet
    # hours all the same, so nothing in the run depends on when it starts.
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))
    return {external_id(i): oid for i, oid in enumerate(order_ids)}


def _api_key() -> str:
    from regulars.org.services import apikey_create
    from regulars.platform.actor import Actor

    _, token = apikey_create(actor=Actor.system("bench"), name="bench")
    return token


# ---------------------------------------------------------------------------------------------- the clients
# Each client process is spawned (not forked from this process, which holds Django and its connections) and runs
# its threads, each on its own keep-alive connection; all start at `start_at` (wall clock) and stop at `deadline`.


def _wait(start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.time()))


def _single_thread(base_url: str, headers: dict[str, str], orders: Sequence[str], deadline: float,
                   out: list[tuple[str, str, float, float, int, bool]]) -> None:
    client = Client(base_url, headers)
    try:
        for ext in orders:
            for code in STEPS:
                if time.time() >= deadline:
                    return
                body = json.dumps({"status": code})
                sent, t0 = time.time(), time.perf_counter()
                status, _, payload = client.request("POST", STATUS_PATH.format(source=SOURCE, external_id=ext),
                                                    body, JSON)
                ms = (time.perf_counter() - t0) * 1000
                applied = status == 200 and json.loads(payload).get("status_applied") is True
                out.append((ext, code, sent, ms, status, applied))
    finally:
        client.close()


def _batch_thread(base_url: str, headers: dict[str, str], orders: Sequence[str], deadline: float,
                  batch: int, out: list[tuple[str, float, float, int, list[str], int]]) -> None:
    client = Client(base_url, headers)
    try:
        for start in range(0, len(orders), batch):
            chunk = orders[start:start + batch]
            for code in STEPS:
                if time.time() >= deadline:
                    return
                body = json.dumps({"source": SOURCE, "statuses": [{"external_id": e, "status": code} for e in chunk]})
                sent, t0 = time.time(), time.perf_counter()
                status, _, payload = client.request("POST", BATCH_PATH, body, JSON)
                ms = (time.perf_counter() - t0) * 1000
                applied: list[str] = []
                refused = len(chunk)
                if status == 200:
                    results = json.loads(payload)
                    applied = [r["external_id"] for r in results if r.get("ok") and r.get("status_applied")]
                    refused = len(chunk) - len(applied)
                out.append((code, sent, ms, status, applied, refused))
    finally:
        client.close()


def _sql_thread(db_url: str, deadline: float, seed: int, out: list[float]) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        i = seed
        while time.time() < deadline:
            t0 = time.perf_counter()
            conn.execute("INSERT INTO bench_insert (order_id, status) VALUES (%s, %s)", (i, STEPS[i % 2]))
            out.append((time.perf_counter() - t0) * 1000)
            i += 1


def client_process(job: dict[str, Any]) -> dict[str, Any]:
    """One client process: `job["slices"]` holds one list of orders per thread (for the baseline: one seed)."""
    _wait(job["start_at"])
    outs: list[list[Any]] = [[] for _ in job["slices"]]
    threads = []
    for n, part in enumerate(job["slices"]):
        if job["kind"] == "single":
            args: tuple[Any, ...] = (job["base_url"], job["headers"], part, job["deadline"], outs[n])
            target: Any = _single_thread
        elif job["kind"] == "batch":
            args = (job["base_url"], job["headers"], part, job["deadline"], job["batch"], outs[n])
            target = _batch_thread
        else:
            args, target = (job["db_url"], job["deadline"], part, outs[n]), _sql_thread
        threads.append(threading.Thread(target=target, args=args))
    before = resource.getrusage(resource.RUSAGE_SELF)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {"records": [r for out in outs for r in out], "finished": time.time(),
            "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


def _run_clients(jobs: list[dict[str, Any]], server_pid: int | None = None) -> tuple[list[dict[str, Any]],
                                                                                   dict[str, float] | None]:
    """The client processes, spawned and reaped. With `server_pid`, also the CPU of the load window (from
    `start_at` to the last answer), split as bench/cpu.py does: the app server's processes, its PostgreSQL
    backends, the clients (measured in the client processes, their start-up excluded), everything else."""
    ctx = multiprocessing.get_context("spawn")
    pool = ctx.Pool(len(jobs))
    try:
        pending = pool.map_async(client_process, jobs)
        _wait(jobs[0]["start_at"])
        before = _cpu_snapshot(server_pid) if server_pid else None
        results = pending.get()
        after = _cpu_snapshot(server_pid) if server_pid else None
    finally:
        pool.close()
        pool.join()
    if before is None or after is None:
        return results, None
    app = sum(v - before["app"].get(pid, 0.0) for pid, v in after["app"].items())
    db = sum(v - before["db"].get(pid, 0.0) for pid, v in after["db"].items())
    clients = sum(r["cpu"] for r in results)
    busy, total = after["busy"] - before["busy"], after["total"] - before["total"]
    return results, {"app": app, "db": db, "clients": clients, "other": max(0.0, busy - app - db - clients),
                     "busy_share": busy / total if total else 0.0, "window": after["at"] - before["at"]}


def _cpu_snapshot(server_pid: int) -> dict[str, Any] | None:
    if not Path("/proc/stat").exists():
        return None
    busy, total = cpu._machine_busy()
    return {"app": cpu._cpu_of(cpu._tree(server_pid)), "db": cpu._cpu_of(cpu._backends(DB.url, DB.name)),
            "busy": busy, "total": total, "at": time.time()}


def _split(items: Sequence[str], parts: int) -> list[list[str]]:
    size = len(items) // parts
    return [list(items[n * size:(n + 1) * size]) for n in range(parts)]


# ---------------------------------------------------------------------------------------------- the baseline


def baseline(seconds: float) -> dict[str, Any]:
    """Bare single-row INSERTs, autocommit (one transaction each), into a table with an index, from as many
    connections (processes × threads) as the single-event HTTP load."""
    with psycopg.connect(DB.url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_insert")
        conn.execute("CREATE TABLE bench_insert (id bigserial PRIMARY KEY, order_id integer NOT NULL, "
                     "status text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("CREATE INDEX bench_insert_order ON bench_insert (order_id)")
    processes, threads = SINGLE_SHAPE
    start_at = time.time() + 3  # the spawned processes import psycopg first
    deadline = start_at + seconds
    jobs = [{"kind": "sql", "db_url": DB.url, "start_at": start_at, "deadline": deadline,
             "slices": [(p * threads + t) * 10_000_000 for t in range(threads)]} for p in range(processes)]
    results, _ = _run_clients(jobs)
    latencies = [ms for r in results for ms in r["records"]]
    elapsed = max(r["finished"] for r in results) - start_at
    with psycopg.connect(DB.url) as conn:
        rows = conn.execute("SELECT count(*) FROM bench_insert").fetchone()[0]  # type: ignore[index]
    return {**summarize(latencies), "rows": rows, "seconds": elapsed, "rps": rows / elapsed,
            "clients": processes * threads, "processes": processes}


# ---------------------------------------------------------------------------------------------- the HTTP load


def _warm_up(base_url: str, headers: dict[str, str], orders: Sequence[str]) -> None:
    """Every server thread past its first requests (imports, the connection, the API key cache)."""
    def one(part: Sequence[str]) -> None:
        client = Client(base_url, headers)
        for ext in part:
            client.request("POST", STATUS_PATH.format(source=SOURCE, external_id=ext),
                           json.dumps({"status": STEPS[0]}), JSON)
        client.close()

    threads = [threading.Thread(target=one, args=(orders[n::8],)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def load(kind: str, running: Server, headers: dict[str, str], orders: Sequence[str], seconds: float,
         ) -> tuple[dict[str, Any], list[Any]]:
    processes, threads = SINGLE_SHAPE if kind == "single" else BATCH_SHAPE
    slices = _split(orders, processes * threads)
    start_at = time.time() + 3
    deadline = start_at + seconds
    jobs = [{"kind": kind, "base_url": running.base_url, "headers": headers, "batch": BATCH_SIZE,
             "start_at": start_at, "deadline": deadline, "slices": slices[p * threads:(p + 1) * threads]}
            for p in range(processes)]
    runs, split = _run_clients(jobs, running.pid)
    records = [r for run in runs for r in run["records"]]
    elapsed = max(run["finished"] for run in runs) - start_at
    meta = {"clients": processes * threads, "processes": processes, "threads": threads, "seconds": elapsed,
            "split": split}
    return meta, records


def _epochs(sql: str, params: Sequence[Any]) -> dict[Any, float]:
    with psycopg.connect(DB.url) as conn:
        return {row[0]: float(row[1]) for row in conn.execute(sql, params).fetchall()}


def verify(orders: Sequence[str], pks: dict[str, int], events: list[tuple[str, str, float]]) -> dict[str, Any]:
    """From the database: the status changes and messages of these orders, against the events the answers said
    were applied (order, step, client send time)."""
    ids = [pks[e] for e in orders]
    with psycopg.connect(DB.url) as conn:
        changes = conn.execute(
            "SELECT count(*), count(DISTINCT (sc.order_id, sc.status_id)) FROM orders_statuschange sc "
            "JOIN orders_orderstatus s ON s.id = sc.status_id WHERE sc.order_id = ANY(%s) AND s.code = ANY(%s)",
            [ids, list(STEPS)]).fetchone()
        messages = conn.execute(
            "SELECT status, count(*) FROM messaging_message WHERE source = ANY(%s) GROUP BY status",
            [[f"order:{i}" for i in ids]]).fetchall()
    keys = [f"order:{pks[ext]}:status:{code}" for ext, code, _ in events]
    created = _epochs("SELECT idempotency_key, extract(epoch FROM created_at) FROM messaging_message "
                      "WHERE idempotency_key = ANY(%s)", [keys])
    recorded = _epochs("SELECT 'order:' || sc.order_id || ':status:' || s.code, extract(epoch FROM sc.recorded_at) "
                       "FROM orders_statuschange sc JOIN orders_orderstatus s ON s.id = sc.status_id "
                       "WHERE sc.order_id = ANY(%s) AND s.code = ANY(%s)", [ids, list(STEPS)])
    queue_ms, recorded_ms = [], []
    for key, (_, _, sent) in zip(keys, events, strict=True):
        if key in created:
            queue_ms.append((created[key] - sent) * 1000)
            if key in recorded:
                recorded_ms.append((created[key] - recorded[key]) * 1000)
    by_status = {status: count for status, count in messages}
    assert changes is not None
    return {
        "status_changes": changes[0], "status_changes_distinct": changes[1],
        "messages": sum(by_status.values()), "messages_by_status": by_status,
        "events_with_message": len(queue_ms),
        "queue": summarize(queue_ms), "recorded_to_queued": summarize(recorded_ms),
    }


def phase(kind: str, running: Server, headers: dict[str, str], orders: Sequence[str], pks: dict[str, int],
          seconds: float) -> dict[str, Any]:
    meta, records = load(kind, running, headers, orders, seconds)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    events: list[tuple[str, str, float]] = []
    sent_events = refused = 0
    if kind == "single":
        for ext, code, sent, ms, status, applied in records:
            statuses[status] += 1
            latencies.append(ms)
            sent_events += 1
            if applied:
                events.append((ext, code, sent))
            else:
                refused += 1
    else:
        for code, sent, ms, status, applied_ids, not_applied in records:
            statuses[status] += 1
            latencies.append(ms)
            sent_events += len(applied_ids) + not_applied
            refused += not_applied
            events += [(ext, code, sent) for ext in applied_ids]
    touched = sorted({ext for ext, _, _ in events})
    checks = verify(touched, pks, events)
    split = meta.pop("split")
    result = {
        **meta, "kind": kind, "batch": BATCH_SIZE if kind == "batch" else 1,
        "requests": len(records), "events_sent": sent_events, "events_applied": len(events),
        "events_not_applied": refused, "eps": len(events) / meta["seconds"],
        "latency": summarize(latencies),
        "http_statuses": {str(k): v for k, v in sorted(statuses.items())},
        "non2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
        **checks,
    }
    if split:
        result["cpu_seconds"] = split
        result["cpu_ms_per_event"] = {k: v * 1000 / max(1, len(events)) for k, v in split.items()
                                      if k in ("app", "db", "clients", "other")}
    q = result["queue"]
    say(f"    {result['eps']:,.0f} events/s applied ({len(events):,} in {meta['seconds']:.1f} s, "
        f"{len(records):,} requests), request p50 {result['latency'].get('p50', 0):.1f} ms, "
        f"p95 {result['latency'].get('p95', 0):.1f} ms; queued p95 {q.get('p95', float('nan')):.0f} ms; "
        f"non-2xx {result['non2xx']}")
    if split:
        c = result["cpu_ms_per_event"]
        say(f"    CPU per event: app {c['app']:.1f} ms, PostgreSQL {c['db']:.1f} ms, clients {c['clients']:.2f} ms, "
            f"other {c['other']:.1f} ms; cores {split['busy_share']:.0%} busy")
    return result


# ---------------------------------------------------------------------------------------------- diagnostics


def _statement_kind(sql: str) -> str:
    """'SELECT messaging_message', 'INSERT platform_event', … — the verb and the first table."""
    import re

    words = sql.split()
    verb = words[0].upper() if words else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"):
        return verb
    pattern = {"SELECT": r'\bFROM\s+"?(\w+)"?', "INSERT": r'\bINTO\s+"?(\w+)"?', "UPDATE": r'^UPDATE\s+"?(\w+)"?',
               "DELETE": r'\bFROM\s+"?(\w+)"?'}.get(verb, r'"(\w+)"')
    match = re.search(pattern, sql, re.IGNORECASE)
    return f"{verb} {match.group(1)}" if match else verb


def diagnostics(token: str, orders: Sequence[str]) -> dict[str, Any]:
    """In-process, Django's test client (one thread, no HTTP server): SQL statements per event, for one event of
    each step and for a batch of 100; a profile of one batch of 500."""
    import cProfile
    import pstats

    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from .diagnose import _bucket

    client = TestClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    out: dict[str, Any] = {}
    warm, single, batch100, batch500 = orders[:20], orders[20:40], orders[40:140], orders[140:640]
    for ext in warm:  # templates, the key cache, imports
        client.post(STATUS_PATH.format(source=SOURCE, external_id=ext), {"status": STEPS[0]},
                    content_type="application/json")
    for code in STEPS:
        counts = []
        kinds: Counter[str] = Counter()
        for ext in single:
            with CaptureQueriesContext(connection) as ctx:
                response = client.post(STATUS_PATH.format(source=SOURCE, external_id=ext), {"status": code},
                                       content_type="application/json")
            if response.status_code != 200:
                return {"error": f"status {response.status_code}: {response.content[:200]!r}"}
            counts.append(len(ctx.captured_queries))
            kinds.update(_statement_kind(q["sql"]) for q in ctx.captured_queries)
        out[f"single_{code}"] = {"statements": sum(counts) / len(counts),
                                 "kinds": [(k, v / len(counts)) for k, v in kinds.most_common()]}
    for code in STEPS:
        body = {"source": SOURCE, "statuses": [{"external_id": e, "status": code} for e in batch100]}
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            client.post(BATCH_PATH, body, content_type="application/json")
            ms = (time.perf_counter() - started) * 1000
        out[f"batch_{code}"] = {"statements": len(ctx.captured_queries) / len(batch100),
                                "ms_per_event": ms / len(batch100)}
    # The profile: one batch of 500 (the first step), by package, and the Regulars functions that take longest.
    profiler = cProfile.Profile()
    body = {"source": SOURCE, "statuses": [{"external_id": e, "status": STEPS[0]} for e in batch500]}
    started = time.perf_counter()
    profiler.enable()
    client.post(BATCH_PATH, body, content_type="application/json")
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    totals: dict[str, float] = {}
    functions = []
    for (filename, line, name), (_, ncalls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        bucket = _bucket(filename)
        totals[bucket] = totals.get(bucket, 0.0) + own
        if "/regulars/" in filename and ncalls >= len(batch500) / 2:  # not the once-per-request wrappers
            short = filename.split("/regulars/", 1)[1]
            functions.append((f"regulars/{short}:{line} {name}", ncalls, cumulative))
    whole = sum(totals.values()) or 1.0
    functions.sort(key=lambda f: -f[2])
    out["profile"] = {
        "events": len(batch500), "ms_per_event_profiled": wall * 1000 / len(batch500),
        "shares": sorted(((label, t / whole) for label, t in totals.items()), key=lambda x: -x[1]),
        "functions": [(name, calls / len(batch500), cum * 1000 / len(batch500)) for name, calls, cum in
                      functions[:24]],
    }
    return out


# ---------------------------------------------------------------------------------------------- the run


def run(n: int, seconds: float, servers: list[ServerConfig]) -> dict[str, Any]:
    started = time.perf_counter()
    say(f"Orders benchmark: {n:,} orders in a freshly migrated {DB.name}, {seconds:.0f} s per load run …")
    generate.recreate_database(DB)
    generate.setup_django(DB)
    generate.migrate()
    t0 = time.perf_counter()
    pks = _prepare(n)
    setup_seconds = time.perf_counter() - t0
    token = _api_key()
    headers = {"Authorization": f"Bearer {token}"}
    say(f"  {n:,} customers with orders in status new in {setup_seconds:.1f} s")
    res: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M %Z"),
                           "orders": n, "seconds_per_run": seconds, "setup_seconds": setup_seconds,
                           "machine": machine.facts(DB.url), "steps": list(STEPS), "batch_size": BATCH_SIZE,
                           "flow": FLOW, "runs": []}

    say(f"  baseline: bare single-row INSERTs, {SINGLE_SHAPE[0] * SINGLE_SHAPE[1]} connections, {seconds:.0f} s …")
    res["baseline"] = baseline(seconds)
    say(f"    {res['baseline']['rps']:,.0f} rows/s, p95 {res['baseline']['p95']:.2f} ms")

    pool = [external_id(i) for i in range(n - RESERVED)]
    reserved = [external_id(i) for i in range(n - RESERVED, n)]
    next_order = 0
    secret_key = os.urandom(32).hex()
    for shape in servers:
        with Server(DB.url, secret_key, shape) as running:
            say(f"  server {shape.describe()}")
            res.setdefault("command_server", " ".join(Server(DB.url, secret_key, shape).command()))
            _warm_up(running.base_url, headers, reserved[-200:])
            reserved = reserved[:-200]
            for kind in ("single", "batch"):
                take = min(ORDERS_PER_PHASE, len(pool) - next_order)
                if take < 1000:
                    say(f"    {kind}: skipped, the orders are used up (--orders)")
                    continue
                orders = pool[next_order:next_order + take]
                next_order += take
                say(f"    {kind}{f' ({BATCH_SIZE} per request)' if kind == 'batch' else ''}, "
                    f"{seconds:.0f} s …")
                result = phase(kind, running, headers, orders, pks, seconds)
                result["server"] = str(shape)
                result["server_described"] = shape.describe()
                res["runs"].append(result)

    say("  SQL statements per event and a profile of a batch of 500, in-process …")
    try:
        res["diagnostics"] = diagnostics(token, reserved)
    except Exception as exc:  # diagnostics must never sink the run
        res["diagnostics"] = {"error": f"{type(exc).__name__}: {exc}"}
    res["total_seconds"] = time.perf_counter() - started
    res["load_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ordersbench", description=__doc__)
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--servers", default=DEFAULT_SERVERS,
                        help="comma-separated granian:NxT shapes, each measured (default %(default)s)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    servers = [ServerConfig.parse(s) for s in args.servers.split(",") if s]
    result = run(args.orders, args.seconds, servers)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    else:
        say(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
