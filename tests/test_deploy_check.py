"""Production settings pass Django's deployment checks and refuse a missing secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_check(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "crm.example.com",
                "DATABASE_URL": "sqlite:////tmp/regulars-deploy-check.sqlite3", **env_extra})
    return subprocess.run(
        [sys.executable, "-m", "regulars.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.slow
def test_production_settings_pass_check_deploy() -> None:
    result = run_check({"SECRET_KEY": "k" * 20 + "-Zx9!q2@Lw8#e4$Rt6%Yu1^Io3&Pa5*Sd7(Fg0)Hj"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_production_refuses_the_development_key() -> None:
    result = run_check({})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
