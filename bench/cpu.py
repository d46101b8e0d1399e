"""Where the CPU goes during a load run: the app server, its PostgreSQL backends, the load generator, the rest.

On two shared cores throughput is bounded by CPU per request, so this split is what explains a missed target.
Linux only (/proc); elsewhere the split is simply left out of the report.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _tree(root: int) -> list[int]:
    """The process and its direct children (the server's master and workers)."""
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                if (s := _stat(int(p.name))) and s[0] == root]
    return [root, *children]


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])
    return (total - idle) / _TICK, total / _TICK


def _cpu_of(pids: Iterable[int]) -> dict[int, float]:
    return {pid: s[1] for pid in pids if (s := _stat(pid))}


def _backends(db_url: str, db_name: str) -> list[int]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db_name]
        ).fetchall()
    return [r[0] for r in rows]


@dataclass
class Split:
    app: float
    db: float
    loadgen: float
    other: float
    busy_share: float  # of all cores, 0..1

    def per_request_ms(self, requests: int) -> dict[str, float]:
        n = max(1, requests)
        return {
            "app": self.app / n * 1000,
            "db": self.db / n * 1000,
            "loadgen": self.loadgen / n * 1000,
            "other": self.other / n * 1000,
            "busy_share": self.busy_share,
        }


def measure(run: Callable[[], dict], *, server_pid: int, db_url: str, db_name: str) -> tuple[dict, Split | None]:
    """Run `run()` (a load run in a child process) and split the CPU it cost."""
    if not Path("/proc/stat").exists():
        return run(), None
    app_before = _cpu_of(_tree(server_pid))
    db_before = _cpu_of(_backends(db_url, db_name))
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy_before, total_before = _machine_busy()

    result = run()

    busy_after, total_after = _machine_busy()
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    app_after = _cpu_of(_tree(server_pid))
    db_after = _cpu_of(_backends(db_url, db_name))
    # Processes that appeared during the run count from zero.
    app = sum(v - app_before.get(pid, 0.0) for pid, v in app_after.items())
    db = sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items())
    loadgen = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    busy = busy_after - busy_before
    total = total_after - total_before
    other = max(0.0, busy - app - db - loadgen)
    return result, Split(app=app, db=db, loadgen=loadgen, other=other, busy_share=busy / total if total else 0.0)
