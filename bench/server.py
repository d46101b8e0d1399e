"""The application server as production runs it (gunicorn, or granian as a candidate), production settings,
no DEBUG, a real SECRET_KEY."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import config


@dataclass(frozen=True)
class ServerConfig:
    worker_class: str = "sync"  # gunicorn's "sync" or "gthread", or "granian" (Rust HTTP, WSGI threads)
    workers: int = 4
    threads: int = 1

    @classmethod
    def parse(cls, text: str) -> ServerConfig:
        """'sync:4', 'gthread:2x8' or 'granian:2x4' (workers x threads)."""
        kind, _, size = text.partition(":")
        if kind not in ("sync", "gthread", "granian") or not size:
            raise ValueError(f"expected sync:N, gthread:NxT or granian:NxT, got {text!r}")
        workers, _, threads = size.partition("x")
        return cls(kind, int(workers), int(threads or 1))

    def __str__(self) -> str:
        return f"{self.worker_class}:{self.workers}" + (f"x{self.threads}" if self.worker_class != "sync" else "")

    def describe(self) -> str:
        if self.worker_class == "granian":
            return f"granian (WSGI), {self.workers} workers × {self.threads} blocking threads"
        if self.worker_class == "gthread":
            return f"gunicorn, {self.workers} gthread workers × {self.threads} threads"
        return f"gunicorn, {self.workers} sync workers"

    def args(self) -> list[str]:
        args = ["--worker-class", self.worker_class, "--workers", str(self.workers)]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        return args


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`with Server(...) as server:` starts gunicorn, waits until it answers HTTP, and stops it afterwards."""

    def __init__(self, db_url: str, secret_key: str, server: ServerConfig) -> None:
        self.db_url = db_url
        self.secret_key = secret_key
        self.server = server
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def command(self, python: str = ".venv/bin/python") -> list[str]:
        """The server's command line, as the report shows it (the run adds an error log file for gunicorn)."""
        if self.server.worker_class == "granian":
            return [python, "-m", "granian", "--interface", "wsgi", "--workers", str(self.server.workers),
                    "--blocking-threads", str(self.server.threads), "--no-ws", "--log-level", "warning",
                    "--host", "127.0.0.1", "--port", str(self.port), "config.wsgi:application"]
        return [python, "-m", "gunicorn", "config.wsgi:application", *self.server.args(),
                "--bind", f"127.0.0.1:{self.port}"]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=self.secret_key,
            SECURE_SSL_REDIRECT="false",  # plain HTTP on loopback; TLS would end at the proxy in front
            ALLOWED_HOSTS="127.0.0.1",
            DATABASE_URL=self.db_url,
            LOG_LEVEL="WARNING",
        )
        return env

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> Server:
        handle, name = tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")
        os.close(handle)
        self._log = Path(name)
        command = self.command(str(config.VENV_PYTHON))
        if self.server.worker_class != "granian":
            command += ["--error-logfile", str(self._log), "--log-level", "warning"]
        with self._log.open("wb") as log:  # granian logs to stderr
            self.process = subprocess.Popen(command, cwd=config.ROOT, env=self.env(),
                                            stdout=subprocess.DEVNULL, stderr=log)
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                conn.getresponse().read()
                conn.close()
                # The first worker answered; the others boot at about the same time: give them a moment.
                time.sleep(1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self._log is None:
            return ""
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: gunicorn stops its own workers
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.unlink(missing_ok=True)
