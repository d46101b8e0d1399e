"""Writes for branches, staff and API keys. Each one is audited."""

from __future__ import annotations

import hashlib
import re
import secrets
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record, diff
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.phones import InvalidPhone, normalize_phone
from regulars.platform.text import ascii_slug

from .models import WEEKDAYS, ApiKey, Branch, Role, Staff
from .selectors import apikey_forget

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
BRANCH_FIELDS = ("name", "code", "address", "phone", "time_zone", "working_hours", "is_active")
STAFF_FIELDS = ("first_name", "last_name", "email", "role", "position", "phone", "is_active", "language")


def clean_working_hours(value: Any) -> dict[str, list[list[str]]]:
    """{"mon": [["09:00", "21:00"]], …}; missing days are closed. Raises ValidationFailed."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationFailed(_("Invalid working hours"), fields={"working_hours": _("expected an object by weekday")})
    cleaned: dict[str, list[list[str]]] = {}
    for day, intervals in value.items():
        if day not in WEEKDAYS:
            raise ValidationFailed(_("Invalid working hours"), fields={"working_hours": f"unknown day {day!r}"})
        cleaned[day] = []
        for interval in intervals or []:
            if (
                not isinstance(interval, list | tuple)
                or len(interval) != 2
                or not all(isinstance(t, str) and _TIME.match(t) for t in interval)
                or interval[0] >= interval[1]
            ):
                raise ValidationFailed(
                    "Invalid working hours", fields={"working_hours": f"{day}: expected [\"HH:MM\", \"HH:MM\"]"}
                )
            cleaned[day].append([interval[0], interval[1]])
    return cleaned


def _clean_branch(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    errors: dict[str, str] = {}
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            errors["name"] = _("required")
    if "code" in out:
        out["code"] = ascii_slug(out["code"] or out.get("name", ""))
        if not out["code"]:
            errors["code"] = _("required")
    if "time_zone" in out and out["time_zone"] not in zoneinfo.available_timezones():
        errors["time_zone"] = _("unknown time zone")
    if out.get("phone"):
        try:
            out["phone"] = normalize_phone(out["phone"])
        except InvalidPhone as exc:
            errors["phone"] = str(exc)
    if "working_hours" in out:
        try:
            out["working_hours"] = clean_working_hours(out["working_hours"])
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Invalid branch"), fields=errors)
    return out


@transaction.atomic
def branch_create(*, actor: Actor, name: str, code: str = "", address: str = "", phone: str = "",
                  time_zone: str = "Europe/Moscow", working_hours: Any = None) -> Branch:
    data = _clean_branch({"name": name, "code": code or name, "address": address, "phone": phone,
                          "time_zone": time_zone, "working_hours": working_hours})
    if Branch.objects.filter(name=data["name"]).exists():
        raise Conflict(_("A branch with this name exists"), fields={"name": _("already used")})
    if Branch.objects.filter(code=data["code"]).exists():
        raise Conflict(_("A branch with this code exists"), fields={"code": _("already used")})
    branch = Branch.objects.create(**data)
    audit_record(actor=actor, action="branch.create", object_type="branch", object_id=branch.pk,
                 object_label=branch.name, changes=diff({}, {k: getattr(branch, k) for k in BRANCH_FIELDS}))
    return branch


@transaction.atomic
def branch_update(*, actor: Actor, branch_id: int, **changes: Any) -> Branch:
    unknown = set(changes) - set(BRANCH_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields"), fields={k: "unknown field" for k in unknown})
    branch = Branch.objects.select_for_update().filter(pk=branch_id).first()
    if branch is None:
        raise NotFound(_("No such branch"))
    data = _clean_branch(changes)
    before = {k: getattr(branch, k) for k in BRANCH_FIELDS}
    for key, value in data.items():
        setattr(branch, key, value)
    for field in ("name", "code"):
        if Branch.objects.exclude(pk=branch.pk).filter(**{field: getattr(branch, field)}).exists():
            raise Conflict(f"Another branch has this {field}", fields={field: _("already used")})
    branch.save()
    after = {k: getattr(branch, k) for k in BRANCH_FIELDS}
    audit_record(actor=actor, action="branch.update", object_type="branch", object_id=branch.pk,
                 object_label=branch.name, changes=diff(before, after))
    return branch


def _clean_staff(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    errors: dict[str, str] = {}
    if "role" in out and out["role"] not in Role.values:
        errors["role"] = _("unknown role")
    if out.get("phone"):
        try:
            out["phone"] = normalize_phone(out["phone"])
        except InvalidPhone as exc:
            errors["phone"] = str(exc)
    if out.get("email"):
        out["email"] = out["email"].strip().lower()
    if errors:
        raise ValidationFailed(_("Invalid staff member"), fields=errors)
    return out


def _set_branches(staff: Staff, branch_ids: Iterable[int]) -> None:
    ids = set(branch_ids)
    found = set(Branch.objects.filter(pk__in=ids).values_list("id", flat=True))
    if found != ids:
        raise ValidationFailed(_("Unknown branch"), fields={"branches": f"no branch {sorted(ids - found)}"})
    staff.branches.set(found)


@transaction.atomic
def staff_create(*, actor: Actor, username: str, password: str, role: str, branch_ids: Iterable[int] = (),
                 first_name: str = "", last_name: str = "", email: str = "", position: str = "",
                 phone: str = "", language: str = "ru") -> Staff:
    username = (username or "").strip()
    if not username:
        raise ValidationFailed(_("Login is required"), fields={"username": _("required")})
    data = _clean_staff({"first_name": first_name, "last_name": last_name, "email": email, "role": role,
                         "position": position, "phone": phone, "language": language})
    staff = Staff(username=username, **data)
    try:
        validate_password(password, staff)
    except ValidationError as exc:
        raise ValidationFailed(_("Weak password"), fields={"password": " ".join(exc.messages)}) from exc
    staff.set_password(password)
    try:
        with transaction.atomic():
            staff.save()
    except IntegrityError as exc:
        raise Conflict(_("This login is taken"), fields={"username": _("already used")}) from exc
    _set_branches(staff, branch_ids)
    audit_record(actor=actor, action="staff.create", object_type="staff", object_id=staff.pk,
                 object_label=str(staff), changes={"role": [None, role], "branches": [None, sorted(branch_ids)]})
    return staff


@transaction.atomic
def staff_update(*, actor: Actor, staff_id: int, branch_ids: Iterable[int] | None = None,
                 password: str | None = None, **changes: Any) -> Staff:
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown fields"), fields={k: "unknown field" for k in unknown})
    staff = Staff.objects.select_for_update().filter(pk=staff_id).first()
    if staff is None:
        raise NotFound(_("No such staff member"))
    data = _clean_staff(changes)
    before: dict[str, Any] = {k: getattr(staff, k) for k in STAFF_FIELDS}
    before["branches"] = sorted(staff.branches.values_list("id", flat=True))
    for key, value in data.items():
        setattr(staff, key, value)
    if password:
        try:
            validate_password(password, staff)
        except ValidationError as exc:
            raise ValidationFailed(_("Weak password"), fields={"password": " ".join(exc.messages)}) from exc
        staff.set_password(password)
    staff.save()
    if branch_ids is not None:
        _set_branches(staff, branch_ids)
    after: dict[str, Any] = {k: getattr(staff, k) for k in STAFF_FIELDS}
    after["branches"] = sorted(staff.branches.values_list("id", flat=True))
    changes_made = diff(before, after)
    if password:
        changes_made["password"] = ["***", "***"]
    audit_record(actor=actor, action="staff.update", object_type="staff", object_id=staff.pk,
                 object_label=str(staff), changes=changes_made)
    return staff


def _hash_key(secret: str) -> str:
    # API keys carry 256 random bits, so a fast hash is safe and keeps every API call cheap.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def apikey_create(*, actor: Actor, name: str) -> tuple[ApiKey, str]:
    """Create a key; the plain secret is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Name is required"), fields={"name": _("required")})
    prefix = secrets.token_hex(4)
    secret = f"rk_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(name=name[:100], prefix=prefix, key_hash=_hash_key(secret),
                                created_by_id=actor.user_id)
    audit_record(actor=actor, action="apikey.create", object_type="apikey", object_id=key.pk, object_label=name)
    return key, secret


@transaction.atomic
def apikey_revoke(*, actor: Actor, key_id: int) -> ApiKey:
    key = ApiKey.objects.select_for_update().filter(pk=key_id).first()
    if key is None:
        raise NotFound(_("No such API key"))
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        apikey_forget(key.key_hash)
        audit_record(actor=actor, action="apikey.revoke", object_type="apikey", object_id=key.pk,
                     object_label=key.name)
    return key
