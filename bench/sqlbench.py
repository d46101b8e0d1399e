"""The baseline: the same lookups in raw SQL, no Django, no HTTP. What the API can at best approach.

Single-client latency is measured from Python with psycopg, the way Django talks to PostgreSQL (autocommit,
client-side parameter binding, no prepared statements). The 16-client throughput uses pgbench, a C client, for the
same reason the API is driven by wrk: a Python load generator would eat the CPU the server under test needs.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from . import data
from .stats import summarize

LOOKUP_SQL = (
    "SELECT c.* FROM customers_customer c JOIN customers_contactpoint p ON p.customer_id = c.id "
    "WHERE p.kind = 'phone' AND p.value = %s"
)
# What the list page asks: the first page of matches, newest first, with the home branch (select_related); 51 rows
# for a page of 50, the extra one telling whether a next page exists. The page shows no total, so the count is
# measured only to say how many cards each digit run matched (and what a total would cost).
LIST_SQL = (
    "SELECT c.*, b.* FROM customers_customer c LEFT JOIN org_branch b ON b.id = c.home_branch_id "
    "WHERE c.search_text LIKE %s ORDER BY c.created_at DESC, c.id DESC LIMIT 51"
)
COUNT_SQL = "SELECT count(*) FROM customers_customer WHERE search_text LIKE %s"

# pgbench substitutes :variables inside the quotes in simple-protocol mode, so every transaction sends the literal
# query Django would send; the phone is computed from a random index with the generator's permutation.
_PGBENCH_SCRIPT = """\\set k random(0, {last})
\\set v ({a} * :k + {b}) % {space}
\\set n 79000000000 + CASE WHEN :v >= {skip_from} THEN :v + {skip_size} ELSE :v END
SELECT c.* FROM customers_customer c JOIN customers_contactpoint p ON p.customer_id = c.id \
WHERE p.kind = 'phone' AND p.value = '+:n';
"""


def _connect(db_url: str) -> psycopg.Connection:
    return psycopg.connect(db_url, autocommit=True, prepare_threshold=None, cursor_factory=psycopg.ClientCursor)


def lookup_single(db_url: str, phones: list[str], seconds: float) -> dict[str, float]:
    """One client, one query after another, for `seconds` (after a short warm-up)."""
    latencies: list[float] = []
    with _connect(db_url) as conn, conn.cursor() as cur:
        for phone in phones[:200]:
            cur.execute(LOOKUP_SQL, [phone])
            cur.fetchall()
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            phone = phones[i % len(phones)]
            i += 1
            started = time.perf_counter()
            cur.execute(LOOKUP_SQL, [phone])
            rows = cur.fetchall()
            latencies.append((time.perf_counter() - started) * 1000)
            if len(rows) != 1:
                raise AssertionError(f"{phone}: {len(rows)} rows; the bench data and the phone sample disagree")
    result = summarize(latencies)
    result["rps"] = len(latencies) / seconds
    return result


def lookup_concurrent(db_url: str, customers: int, phones_per_customer: int, clients: int,
                      seconds: float) -> dict[str, float | str]:
    if shutil.which("pgbench"):
        return _pgbench(db_url, customers * phones_per_customer, clients, seconds)
    phones = data.sample_phones(customers, 20_000, seed=7, per_customer=phones_per_customer)
    return _threads(db_url, phones, clients, seconds)


def _pgbench(db_url: str, total_phones: int, clients: int, seconds: float) -> dict[str, float | str]:
    with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as tmp:
        script = Path(tmp) / "lookup.sql"
        script.write_text(_PGBENCH_SCRIPT.format(last=total_phones - 1, a=data._PHONE_A, b=data._PHONE_B,
                                                 space=data._PHONE_SPACE, skip_from=data._SKIP_FROM,
                                                 skip_size=data._SKIP_SIZE))
        # -j 2: two pgbench threads are plenty for 16 connections; --log gives every transaction's latency.
        command = ["pgbench", "-n", "-M", "simple", "-c", str(clients), "-j", "2", "-T", str(round(seconds)),
                   "-f", str(script), "--log", f"--log-prefix={tmp}/tx", db_url]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pgbench failed: {done.stderr.strip() or done.stdout.strip()}")
        latencies = [
            int(line.split()[2]) / 1000
            for log in Path(tmp).glob("tx.*")
            for line in log.read_text().splitlines()
        ]
    result: dict[str, float | str] = dict(summarize(latencies))
    result["rps"] = len(latencies) / seconds
    result["client"] = "pgbench"
    return result


def _threads(db_url: str, phones: list[str], clients: int, seconds: float) -> dict[str, float | str]:
    """Fallback without pgbench: threads, each with its own connection (psycopg releases the GIL while waiting)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        with _connect(db_url) as conn, conn.cursor() as cur:
            i = n * 997
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                cur.execute(LOOKUP_SQL, [phones[i % len(phones)]])
                cur.fetchall()
                latencies[n].append((time.perf_counter() - started) * 1000)
                i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [x for per_client in latencies for x in per_client]
    result: dict[str, float | str] = dict(summarize(flat))
    result["rps"] = len(flat) / seconds
    result["client"] = "python threads"
    return result


def list_search(db_url: str, terms: list[str]) -> dict[str, dict[str, float]]:
    """The list page's query for each digit run, one after another; then the count of its matches."""
    page: list[float] = []
    count: list[float] = []
    matches: list[float] = []
    with _connect(db_url) as conn, conn.cursor() as cur:
        for term in terms[:10]:  # warm-up, as the HTTP run gets
            cur.execute(LIST_SQL, [f"%{term}%"])
            cur.fetchall()
        for term in terms:
            pattern = f"%{term}%"
            started = time.perf_counter()
            cur.execute(LIST_SQL, [pattern])
            cur.fetchall()
            middle = time.perf_counter()
            cur.execute(COUNT_SQL, [pattern])
            matches.append(cur.fetchone()[0])
            ended = time.perf_counter()
            page.append((middle - started) * 1000)
            count.append((ended - middle) * 1000)
    return {"page": summarize(page), "count": summarize(count), "matches": summarize(matches)}
