"""HTTP measurements against the running server: the API phone lookup and the list page searched by digits.

The 16-client lookup load comes from wrk (C, one thread): a Python client would need about as much CPU as the
server it measures, and there are only two cores. Without wrk a threaded http.client fallback runs, and the report
says so. Anything the server does not serve yet (404) raises NotAvailable instead of failing the run.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

from .data import trunk_form
from .stats import summarize

LOOKUP_PATH = "/api/v1/customers/lookup"
LIST_PATH = "/customers/"
LOGIN_PATH = "/login/"
_LUA = Path(__file__).with_name("lookup.lua")


class NotAvailable(Exception):
    """The endpoint is missing or refuses the bench (the reason is the message)."""


class Client:
    """A keep-alive HTTP/1.1 client for one host; http.client reconnects by itself when the server closes."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.headers = dict(headers or {})
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        all_headers = {**self.headers, **(headers or {})}
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed a kept-alive connection between two requests: once more on a new one.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        payload = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, response.msg, payload

    def close(self) -> None:
        self.conn.close()


def lookup_paths(phones: list[str]) -> list[str]:
    """Half the lookups send E.164 (+ escaped), half the '8…' form people type; both must find the card."""
    return [
        f"{LOOKUP_PATH}?phone={quote(phone, safe='') if n % 2 == 0 else trunk_form(phone)}"
        for n, phone in enumerate(phones)
    ]


def probe(base_url: str, path: str, headers: dict[str, str]) -> bytes:
    """One request; NotAvailable unless it answers 200."""
    client = Client(base_url, headers)
    try:
        status, _, body = client.request("GET", path)
    finally:
        client.close()
    if status == 404:
        raise NotAvailable(f"GET {path} answers 404 ({body[:150].decode(errors='replace')}): the route does not "
                           "exist yet, or the phone is not in the database")
    if status != 200:
        raise NotAvailable(f"GET {path} answers {status}: {body[:200].decode(errors='replace')}")
    return body


# ---------------------------------------------------------------------------------------------- the API lookup


def ensure_wrk(say=print) -> bool:
    """wrk on PATH, installed with apt-get when we are root on Debian; otherwise say how to get it."""
    if shutil.which("wrk"):
        return True
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say("Installing wrk (apt-get install -y wrk) …")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(command, env=env, capture_output=True, check=False)
            if shutil.which("wrk"):
                return True
    say("wrk is not installed: falling back to a Python client, which understates the server. "
        "Install it with `sudo apt-get install wrk` (Debian/Ubuntu) for the real numbers.")
    return False


def wrk_run(base_url: str, headers: dict[str, str], paths: list[str], clients: int,
            seconds: float) -> dict[str, float | str]:
    with tempfile.NamedTemporaryFile("w", prefix="bench-paths-", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        paths_file = f.name
    try:
        command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                   "-s", str(_LUA)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += [base_url, "--", paths_file]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        os.unlink(paths_file)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return {
        "n": raw["requests"],
        "p50": raw["p50_us"] / 1000,
        "p95": raw["p95_us"] / 1000,
        "p99": raw["p99_us"] / 1000,
        "mean": raw["mean_us"] / 1000,
        "max": raw["max_us"] / 1000,
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "non2xx": raw["non2xx"],
        "first_bad_status": raw["first_bad_status"],
        "socket_errors": errors,
        "client": "wrk",
    }


def python_run(base_url: str, headers: dict[str, str], paths: list[str], clients: int,
               seconds: float) -> dict[str, float | str]:
    """The fallback load generator: `clients` threads, each with a keep-alive connection."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    bad = [0] * clients
    deadline = time.perf_counter() + seconds

    def worker(n: int) -> None:
        client = Client(base_url, headers)
        i = n * 7919
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _, _ = client.request("GET", paths[i % len(paths)])
            latencies[n].append((time.perf_counter() - started) * 1000)
            bad[n] += not 200 <= status < 300
            i += 1
        client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flat = [x for per in latencies for x in per]
    result: dict[str, float | str] = dict(summarize(flat))
    result.update(rps=len(flat) / seconds, non2xx=sum(bad), socket_errors=0, client="python threads")
    return result


def sequential(base_url: str, headers: dict[str, str], paths: list[str], seconds: float | None = None,
               ) -> dict[str, float]:
    """One client, one request after another: every path once, or round and round for `seconds`."""
    client = Client(base_url, headers)
    latencies: list[float] = []
    non2xx = 0
    deadline = time.perf_counter() + seconds if seconds else None
    i = 0
    try:
        while (time.perf_counter() < deadline) if deadline is not None else (i < len(paths)):
            started = time.perf_counter()
            status, _, _ = client.request("GET", paths[i % len(paths)])
            latencies.append((time.perf_counter() - started) * 1000)
            non2xx += not 200 <= status < 300
            i += 1
    finally:
        client.close()
    result = summarize(latencies)
    result["non2xx"] = non2xx
    if seconds:
        result["rps"] = len(latencies) / seconds
    return result


# ---------------------------------------------------------------------------------------------- the list page

_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken"\s+value="([^"]+)"|value="([^"]+)"\s+name="csrfmiddlewaretoken"')


def _cookies(message: http.client.HTTPMessage) -> dict[str, str]:
    jar = {}
    for header in message.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(base_url: str, username: str, password: str) -> str:
    """Log in through the form, like a browser: returns the Cookie header of the session."""
    client = Client(base_url)
    try:
        status, message, body = client.request("GET", LOGIN_PATH)
        if status == 404:
            raise NotAvailable(f"GET {LOGIN_PATH} answers 404: no login page (yet)")
        jar = _cookies(message)
        match = _CSRF_INPUT.search(body)
        if status != 200 or "csrftoken" not in jar or not match:
            raise NotAvailable(f"GET {LOGIN_PATH}: status {status}, no CSRF cookie or form field")
        form = urlencode({"username": username, "password": password,
                          "csrfmiddlewaretoken": (match.group(1) or match.group(2)).decode()})
        status, message, body = client.request(
            "POST", LOGIN_PATH, body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={jar['csrftoken']}"},
        )
        jar.update(_cookies(message))
        if status != 302 or "sessionid" not in jar:
            raise NotAvailable(f"POST {LOGIN_PATH}: status {status}, no session: {body[:200].decode(errors='replace')}")
    finally:
        client.close()
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def list_paths(terms: list[str]) -> list[str]:
    return [f"{LIST_PATH}?{urlencode({'q': term})}" for term in terms]


def list_search(base_url: str, cookie: str, terms: list[str]) -> dict[str, float]:
    headers = {"Cookie": cookie}
    paths = list_paths(terms)
    client = Client(base_url, headers)
    try:
        status, message, _ = client.request("GET", paths[0])
    finally:
        client.close()
    if status == 404:
        raise NotAvailable(f"GET {LIST_PATH} answers 404: the list page does not exist (yet)")
    if status != 200:
        where = message.get("Location", "")
        raise NotAvailable(f"GET {LIST_PATH}?q=… answers {status} {where}".strip())
    sequential(base_url, headers, paths[:10])  # warm-up: every worker has its connection and templates
    return sequential(base_url, headers, paths)
