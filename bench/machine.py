"""The facts a reader needs to compare runs: cores, CPU model, RAM, PostgreSQL, load at the start."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import psycopg


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def _ram_gib() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^MemTotal:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 1024 / 1024 if match else 0.0


def facts(db_url: str) -> dict[str, str]:
    with psycopg.connect(db_url) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
        settings = dict(conn.execute(
            "SELECT name, current_setting(name) FROM pg_settings "
            "WHERE name IN ('shared_buffers', 'work_mem', 'max_connections', 'effective_cache_size')"
        ).fetchall())
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "nproc": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "ram": f"{_ram_gib():.0f} GiB",
        "postgres": version.split(" on ")[0],
        "postgres_settings": ", ".join(f"{k}={v}" for k, v in sorted(settings.items())),
        "db_size": size,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_at_start": " ".join(f"{x:.2f}" for x in load),
    }
