"""Where the benchmark database lives and how big it is. Everything overridable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# The server (trust auth, superuser) without a database name; the bench database is appended.
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DB_NAME = os.environ.get("BENCH_DB", "regulars_bench")
SEED = int(os.environ.get("BENCH_SEED", "20261122"))

DEFAULT_CUSTOMERS = 1_000_000
PHONES_PER_CUSTOMER = 2
TIMELINE_PER_CUSTOMER = 3
CONCURRENCY = 16

STAFF_USERNAME = "bench-admin"
# Only ever used against the throw-away bench database on 127.0.0.1.
STAFF_PASSWORD = "bench-Passw0rd-not-secret"  # noqa: S105


@dataclass(frozen=True)
class Database:
    name: str = DB_NAME

    @property
    def url(self) -> str:
        return f"{PG_SERVER_URL}/{self.name}"

    @property
    def admin_url(self) -> str:
        """The maintenance database, for DROP/CREATE DATABASE."""
        return f"{PG_SERVER_URL}/postgres"
