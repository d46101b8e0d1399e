"""The order-status events section of docs/benchmarks.md (see ordersbench.py for what is measured)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .splice import splice

TARGET_EVENTS_PER_SECOND = 2000.0
TARGET_QUEUED_P95_MS = 1000.0
HEADING = "## Order-status events through the API"


def _num(value: Any, digits: int = 0) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "–"
    return f"{value:,.{digits}f}"


def _ms(value: Any) -> str:
    if not isinstance(value, int | float) or math.isnan(value):
        return "–"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _best(orders: dict[str, Any] | None) -> dict[str, Any] | None:
    runs = [r for r in (orders or {}).get("runs", []) if r.get("events_applied")]
    return max(runs, key=lambda r: r["eps"]) if runs else None


def targets(orders: dict[str, Any] | None) -> list[tuple[str, str, bool | None]]:
    best = _best(orders)
    name = f"Order-status events ≥ {TARGET_EVENTS_PER_SECOND:,.0f}/s through the API, queued p95 < 1 s"
    if best is None:
        return [(name, "–", None)]
    p95 = best["queue"].get("p95", math.nan)
    value = f"{best['eps']:,.0f} /s ({best['kind']}), queued p95 {_ms(p95)} ms"
    return [(name, value, best["eps"] >= TARGET_EVENTS_PER_SECOND and p95 < TARGET_QUEUED_P95_MS)]


def _label(run: dict[str, Any]) -> str:
    what = "one event per request" if run["kind"] == "single" else f"batches of {run['batch']}"
    return f"API, {what} (`{run['server']}`)"


def section(orders: dict[str, Any] | None) -> list[str]:
    lines = [HEADING, ""]
    if not orders:
        return [*lines, "Not measured in this run (`python -m bench --only orders` measures it alone).", ""]
    if "error" in orders:
        return [*lines, f"Not available: {orders['error']}", ""]
    base, runs, m = orders["baseline"], orders["runs"], orders["machine"]
    steps = " → ".join(f"`{s}`" for s in orders["steps"])
    lines += [
        f"{orders['orders']:,} customers, each with a mobile phone and one order of the `{orders['flow']}` flow in "
        "status `new`, in a freshly migrated database (`regulars_bench_orders`, inserted in bulk). Clients in "
        f"several processes move distinct orders forward, {steps}, each step notifying, through "
        "`POST /api/v1/orders/{source}/{external_id}/status` (one event per request) and "
        f"`POST /api/v1/orders/statuses` (batches of {orders['batch_size']}, one transaction each, set-based "
        "writes), with an API key, for "
        f"{orders['seconds_per_run']:.0f} s each. Every applied change writes its `StatusChange`, its event, the "
        "timeline entry and, in the same transaction, the notification (`messaging.Message`, queued; no "
        "dispatcher runs, quiet hours do not matter for queueing). \"Queued\" latency is `Message.created_at` "
        "minus the client's send time of the request that carried the event (the row commits with the request's "
        "transaction; a batch is one transaction, so its messages commit together, before the answer comes back). The "
        "baseline, in the same run, is bare single-row `INSERT`s (autocommit, one transaction each) into a "
        "table with a primary key and one index, from as many connections as the single-event load.",
        "",
        "| | clients | requests | events | events/s | ÷ baseline | request p50 ms | p95 | p99 | queued p50 ms | "
        "queued p95 | recorded → queued p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| bare single-row `INSERT`s (psycopg, autocommit) | {base['clients']} | {base['rows']:,} | "
        f"{base['rows']:,} rows | {_num(base['rps'])} | 1.00× | {_ms(base['p50'])} | {_ms(base['p95'])} | "
        f"{_ms(base['p99'])} | | | |",
    ]
    for run in runs:
        lat, q, rq = run["latency"], run["queue"], run["recorded_to_queued"]
        ratio = run["eps"] / base["rps"] if base.get("rps") else math.nan
        lines.append(
            f"| {_label(run)} | {run['clients']} | {run['requests']:,} | {run['events_applied']:,} | "
            f"**{_num(run['eps'])}** | {ratio:.3f}× | {_ms(lat.get('p50'))} | {_ms(lat.get('p95'))} | "
            f"{_ms(lat.get('p99'))} | {_ms(q.get('p50'))} | **{_ms(q.get('p95'))}** | {_ms(rq.get('p95'))} |")
    lines.append("")
    lines += _verdict(orders)
    lines += ["", "Checked in the database after each run:", ""]
    for run in runs:
        statuses = ", ".join(f"{n:,} {s}" for s, n in sorted(run["messages_by_status"].items()))
        ok = (run["non2xx"] == 0 and run["events_not_applied"] == 0
              and run["status_changes"] == run["status_changes_distinct"] == run["events_applied"]
              and run["messages"] == run["events_with_message"] == run["events_applied"])
        lines.append(
            f"- {_label(run)}: {run['events_sent']:,} events sent, {run['events_applied']:,} applied, "
            f"{run['events_not_applied']:,} not; {run['non2xx']} non-2xx answers (statuses "
            f"{run['http_statuses']}); {run['status_changes']:,} status changes "
            f"({run['status_changes_distinct']:,} distinct order × step); {run['messages']:,} messages ({statuses}; "
            "a step withdraws the previous step's message while it is still queued, and no dispatcher runs) — "
            + ("**each event applied exactly once, one message each**." if ok else "**MISMATCH**, see bench/out/."))
    lines += ["", *_cpu(orders), *_analysis(orders), *_machine(orders, m)]
    return lines


def _verdict(orders: dict[str, Any]) -> list[str]:
    (name, value, ok), = targets(orders)
    if ok is None:
        return [f"Target ({name}): not measured."]
    best = _best(orders)
    assert best is not None
    if ok:
        return [f"Target ({name}): **met** — {value}."]
    short = TARGET_EVENTS_PER_SECOND / best["eps"] if best["eps"] else math.inf
    queued = best["queue"].get("p95", math.nan)
    parts = [f"{best['eps']:,.0f} events/s is {short:,.0f}× short of {TARGET_EVENTS_PER_SECOND:,.0f}/s"]
    if queued >= TARGET_QUEUED_P95_MS:
        parts.append(f"queued p95 {_ms(queued)} ms is over 1 s")
    single = next((r for r in orders["runs"] if r["kind"] == "single"), None)
    if single and single is not best:
        parts.append(f"one event per request: {single['eps']:,.0f} events/s, queued p95 "
                     f"{_ms(single['queue'].get('p95'))} ms")
    return [f"Target ({name}): **NOT met** — " + "; ".join(parts) + "."]


def _cpu(orders: dict[str, Any]) -> list[str]:
    runs = [r for r in orders["runs"] if r.get("cpu_ms_per_event")]
    if not runs:
        return []
    cores = int(orders["machine"]["nproc"])
    out = [
        "CPU per applied event during the load (from `/proc`, over the load window; the clients measured in "
        "their own processes):",
        "",
        "| | app server | its PostgreSQL backends | clients | everything else on the machine | cores busy | "
        "ceiling on these cores |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        c = run["cpu_ms_per_event"]
        ceiling = cores * 1000 / (c["app"] + c["db"]) if c["app"] + c["db"] else math.nan
        out.append(f"| {_label(run)} | {_ms(c['app'])} ms | {_ms(c['db'])} ms | {_ms(c['clients'])} ms | "
                   f"{_ms(c['other'])} ms | {run['cpu_seconds']['busy_share']:.0%} | {_num(ceiling)} events/s |")
    out += [
        "",
        "The ceiling is the number of cores divided by the app server's and PostgreSQL's CPU per event: what "
        "this code could reach with the machine to itself. \"Everything else\" is other work on the shared "
        "machine during the run (the load average is below).",
        "",
    ]
    return out


def _analysis(orders: dict[str, Any]) -> list[str]:
    diag = orders.get("diagnostics") or {}
    if "error" in diag:
        return [f"Diagnostics failed: {diag['error']}", ""]
    if not diag:
        return []
    steps = orders["steps"]
    single = [diag.get(f"single_{s}", {}) for s in steps]
    batch = [diag.get(f"batch_{s}", {}) for s in steps]
    out = [
        "### Where an event's time goes",
        "",
        "In-process (Django's test client, one thread, no HTTP server), on orders the load did not touch: "
        + "; ".join(f"`{s}`: **{_num(one.get('statements'), 1)} SQL statements per event** one per request, "
                    f"{_num(b.get('statements'), 1)} per event in a batch of 100 "
                    f"({_ms(b.get('ms_per_event'))} ms per event)" for s, one, b in zip(steps, single, batch,
                                                                                       strict=True))
        + ", against 1 for the baseline. The statements of one event, by kind:",
        "",
        "| statement | " + " | ".join(f"`{s}`" for s in steps) + " |",
        "|---|" + "---:|" * len(steps),
    ]
    kinds: list[str] = []
    for one in single:
        for kind, _ in one.get("kinds", []):
            if kind not in kinds:
                kinds.append(kind)
    for kind in kinds:
        cells = [_num(dict(one.get("kinds", [])).get(kind, 0), 0) for one in single]
        out.append(f"| `{kind}` | " + " | ".join(cells) + " |")
    out.append("| **total** | " + " | ".join(f"**{_num(one.get('statements'), 0)}**" for one in single) + " |")
    profile = diag.get("profile")
    if profile:
        out += [
            "",
            f"A profile of one batch of {profile['events']} `{steps[0]}` events (cProfile, "
            f"{_ms(profile['ms_per_event_profiled'])} ms per event under the profiler), own time by package:",
            "",
            "| package | share |",
            "|---|---:|",
            *[f"| {label} | {share:.0%} |" for label, share in profile["shares"] if share >= 0.005],
            "",
            "The Regulars functions called once or more per event, by cumulative ms per event under the profiler "
            "(each includes the ones it calls):",
            "",
            "| function | calls per event | ms per event |",
            "|---|---:|---:|",
            *[f"| `{name}` | {calls:.2f} | {_ms(ms)} |" for name, calls, ms in profile["functions"]],
        ]
    out += ["", *_reading(orders, single), ""]
    return out


def _reading(orders: dict[str, Any], single: list[dict[str, Any]]) -> list[str]:
    """Sentences computed from the numbers, for whoever makes this faster."""
    lines = []
    statements = [float(one["statements"]) for one in single if one.get("statements")]
    base = orders["baseline"]
    runs = [r for r in orders["runs"] if r.get("cpu_ms_per_event")]
    if statements and runs:
        c = runs[0]["cpu_ms_per_event"]
        lines.append(
            f"- Each event is one transaction of about {min(statements):.0f}–{max(statements):.0f} statements, each "
            "a round trip with its ORM work; the baseline's transaction is one statement "
            f"({_num(base['rps'])} rows/s on the same cores). The app server spends {_ms(c['app'])} ms of CPU and "
            f"PostgreSQL {_ms(c['db'])} ms per event: "
            + ("Python (the ORM building statements and model instances, rendering the message) dominates, so the "
               "first lever is fewer statements per event, not PostgreSQL settings." if c["app"] > c["db"] else
               "PostgreSQL dominates: look at the statements' plans and the indexes they write."))
    lines.append(
        "- What runs per event (read from the statement list and the code when this benchmark was written; the "
        "table above is regenerated each run, this sentence is not): the order locked and read, its status looked "
        "up; the order updated, the `StatusChange`, the `order.status_changed` event and its timeline entry "
        "inserted; the webhook subscriptions read; then the inline notification consumer reads the order again, "
        "withdraws the previous step's queued message (select for update; on the second step an update, its own "
        "event and timeline entry), builds the template context (shipment, payment link, policy, reminders — some "
        "read twice), and `message_send` checks the idempotency key, reads the customer, the template (three "
        "times: exists, channels, the row), its version, the customer's tags and contact, and inserts the message "
        "inside a savepoint.")
    lines.append(
        "- A batch does not help: it runs the same per-order transaction in a loop (statements per event are the "
        "same), only saving the HTTP and authentication overhead per request; and its latency to \"queued\" grows "
        "with the position in the batch.")
    return lines


def _machine(orders: dict[str, Any], m: dict[str, str]) -> list[str]:
    return [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram']} RAM, {m['postgres']} ({m['postgres_settings']}), "
        f"Python {m['python']}. Load average at the start {m['load_at_start']}, at the end "
        f"{orders.get('load_at_end', '–')} (shared machine). Server: {orders['runs'][0]['server_described']} "
        f"(`regulars serve`'s granian, production settings): `{orders.get('command_server', '')}`. Command: "
        f"`python -m bench --only orders` (run {orders.get('date', '–')}, {orders['total_seconds']:.0f} s including "
        "migrate and the data).",
        "",
    ] if orders.get("runs") else []


def update(path: Path, orders: dict[str, Any] | None) -> Path:
    """This section and its target row replaced in the report, the rest left as it is (bench/splice.py)."""
    path.write_text(splice(path.read_text(encoding="utf-8"), HEADING, section(orders), targets(orders)),
                    encoding="utf-8")
    return path
