"""`python -m bench`: generate (or reuse) 1M customers, then measure phone lookup over HTTP and in raw SQL, and the
list page searched by phone digits; write docs/benchmarks.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shlex
import string
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

from . import (
    config,
    cpu,
    data,
    emailreport,
    generate,
    httpbench,
    importbench,
    importreport,
    machine,
    ordersreport,
    report,
    sqlbench,
)
from .server import Server, ServerConfig

# Candidates for the 2-core target machines: granian (what `regulars serve` runs: HTTP in Rust, keep-alive, a few
# Python threads per process) around one process per core, and gunicorn's sync workers (one request each, no
# keep-alive) for comparison.
CANDIDATES = [ServerConfig("granian", 2, 2), ServerConfig("granian", 2, 4), ServerConfig("granian", 3, 2),
              ServerConfig("sync", 5)]
DEFAULT_SERVER = ServerConfig("granian", 2, 2)
SAMPLE_PHONES = 20_000
LIST_REQUESTS = 200


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--customers", type=int, default=config.DEFAULT_CUSTOMERS,
                        help="customers to generate (default %(default)s)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database even if it holds the data")
    parser.add_argument("--duration", type=float, default=20,
                        help="seconds of each 16-client throughput run (default %(default)s)")
    parser.add_argument("--server", type=ServerConfig.parse, default=None,
                        help="skip the comparison and use this server: granian:NxT, sync:N or gthread:NxT")
    parser.add_argument("--tune-seconds", type=float, default=8,
                        help="seconds per candidate server in the comparison (default %(default)s)")
    parser.add_argument("--tune-rounds", type=int, default=2,
                        help="interleaved rounds of the comparison (default %(default)s)")
    parser.add_argument("--only", choices=("all", "lookup", "import", "email", "orders"), default="all",
                        help="measure only one part; the other keeps its numbers from the last run (default all)")
    parser.add_argument("--import-rows", type=int, default=importbench.DEFAULT_ROWS,
                        help="rows of the import benchmark's file (default %(default)s)")
    parser.add_argument("--messages", type=int, default=5000,
                        help="e-mails of the dispatch benchmark (default %(default)s)")
    parser.add_argument("--orders-seconds", type=float, default=15,
                        help="seconds of each load run of the orders benchmark (default %(default)s)")
    parser.add_argument("--no-report", action="store_true", help="do not rewrite docs/benchmarks.md")
    return parser.parse_args(argv)


def digit_runs(phones: list[str], n: int, seed: int) -> list[str]:
    """What people type into the search box: 4–7 consecutive digits from the middle or the end of a number,
    taken from the international ('79…') or the trunk ('89…') form — both are in search_text."""
    rng = random.Random(seed)
    runs = []
    for i in range(n):
        phone = rng.choice(phones)
        digits = phone[1:] if i % 2 == 0 else data.trunk_form(phone)
        length = 4 + i % 4
        start = rng.randint(2, len(digits) - length)  # after the '79'/'89' every number shares
        runs.append(digits[start:start + length])
    return runs


def create_api_key() -> str:
    from regulars.org.services import apikey_create
    from regulars.platform.actor import Actor

    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    _, secret = apikey_create(actor=Actor.system("bench"), name=f"bench {stamp}")
    return secret


def _load_run(use_wrk: bool, base_url: str, headers: dict[str, str], paths: list[str],
              seconds: float) -> dict[str, Any]:
    run = httpbench.wrk_run if use_wrk else httpbench.python_run
    return run(base_url, headers, paths, config.CONCURRENCY, seconds)


def tune(args: argparse.Namespace, db: config.Database, secret_key: str, use_wrk: bool, headers: dict[str, str],
         paths: list[str]) -> tuple[ServerConfig, list[dict[str, Any]]]:
    """Run the 16-client lookup briefly on each candidate server, in interleaved rounds so that a burst of other
    work on the shared machine does not hit one candidate only; the best mean requests/s wins."""
    runs: dict[str, list[dict[str, Any]]] = {str(c): [] for c in CANDIDATES}
    errors: dict[str, str] = {}
    for round_no in range(1, args.tune_rounds + 1):
        for candidate in CANDIDATES:
            if str(candidate) in errors:
                continue
            try:
                with Server(db.url, secret_key, candidate) as running:
                    httpbench.probe(running.base_url, paths[0], headers)
                    _load_run(use_wrk, running.base_url, headers, paths, 2)  # warm-up: connections, imports
                    result = _load_run(use_wrk, running.base_url, headers, paths, args.tune_seconds)
            except httpbench.NotAvailable:
                raise
            except Exception as exc:  # one broken candidate must not sink the run
                errors[str(candidate)] = str(exc).splitlines()[0][:120]
                continue
            say(f"  round {round_no}, {candidate}: {result['rps']:,.0f} req/s, p95 {result['p95']:.1f} ms")
            runs[str(candidate)].append(result)
    rows: list[dict[str, Any]] = []
    for candidate in CANDIDATES:
        key = str(candidate)
        results = runs[key]
        if not results:
            rows.append({"server": key, "error": errors.get(key, "no result")})
            continue
        rows.append({
            "server": key,
            "rps": sum(r["rps"] for r in results) / len(results),
            "p95": sum(r["p95"] for r in results) / len(results),
            "non2xx": sum(int(r.get("non2xx", 0)) for r in results),
            "rounds": [r["rps"] for r in results],
        })
    scored = [(row["rps"], c) for row, c in zip(rows, CANDIDATES, strict=True) if "rps" in row]
    if not scored:
        return DEFAULT_SERVER, rows
    return max(scored, key=lambda pair: pair[0])[1], rows


def measure_http(args: argparse.Namespace, res: dict[str, Any], db: config.Database, secret_key: str,
                 phones: list[str], terms: list[str]) -> None:
    api_key = create_api_key()
    headers = {"Authorization": f"Bearer {api_key}"}
    paths = httpbench.lookup_paths(phones)
    use_wrk = httpbench.ensure_wrk(say)

    server = args.server or DEFAULT_SERVER
    if args.server is None:
        say("Comparing server configurations (16-client lookup) …")
        try:
            server, res["tuning"] = tune(args, db, secret_key, use_wrk, headers, paths)
        except httpbench.NotAvailable as exc:
            say(f"  skipped, the API is not available: {exc}")
            res["notes"].append(f"The server comparison was skipped: {exc}")
    res["server"], res["server_key"] = server.describe(), str(server)
    res["command_server"] = shlex.join(Server(db.url, secret_key, server).command())
    say(f"Server: {server.describe()}")

    with Server(db.url, secret_key, server) as running:
        base_url = running.base_url
        try:
            httpbench.probe(base_url, paths[0], headers)
            say("API lookup, 1 client …")
            res["api_single"] = httpbench.sequential(base_url, headers, paths, seconds=min(args.duration, 5))
            say(f"API lookup, {config.CONCURRENCY} clients, {args.duration:.0f}s …")
            _load_run(use_wrk, base_url, headers, paths, 3)  # warm-up
            result, split = cpu.measure(
                lambda: _load_run(use_wrk, base_url, headers, paths, args.duration),
                server_pid=running.pid, db_url=db.url, db_name=db.name,
            )
            res["api_16"] = result
            if split:
                res["cpu_split"] = split.per_request_ms(int(result["n"]))
            if result.get("non2xx"):
                res["notes"].append(f"{result['non2xx']} non-2xx API responses (first: {result['first_bad_status']}).")
            say(f"  {result['rps']:,.0f} req/s, p50 {result['p50']:.2f} ms, p95 {result['p95']:.2f} ms, "
                f"non-2xx {result.get('non2xx')}")
        except httpbench.NotAvailable as exc:
            say(f"  API lookup not available: {exc}")
            res["api_single"] = res["api_16"] = {"error": str(exc)}

        say(f"List page, {len(terms)} searches …")
        try:
            cookie = _session(base_url, res)
            res["list"] = httpbench.list_search(base_url, cookie, terms)
            say(f"  p50 {res['list']['p50']:.1f} ms, p95 {res['list']['p95']:.1f} ms")
            if res["list"].get("non2xx"):
                res["notes"].append(f"{res['list']['non2xx']} non-2xx list page responses.")
        except httpbench.NotAvailable as exc:
            say(f"  list page not available: {exc}")
            res["list"] = {"error": str(exc)}

    from .diagnose import profiles, query_counts

    say("Counting queries and profiling one request of each kind in-process …")
    res["queries"] = query_counts(api_key, phones[0], terms[-1])
    res["profiles"] = profiles(api_key, phones, terms, lookup="rps" in res.get("api_16", {}),
                               list_page="p50" in res.get("list", {}))


def _session(base_url: str, res: dict[str, Any]) -> str:
    """Log in through the form; if that is not possible, make the session directly (like force_login)."""
    try:
        cookie = httpbench.login(base_url, config.STAFF_USERNAME, config.STAFF_PASSWORD)
        res["login"] = "logged in through the login form (POST /login/ with the CSRF token)"
        return cookie
    except httpbench.NotAvailable as exc:
        from .session import session_cookie

        res["login"] = f"session row created directly, because the login form could not be used ({exc})"
        return session_cookie(config.STAFF_USERNAME)


RESULTS = config.ROOT / "bench" / "out" / "results.json"


def measure_lookup(args: argparse.Namespace, argv: list[str]) -> dict[str, Any]:
    """The 1,000,000-customer database: raw SQL baselines, then the same reads through HTTP."""
    started = time.perf_counter()
    db = config.Database()
    # One random key for this run, shared by the server and this process, so sessions made here are valid there.
    secret_key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    os.environ["SECRET_KEY"] = secret_key
    generate.setup_django(db)

    generation = generate.generate(db, args.customers, fresh=args.fresh, say=say)
    phones = data.sample_phones(args.customers, SAMPLE_PHONES, seed=config.SEED + 2)
    terms = digit_runs(phones, LIST_REQUESTS, seed=config.SEED + 3)
    command = "make bench" if os.environ.get("MAKELEVEL") else "python -m bench"
    res: dict[str, Any] = {
        "date": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": " ".join([command, *argv]),
        "customers": args.customers,
        "generation": generation,
        "generation_seconds": generate.last_generation_seconds(db),
        "machine": machine.facts(db.url),
        "duration": args.duration,
        "tune_seconds": args.tune_seconds,
        "tune_rounds": args.tune_rounds,
        "terms": terms,
        "notes": [],
    }

    say("Raw SQL lookup, 1 client …")
    res["sql_single"] = sqlbench.lookup_single(db.url, phones, min(args.duration, 5))
    say(f"  p50 {res['sql_single']['p50']:.2f} ms, p95 {res['sql_single']['p95']:.2f} ms")
    say(f"Raw SQL lookup, {config.CONCURRENCY} clients, {args.duration:.0f}s …")
    res["sql_16"] = sqlbench.lookup_concurrent(db.url, args.customers, config.PHONES_PER_CUSTOMER,
                                               config.CONCURRENCY, args.duration)
    say(f"  {res['sql_16']['rps']:,.0f} queries/s, p95 {res['sql_16']['p95']:.2f} ms")
    say(f"Raw SQL list search, {len(terms)} digit runs …")
    res["sql_list"] = sqlbench.list_search(db.url, terms)
    say(f"  first page: p50 {res['sql_list']['page']['p50']:.1f} ms, p95 {res['sql_list']['page']['p95']:.1f} ms")

    measure_http(args, res, db, secret_key, phones, terms)
    res["total_seconds"] = time.perf_counter() - started
    res["load_at_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return res


def measure_import(rows: int) -> dict[str, Any]:
    return measure_part("importbench", ["--rows", str(rows)])


def measure_part(module: str, args: list[str]) -> dict[str, Any]:
    """A part in its own process: Django there points at that part's own database."""
    out = RESULTS.with_name(f"{module}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    done = subprocess.run([sys.executable, "-m", f"bench.{module}", *args, "--json", str(out)],
                          cwd=config.ROOT, check=False)
    if done.returncode != 0 or not out.exists():
        return {"error": f"python -m bench.{module} exited with {done.returncode}"}
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def measure_orders(args: argparse.Namespace) -> dict[str, Any]:
    return measure_part("ordersbench", ["--seconds", str(args.orders_seconds)])


def part_alone(args: argparse.Namespace, previous: dict[str, Any]) -> int:
    """`--only orders`, `email` or `import` without cached numbers of the other parts: measure that part, keep it in
    bench/out/results.json, and replace only its section (its target row, the reading's verdict lines) of
    docs/benchmarks.md."""
    say(f"No earlier lookup results in bench/out/: measuring the {args.only} part alone; docs/benchmarks.md keeps "
        "its other sections as they are.")
    started = time.perf_counter()
    if args.only == "orders":
        previous["orders"], part_report, targets = measure_orders(args), ordersreport, ordersreport.targets
    elif args.only == "email":
        previous["email"] = measure_part("emailbench", ["--messages", str(args.messages)])
        part_report, targets = emailreport, lambda mail: [emailreport.target(mail)]
    else:
        previous["import"] = measure_import(args.import_rows)
        part_report, targets = importreport, lambda imp: [importreport.target(imp)]
    stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    previous["measured"] = {**(previous.get("measured") or {}), args.only: stamp}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(previous, indent=1, default=str))
    if not args.no_report:
        say(f"Updated {part_report.update(report.DOC, previous[args.only])}")
    for name, value, ok in targets(previous[args.only]):
        say(f"  {name}: {value} — {'met' if ok else 'NOT met' if ok is False else 'not measured'}")
    say(f"Done in {time.perf_counter() - started:.0f}s.")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    started = time.perf_counter()
    previous: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.only in ("orders", "email", "import") and "machine" not in previous:
        return part_alone(args, previous)
    if args.only in ("import", "email", "orders") and "machine" in previous:
        res = previous
    else:
        res = measure_lookup(args, argv)
    res["import"] = measure_import(args.import_rows) if args.only in ("all", "import") else previous.get("import")
    res["email"] = measure_part("emailbench", ["--messages", str(args.messages)]) \
        if args.only in ("all", "email") else previous.get("email")
    res["orders"] = measure_orders(args) if args.only in ("all", "orders") else previous.get("orders")
    stamp = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    measured = dict(previous.get("measured") or {"lookup": res["date"], "import": res["date"]})
    for part in ("lookup", "import", "email", "orders"):
        if args.only in ("all", part):
            measured[part] = res["date"] if part == "lookup" and args.only == "all" else stamp
    res["measured"], res["date"] = measured, stamp
    res["command"] = " ".join(["make bench" if os.environ.get("MAKELEVEL") else "python -m bench", *argv])
    res["total_seconds"] = time.perf_counter() - started  # this invocation: what was measured, and generated
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=1, default=str))
    if not args.no_report:
        say(f"Wrote {report.write(res)}")
    for name, value, ok in report.targets(res):
        say(f"  {name}: {value} — {'met' if ok else 'NOT met' if ok is False else 'not measured'}")
    say(f"Done in {res['total_seconds']:.0f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
