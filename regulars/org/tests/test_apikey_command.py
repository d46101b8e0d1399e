"""`regulars apikey create | list | revoke`: the secret is printed once, only its hash is stored."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from regulars.org.models import ApiKey
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_secret_once_and_stores_only_its_hash() -> None:
    out, err = run("create", "--name", "erp")

    secret = out.strip()
    key = ApiKey.objects.get()
    assert secret.startswith(f"rk_{key.prefix}_")
    assert key.name == "erp"
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert "shown only now" in err
    assert AuditEntry.objects.filter(action="apikey.create", object_id=str(key.pk), actor_label="cli").exists()

    listing, _ = run("list")
    assert "erp" in listing and key.prefix in listing and "active" in listing
    assert secret not in listing


def test_revoke_marks_the_key_revoked() -> None:
    run("create", "--name", "shop")
    key = ApiKey.objects.get()

    out, _ = run("revoke", str(key.pk))

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in out
    assert "revoked" in run("list")[0]


def test_bad_input_is_a_clear_command_error() -> None:
    with pytest.raises(CommandError, match="Name is required"):
        run("create", "--name", "  ")
    with pytest.raises(CommandError, match="No such API key"):
        run("revoke", "999")
    assert not ApiKey.objects.exists()
