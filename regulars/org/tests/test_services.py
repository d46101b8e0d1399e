"""Org services: every refusal names the field, conflicts are Conflict, and nothing is ever half-saved."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from config.settings import base
from conftest import PASSWORD, World
from regulars.org.models import ApiKey, Branch, Role, Staff
from regulars.org.selectors import apikey_authenticate, staff_list_for_user
from regulars.org.services import (
    apikey_create,
    apikey_revoke,
    branch_create,
    branch_update,
    staff_create,
    staff_update,
)
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

ACTOR = Actor(user_id=None, label="test", ip="192.0.2.1")


def snapshot() -> tuple[Any, ...]:
    return (
        list(Branch.objects.order_by("pk").values()),
        list(Staff.objects.order_by("pk").values("pk", "username", "password", "role", "first_name", "is_active")),
        sorted(Staff.branches.through.objects.values_list("staff_id", "branch_id")),
        list(ApiKey.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- branches

def test_branch_create_normalises_and_audits(db: None) -> None:
    branch = branch_create(actor=ACTOR, name="  Север  ", phone="8 (495) 123-45-67", time_zone="Asia/Omsk",
                           working_hours={"mon": [["09:00", "13:00"], ["14:00", "20:00"]], "sun": []})
    assert (branch.name, branch.code, branch.phone) == ("Север", "sever", "+74951234567")
    assert branch.working_hours == {"mon": [["09:00", "13:00"], ["14:00", "20:00"]], "sun": []}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_label, entry.ip, entry.object_id) == ("branch.create", "test", "192.0.2.1",
                                                                             str(branch.pk))


@pytest.mark.parametrize(("kwargs", "fields"), [
    ({"name": ""}, {"name", "code"}),  # the code is made from the name, so it is missing too
    ({"name": "X", "time_zone": "Mars/Olympus"}, {"time_zone"}),
    ({"name": "X", "phone": "12"}, {"phone"}),
    ({"name": "X", "working_hours": {"mon": [["21:00", "09:00"]]}}, {"working_hours"}),
    ({"name": "X", "working_hours": {"mon": [["9", "21:00"]]}}, {"working_hours"}),
    ({"name": "X", "working_hours": {"funday": []}}, {"working_hours"}),
    ({"name": "X", "working_hours": ["09:00"]}, {"working_hours"}),
    ({"name": "", "time_zone": "Nowhere", "phone": "abc"}, {"name", "code", "time_zone", "phone"}),
])
def test_branch_create_refusals_name_every_bad_field_and_save_nothing(kwargs: dict[str, Any], fields: set[str],
                                                                      db: None) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        branch_create(actor=ACTOR, **kwargs)
    assert set(caught.value.fields) == fields
    assert all(caught.value.fields.values())
    assert snapshot() == before


def test_branch_name_and_code_must_be_unique(world: World) -> None:
    before = snapshot()
    with pytest.raises(Conflict) as caught:
        branch_create(actor=ACTOR, name="Branch A")
    assert set(caught.value.fields) == {"name"}
    with pytest.raises(Conflict) as caught:
        branch_create(actor=ACTOR, name="Another", code="a")
    assert set(caught.value.fields) == {"code"}
    assert snapshot() == before


def test_branch_update_conflict_leaves_the_branch_as_it_was(world: World) -> None:
    before = snapshot()
    with pytest.raises(Conflict) as caught:
        branch_update(actor=ACTOR, branch_id=world.branch_a.pk, name="Branch B", time_zone="Asia/Omsk")
    assert set(caught.value.fields) == {"name"}
    assert snapshot() == before


def test_branch_update_refuses_unknown_fields_and_missing_branches(world: World) -> None:
    with pytest.raises(ValidationFailed) as caught:
        branch_update(actor=ACTOR, branch_id=world.branch_a.pk, colour="red")
    assert set(caught.value.fields) == {"colour"}
    with pytest.raises(NotFound):
        branch_update(actor=ACTOR, branch_id=999999, name="Ghost")


def test_branch_update_audits_only_what_changed(world: World) -> None:
    branch_update(actor=ACTOR, branch_id=world.branch_a.pk, name="Branch A", time_zone="Asia/Omsk")
    entry = AuditEntry.objects.get(action="branch.update")
    assert entry.changes == {"time_zone": ["Europe/Moscow", "Asia/Omsk"]}


# ---------------------------------------------------------------- staff

def test_passwords_are_hashed_with_argon2_in_production_settings() -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_staff_create_hashes_the_password_sets_branches_and_audits(world: World) -> None:
    staff = staff_create(actor=ACTOR, username=" olga ", password="Sunny-garage-2024", role=Role.CONSULTANT,
                         branch_ids=[world.branch_a.pk], email=" Olga@Example.COM ", phone="+7 912 345 67 89")
    staff.refresh_from_db()
    assert staff.username == "olga"
    assert staff.check_password("Sunny-garage-2024") and staff.password != "Sunny-garage-2024"
    assert (staff.email, staff.phone) == ("olga@example.com", "+79123456789")
    assert list(staff.branches.all()) == [world.branch_a]
    entry = AuditEntry.objects.get(action="staff.create")
    assert entry.changes == {"role": [None, "consultant"], "branches": [None, [world.branch_a.pk]]}


@pytest.mark.parametrize(("kwargs", "error", "fields"), [
    ({"username": ""}, ValidationFailed, {"username"}),
    ({"password": "12345"}, ValidationFailed, {"password"}),
    ({"password": "password123"}, ValidationFailed, {"password"}),
    ({"role": "king"}, ValidationFailed, {"role"}),
    ({"phone": "not a phone"}, ValidationFailed, {"phone"}),
    ({"username": "operator_a"}, Conflict, {"username"}),
    ({"branch_ids": [999999]}, ValidationFailed, {"branches"}),
])
def test_staff_create_refusals_name_the_field_and_save_nothing(kwargs: dict[str, Any], error: type[Exception],
                                                               fields: set[str], world: World) -> None:
    data: dict[str, Any] = {"username": "newbie", "password": "Sunny-garage-2024", "role": Role.OPERATOR,
                            "branch_ids": [world.branch_a.pk], **kwargs}
    before = snapshot()
    with pytest.raises(error) as caught:
        staff_create(actor=ACTOR, **data)
    assert set(caught.value.fields) == fields  # type: ignore[attr-defined]
    assert snapshot() == before


def test_staff_update_with_an_unknown_branch_changes_nothing(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        staff_update(actor=ACTOR, staff_id=world.operator_a.pk, role=Role.ADMIN, password="Brand-new-pass-77",
                     branch_ids=[world.branch_b.pk, 999999])
    assert set(caught.value.fields) == {"branches"}
    assert snapshot() == before
    world.operator_a.refresh_from_db()
    assert world.operator_a.check_password(PASSWORD)


def test_staff_update_refuses_unknown_fields_weak_passwords_and_missing_staff(world: World) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        staff_update(actor=ACTOR, staff_id=world.operator_a.pk, username="renamed")
    assert set(caught.value.fields) == {"username"}
    with pytest.raises(ValidationFailed) as caught:
        staff_update(actor=ACTOR, staff_id=world.operator_a.pk, first_name="Changed", password="123")
    assert set(caught.value.fields) == {"password"}
    with pytest.raises(NotFound):
        staff_update(actor=ACTOR, staff_id=999999, first_name="Ghost")
    assert snapshot() == before


def test_staff_update_audits_changes_and_masks_the_password(world: World) -> None:
    staff_update(actor=ACTOR, staff_id=world.operator_a.pk, role=Role.MANAGER, password="Brand-new-pass-77",
                 branch_ids=[world.branch_a.pk, world.branch_b.pk])
    entry = AuditEntry.objects.get(action="staff.update")
    assert entry.changes == {
        "role": ["operator", "manager"],
        "branches": [[world.branch_a.pk], sorted([world.branch_a.pk, world.branch_b.pk])],
        "password": ["***", "***"],
    }
    assert "Brand-new-pass-77" not in str(entry.changes)


def test_managers_see_the_staff_of_their_branches_only(world: World) -> None:
    seen = set(staff_list_for_user(world.manager_a).values_list("username", flat=True))
    assert seen == {"admin", "manager_a", "operator_a", "consultant_a", "marketer"}
    assert "operator_b" not in seen
    assert staff_list_for_user(world.admin).count() == Staff.objects.count()


# ---------------------------------------------------------------- API keys

def test_apikey_secret_is_returned_once_and_only_its_hash_is_kept(db: None) -> None:
    key, secret = apikey_create(actor=ACTOR, name=" erp ")
    assert key.name == "erp"
    assert secret.startswith(f"rk_{key.prefix}_")
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiKey.objects.values()))
    assert apikey_authenticate(secret) == key
    assert apikey_authenticate(secret + "x") is None
    assert apikey_authenticate("not-a-key") is None


def test_apikey_needs_a_name(db: None) -> None:
    with pytest.raises(ValidationFailed) as caught:
        apikey_create(actor=ACTOR, name="   ")
    assert set(caught.value.fields) == {"name"}
    assert not ApiKey.objects.exists()
    assert not AuditEntry.objects.exists()


def test_revoked_key_never_authenticates_and_revoking_twice_is_harmless(db: None) -> None:
    key, secret = apikey_create(actor=ACTOR, name="shop")
    apikey_revoke(actor=ACTOR, key_id=key.pk)
    first = ApiKey.objects.get().revoked_at
    apikey_revoke(actor=ACTOR, key_id=key.pk)
    assert ApiKey.objects.get().revoked_at == first
    assert apikey_authenticate(secret) is None
    assert AuditEntry.objects.filter(action="apikey.revoke").count() == 1
    with pytest.raises(NotFound):
        apikey_revoke(actor=ACTOR, key_id=999999)
