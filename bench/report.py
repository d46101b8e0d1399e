"""docs/benchmarks.md, rewritten by every run from the numbers of that run."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from . import config, emailreport, importreport, ordersreport

DOC = config.ROOT / "docs" / "benchmarks.md"

TARGET_API_P95_MS = 15.0
TARGET_API_RPS = 1000.0
TARGET_LIST_P95_MS = 150.0


def _ms(value: Any) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _rps(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, int | float) else "–"


def _ratio(a: Any, b: Any) -> str:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b:
        return "–"
    return f"{a / b:.1f}×" if a / b >= 1.95 else f"{a / b:.2f}×"


def _row(label: str, clients: Any, r: dict | None, *, rps: bool = True) -> str:
    if not r or "error" in r:
        return f"| {label} | {clients} | not available | | | |"
    return (f"| {label} | {clients} | {_ms(r.get('p50'))} | {_ms(r.get('p95'))} | {_ms(r.get('p99'))} | "
            f"{_rps(r.get('rps')) if rps else '–'} |")


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else "**met**" if ok else "**not met**"


def targets(res: dict) -> list[tuple[str, str, bool | None]]:
    api = res.get("api_16") or {}
    page = res.get("list") or {}
    have_api = "p95" in api
    have_list = "p95" in page
    return [
        (f"API lookup p95 < {TARGET_API_P95_MS:.0f} ms (16 clients)", f"{_ms(api.get('p95'))} ms",
         api["p95"] < TARGET_API_P95_MS if have_api else None),
        (f"API lookup ≥ {TARGET_API_RPS:,.0f} requests/s (16 clients)", f"{_rps(api.get('rps'))} /s",
         api["rps"] >= TARGET_API_RPS if have_api else None),
        (f"List search p95 < {TARGET_LIST_P95_MS:.0f} ms", f"{_ms(page.get('p95'))} ms",
         page["p95"] < TARGET_LIST_P95_MS if have_list else None),
        importreport.target(res.get("import")),
        emailreport.target(res.get("email")),
        *ordersreport.targets(res.get("orders")),
    ]


def _reading(res: dict) -> list[str]:
    """Sentences computed from the numbers; the judgement in them is only arithmetic."""
    lines: list[str] = []
    api, sql = res.get("api_16") or {}, res.get("sql_16") or {}
    split = res.get("cpu_split")
    met = [t for t in targets(res) if t[2] is True]
    missed = [t for t in targets(res) if t[2] is False]
    unmeasured = [t for t in targets(res) if t[2] is None]
    if met:
        lines.append("Met: " + "; ".join(f"{name} ({value})" for name, value, _ in met) + ".")
    if missed:
        lines.append("Not met: " + "; ".join(f"{name} ({value})" for name, value, _ in missed) + ".")
    if unmeasured:
        lines.append("Not measured: " + "; ".join(name for name, _, _ in unmeasured) + " (see the notes).")
    if "rps" in api and "rps" in sql:
        lines.append(
            f"The API serves {_ratio(api['rps'], sql['rps'])} the lookups per second of raw SQL on the same machine, "
            f"at {_ratio(api['p95'], sql['p95'])} its p95 latency: the database part of a lookup is cheap, "
            "the rest is the HTTP/Django stack around it."
        )
    if split and api.get("n"):
        cpu = split
        total = cpu["app"] + cpu["db"] + cpu["loadgen"]
        cores = int(res["machine"]["nproc"])
        ceiling = cores * 1000 / total if total else float("nan")
        dominant = "the application server (Python: Django, django-ninja, the HTTP server)" if cpu["app"] > cpu["db"] \
            else "PostgreSQL"
        lines.append(
            f"CPU per API request during the 16-client run: application server {cpu['app']:.2f} ms, its PostgreSQL "
            f"backends {cpu['db']:.2f} ms, the load generator {cpu['loadgen']:.2f} ms, everything else on the "
            f"machine {cpu['other']:.2f} ms; the cores were {cpu['busy_share']:.0%} busy. So {dominant} dominates, "
            f"and with {cores} cores the arithmetic ceiling is about {ceiling:,.0f} requests/s even with the machine "
            "to itself."
        )
        if api.get("rps", 0) < TARGET_API_RPS and total:
            needed = (cpu["app"] + cpu["db"]) * TARGET_API_RPS / 1000
            lines.append(
                f"At this cost {TARGET_API_RPS:,.0f} lookups/s need about {needed:.0f} cores of app server and "
                f"PostgreSQL; on {cores} cores a lookup must become about {needed / cores:.0f}× cheaper "
                f"(≤ {cores * 1000 / TARGET_API_RPS:.1f} ms of CPU, app and database together). The web tier is "
                "stateless, so more cores or machines behind a load balancer also get there."
            )
    profile = (res.get("profiles") or {}).get("lookup")
    if profile and profile.get("shares"):
        label, share = profile["shares"][0]
        lines.append(
            f"In-process, one lookup takes {profile['ms_per_request']:.1f} ms on one thread; the largest part is "
            f"{label} ({share:.0%}, profile below)."
        )
    queries = res.get("queries") or {}
    counts = {name: q["count"] for name, q in queries.items() if q and "count" in q}
    if "lookup" in counts:
        tables = ", ".join(_tables(queries["lookup"]["sql"]))
        lines.append(f"An API lookup runs {counts['lookup']} SQL queries where the baseline runs one; they read "
                     f"{tables} (listed below). Each query costs ORM work to build and a round trip.")
    page, page_sql = res.get("list") or {}, (res.get("sql_list") or {}).get("page") or {}
    if "p95" in page and "p95" in page_sql:
        extra = f" runs {counts['list']} SQL queries and" if "list" in counts else ""
        lines.append(
            f"The list page's p95 is {_ratio(page['p95'], page_sql['p95'])} that of its search query alone: the "
            f"trigram index keeps the search itself at p95 {_ms(page_sql['p95'])} ms; the page{extra} renders "
            "50 cards with their contacts, tags and flags."
        )
    return lines


def _tables(sqls: list[str]) -> list[str]:
    """The first table each query reads, in order: a one-line summary of what a request asks the database."""
    found = []
    for sql in sqls:
        match = re.search(r'\bFROM\s+"?([\w.]+)"?', sql)
        found.append(f"`{match.group(1)}`" if match else "?")
    return found


def _profiles(res: dict) -> list[str]:
    profiles = res.get("profiles") or {}
    have = [(name, label) for name, label in (("lookup", "API lookup"), ("list", "list page"))
            if (profiles.get(name) or {}).get("shares")]
    if not have:
        return [f"Not profiled: {profiles['error']}", ""] if profiles.get("error") else []
    out = [
        "## Where one request's time goes",
        "",
        "In-process (Django's test client, one thread, no HTTP server): the time of one request, split by the "
        "package of the function that spent it (cProfile own time; profiling inflates call-heavy code, so this is "
        "a guide).",
        "",
        "| | " + " | ".join(label for _, label in have) + " |",
        "|---|" + "---:|" * len(have),
        "| **ms per request** | " + " | ".join(f"{profiles[n]['ms_per_request']:.1f}" for n, _ in have) + " |",
    ]
    buckets: list[str] = []
    for name, _ in have:
        for bucket, _ in profiles[name]["shares"]:
            if bucket not in buckets:
                buckets.append(bucket)
    for bucket in buckets:
        cells = []
        for name, _ in have:
            share = dict(profiles[name]["shares"]).get(bucket, 0.0)
            cells.append(f"{share:.0%} ({share * profiles[name]['ms_per_request']:.1f} ms)")
        out.append(f"| {bucket} | " + " | ".join(cells) + " |")
    out.append("")
    return out


def _queries(res: dict) -> list[str]:
    """The SQL one request runs, shortened: what to look at first when the API is to get cheaper."""
    out: list[str] = []
    for name, label in (("lookup", "API lookup"), ("list", "List page")):
        q = (res.get("queries") or {}).get(name) or {}
        if "sql" not in q:
            if "error" in q:
                out += [f"{label}: not counted ({q['error']}).", ""]
            continue
        out += [f"{label}: {q['count']} queries (second request, counted in-process with Django's test client).", ""]
        out += [f"{n}. `{_short(sql)}`" for n, sql in enumerate(q["sql"], start=1)]
        out.append("")
    return out


def _short(sql: str, limit: int = 150) -> str:
    sql = " ".join(sql.split()).replace("`", "'")
    return sql if len(sql) <= limit else sql[: limit - 1] + "…"


def _tuning(res: dict) -> list[str]:
    rows = res.get("tuning") or []
    if not rows:
        return [f"Server: {res['server']} (given with `--server`, no comparison run)."]
    out = [
        f"Chosen by {res['tune_rounds']} interleaved rounds of a {res['tune_seconds']:.0f}-second 16-client lookup run "
        "on each candidate (best mean requests/s). `granian:NxT` is granian with N processes × T Python "
        "threads, `sync:N` gunicorn with N sync workers, `gthread:NxT` gunicorn with N workers × T threads.",
        "",
        "| server | requests/s (mean) | each round | p95 ms (mean) | non-2xx |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        mark = " ← chosen" if row["server"] == res["server_key"] else ""
        if "error" in row:
            out.append(f"| `{row['server']}` | {row['error']} | | | |")
        else:
            rounds = ", ".join(_rps(x) for x in row["rounds"])
            out.append(f"| `{row['server']}`{mark} | {_rps(row['rps'])} | {rounds} | {_ms(row['p95'])} | "
                       f"{row['non2xx']} |")
    return out


def render(res: dict) -> str:
    m = res["machine"]
    gen = res.get("generation")
    sql_list = res.get("sql_list") or {}
    notes = res.get("notes") or []
    lines = [
        "# Benchmarks",
        "",
        f"_Written by `python -m bench` on {res['date']}. `make bench` re-runs it and rewrites this file; "
        "edit `bench/report.py`, not this file._",
        "",
        "What is measured (details in [bench/README.md](../bench/README.md)): a PostgreSQL database of "
        f"{res['customers']:,} customers, each with two mobile phones and an e-mail "
        f"({res['customers'] * 3:,} contact points) and three timeline entries ({res['customers'] * 3:,}). "
        "The phone lookup goes through the HTTP API and, as the baseline, through the same SQL sent straight to "
        "PostgreSQL; the customer list is searched by a run of 4–7 phone digits, and compared with its SQL.",
        "",
        "## Phone lookup",
        "",
        "`GET /api/v1/customers/lookup?phone=…` with an API key (half the phones as `+7…`, half as `8…`), "
        "against `SELECT c.* FROM customers_customer c JOIN customers_contactpoint p ON p.customer_id = c.id "
        "WHERE p.kind = 'phone' AND p.value = …`. Random existing phones; latencies in milliseconds.",
        "",
        "| | clients | p50 | p95 | p99 | requests/s |",
        "|---|---:|---:|---:|---:|---:|",
        _row("raw SQL (psycopg)", 1, res.get("sql_single")),
        _row("API", 1, res.get("api_single")),
        _row(f"raw SQL ({(res.get('sql_16') or {}).get('client', '–')})", config.CONCURRENCY, res.get("sql_16")),
        _row(f"API ({(res.get('api_16') or {}).get('client', '–')})", config.CONCURRENCY, res.get("api_16")),
    ]
    api, sql = res.get("api_16") or {}, res.get("sql_16") or {}
    api1, sql1 = res.get("api_single") or {}, res.get("sql_single") or {}
    lines += [
        f"| **API ÷ raw SQL** | 1 | {_ratio(api1.get('p50'), sql1.get('p50'))} | "
        f"{_ratio(api1.get('p95'), sql1.get('p95'))} | {_ratio(api1.get('p99'), sql1.get('p99'))} | "
        f"{_ratio(api1.get('rps'), sql1.get('rps'))} |",
        f"| **API ÷ raw SQL** | {config.CONCURRENCY} | {_ratio(api.get('p50'), sql.get('p50'))} | "
        f"{_ratio(api.get('p95'), sql.get('p95'))} | {_ratio(api.get('p99'), sql.get('p99'))} | "
        f"{_ratio(api.get('rps'), sql.get('rps'))} |",
        "",
    ]
    if "n" in api:
        lines.append(f"API 16-client run: {api['n']:,} requests, {api.get('non2xx', 0)} non-2xx, "
                     f"{api.get('socket_errors', 0)} socket errors.")
    if "error" in api:
        lines.append(f"API: not available — {api['error']}")
    lines += [
        "",
        "## List page searched by phone digits",
        "",
        f"`GET /customers/?q=<4–7 digits>` as a logged-in operator, {len(res.get('terms', []))} sequential "
        "requests with different digit runs, against the page's search query in raw SQL: the first page of matches "
        "newest first (`search_text LIKE '%…%' ORDER BY created_at DESC, id DESC LIMIT 51`, served by the trigram "
        "GIN index; 51 rows for a page of 50, as the page asks).",
        "",
        "| | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, r in (("raw SQL: the page's search query", sql_list.get("page")),
                     ("list page over HTTP", res.get("list"))):
        if r and "p50" in r:
            lines.append(f"| {label} | {_ms(r['p50'])} | {_ms(r['p95'])} | {_ms(r['p99'])} | {_ms(r['max'])} |")
        else:
            lines.append(f"| {label} | not available | | | |")
    page = res.get("list") or {}
    base = sql_list.get("page") or {}
    lines += [
        f"| **page ÷ raw SQL** | {_ratio(page.get('p50'), base.get('p50'))} | "
        f"{_ratio(page.get('p95'), base.get('p95'))} | {_ratio(page.get('p99'), base.get('p99'))} | |",
        "",
    ]
    matches, count = sql_list.get("matches"), sql_list.get("count")
    if matches and "p50" in matches and count:
        lines.append(f"Cards matched per digit run: median {matches['p50']:,.0f}, p95 {matches['p95']:,.0f}, "
                     f"max {matches['max']:,.0f}. The page shows no total; a `count(*)` of the matches would cost "
                     f"p50 {_ms(count['p50'])} ms, p95 {_ms(count['p95'])} ms more.")
    if "error" in page:
        lines.append(f"List page: not available — {page['error']}")
    if res.get("login"):
        lines.append(f"Session: {res['login']}.")
    lines += ["", *importreport.section(res.get("import")), *emailreport.section(res.get("email")),
              *ordersreport.section(res.get("orders"))]
    lines += ["## Targets", "", "| target | measured | |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {_verdict(ok)} |" for name, value, ok in targets(res)]
    lines += ["", "## Reading", ""]
    lines += [f"- {line}" for line in _reading(res)]
    lines += [f"- {note}" for note in notes]
    lines.append("")
    lines += _profiles(res)
    if res.get("queries"):
        lines += ["## Queries per request", ""]
        lines += _queries(res)
    lines += ["", "## Server", "", f"{res['server']}, production settings (`config.settings.production`, "
              "DEBUG off), `SECURE_SSL_REDIRECT=false` (plain HTTP on 127.0.0.1), persistent database "
              "connections (`CONN_MAX_AGE=60`). Load generator and server share the machine.", ""]
    if res.get("command_server"):
        lines += ["```", f"DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=<random 64> "
                  f"SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1 DATABASE_URL=<bench db> \\\n  "
                  f"{res['command_server']}", "```", ""]
    lines += _tuning(res)
    lines += [
        "",
        "## Machine and run",
        "",
        f"- Cores (nproc): {m['nproc']}; CPU: {m['cpu']}; RAM: {m['ram']}; kernel {m['kernel']}; "
        f"Python {m['python']}",
        f"- {m['postgres']} on 127.0.0.1; {m['postgres_settings']}; bench database {m['db_size']}",
        f"- Load average at the start of the run: {m['load_at_start']}; at the end: {res.get('load_at_end', '–')} "
        "(the machine is shared: other work may run at the same time)",
        f"- Command: `{res['command']}`",
        f"- Data: {'generated in this run in ' + _seconds(gen['total']) if gen else 'reused from an earlier run'}"
        + (f" (last generation took {_seconds(res['generation_seconds'])})" if not gen and
           res.get("generation_seconds") else "")
        + f"; seed {config.SEED}",
        f"- Last invocation: {_seconds(res['total_seconds'])}; throughput runs {res['duration']:.0f} s each",
        "- Parts measured: " + ", ".join(f"{part} on {when}" for part, when in (res.get("measured") or {}).items()),
        "",
    ]
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value / 60:.1f} min" if value >= 120 else f"{value:.0f} s"


def write(res: dict, path: Path = DOC) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(res), encoding="utf-8")
    return path
