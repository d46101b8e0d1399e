"""Creating and editing the card itself: names, birthday, language, branch, tags, custom fields."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.org.models import Branch, Staff
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record, diff
from regulars.platform.errors import ValidationFailed

from ..fields import clean_values
from ..models import Channel, ContactKind, Customer, CustomFieldDef, Tag
from ._common import emit, lock_customer, refresh_search_text
from .consents import ConsentInput, record_consents
from .contacts import FIELD_FOR_KIND, clean_contacts, ensure_free, insert_contacts, replace_contacts

PROFILE_FIELDS = ("first_name", "last_name", "middle_name", "birthday", "language", "time_zone",
                  "home_branch_id", "responsible_id", "preferred_channels", "custom", "status")


def _clean_profile(data: dict[str, Any], *, current: Customer | None) -> dict[str, Any]:
    """Validate the profile part of a create or a patch. Collects every error before raising."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in ("first_name", "last_name", "middle_name"):
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > 100:
                errors[name] = _("at most 100 characters")
            out[name] = value
    if "birthday" in data:
        birthday = data["birthday"]
        if isinstance(birthday, str):
            try:
                birthday = dt.date.fromisoformat(birthday) if birthday.strip() else None
            except ValueError:
                errors["birthday"] = _("a date YYYY-MM-DD is expected")
        if isinstance(birthday, dt.date) and (birthday > timezone.localdate() or birthday.year < 1900):
            errors["birthday"] = _("must be between 1900 and today")
        out["birthday"] = birthday
    if "language" in data:
        language = data["language"] or "ru"
        if language not in dict(settings.LANGUAGES):
            errors["language"] = f"one of {', '.join(dict(settings.LANGUAGES))}"
        out["language"] = language
    if data.get("time_zone"):
        if data["time_zone"] not in zoneinfo.available_timezones():
            errors["time_zone"] = _("unknown time zone")
        out["time_zone"] = data["time_zone"]
    if "home_branch_id" in data:
        branch_id = data["home_branch_id"]
        if branch_id is not None and not Branch.objects.filter(pk=branch_id).exists():
            errors["home_branch"] = _("no branch %(id)s") % {"id": branch_id}
        out["home_branch_id"] = branch_id
    if "responsible_id" in data:
        staff_id = data["responsible_id"]
        if staff_id is not None and not Staff.objects.filter(pk=staff_id, is_active=True).exists():
            errors["responsible"] = _("no active staff member %(id)s") % {"id": staff_id}
        out["responsible_id"] = staff_id
    if "preferred_channels" in data:
        channels = list(data["preferred_channels"] or [])
        bad = [c for c in channels if c not in Channel.values]
        if bad:
            errors["preferred_channels"] = _("unknown channel %(channel)s") % {"channel": bad[0]}
        out["preferred_channels"] = list(dict.fromkeys(channels))
    if "status" in data:
        if data["status"] not in Customer.Status.values:
            errors["status"] = f"one of {', '.join(Customer.Status.values)}"
        out["status"] = data["status"]
    if "custom" in data:
        specs = [
            {"key": f.key, "label": f.label, "type": f.type, "choices": f.choices}
            for f in CustomFieldDef.objects.filter(is_active=True)
        ]
        merged = {**(current.custom if current else {}), **(data["custom"] or {})}
        try:
            out["custom"] = clean_values(specs, merged, partial=True, error_prefix="custom.")
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Invalid customer"), fields=errors)
    return out


def _tags(names: Iterable[str]) -> list[Tag]:
    cleaned = list(dict.fromkeys(n.strip()[:50] for n in names if n and n.strip()))
    existing = {t.name: t for t in Tag.objects.filter(name__in=cleaned)}
    for name in cleaned:
        if name not in existing:
            existing[name] = Tag.objects.create(name=name)
    return [existing[n] for n in cleaned]


def _contacts_from(data: dict[str, Any]) -> dict[str, list[str]]:
    """{"phones": [...], "emails": [...], "telegram": [...]} → normalised lists per contact kind."""
    found: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    for kind, field in FIELD_FOR_KIND.items():
        if field not in data or data[field] is None:
            continue
        raw = data[field]
        values = [raw] if isinstance(raw, str) else list(raw)
        try:
            found[kind] = clean_contacts(kind, [v for v in values if str(v).strip()], field=field)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Invalid contact"), fields=errors)
    return found


def _clean_all(profile_data: dict[str, Any], contact_data: dict[str, Any], *, current: Customer | None) -> tuple[
        dict[str, Any], dict[str, list[str]]]:
    """Validate profile and contacts together so the user sees every problem at once."""
    errors: dict[str, str] = {}
    profile: dict[str, Any] = {}
    contacts: dict[str, list[str]] = {}
    try:
        profile = _clean_profile(profile_data, current=current)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    try:
        contacts = _contacts_from(contact_data)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("Invalid customer"), fields=errors)
    return profile, contacts


@transaction.atomic
def customer_create(
    *,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    middle_name: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    telegram: Iterable[str] = (),
    whatsapp: Iterable[str] = (),
    vk: Iterable[str] = (),
    birthday: dt.date | str | None = None,
    language: str = "ru",
    time_zone: str = "",
    home_branch_id: int | None = None,
    responsible_id: int | None = None,
    preferred_channels: Iterable[str] = (),
    tags: Iterable[str] = (),
    custom: dict[str, Any] | None = None,
    consents: Iterable[ConsentInput] = (),
    status: str = Customer.Status.ACTIVE,
    created_at: dt.datetime | None = None,
) -> Customer:
    """Create a card. A phone or e-mail that another card holds → Conflict with that card's id."""
    profile, contacts = _clean_all(
        {"first_name": first_name, "last_name": last_name, "middle_name": middle_name, "birthday": birthday,
         "language": language, "time_zone": time_zone, "home_branch_id": home_branch_id,
         "responsible_id": responsible_id, "preferred_channels": list(preferred_channels),
         "custom": custom or {}, "status": status},
        {"phones": list(phones), "emails": list(emails), "telegram": list(telegram), "whatsapp": list(whatsapp),
         "vk": list(vk)},
        current=None,
    )
    if not any(profile.get(n) for n in ("first_name", "last_name", "middle_name")) and not any(contacts.values()):
        raise ValidationFailed(
            "A customer needs a name or a contact", fields={"first_name": _("name or contact required")}
        )
    for kind, values in contacts.items():
        ensure_free(kind, values, customer_id=None, field=FIELD_FOR_KIND[ContactKind(kind)])
    if not profile.get("time_zone"):
        branch_id = profile.get("home_branch_id")
        branch = Branch.objects.filter(pk=branch_id).first() if branch_id else None
        profile["time_zone"] = branch.time_zone if branch else settings.TIME_ZONE
    now = created_at or timezone.now()
    customer = Customer.objects.create(**profile, created_at=now, updated_at=now, created_by_id=actor.user_id)
    for kind, values in contacts.items():
        insert_contacts(customer, kind, values, field=FIELD_FOR_KIND[ContactKind(kind)], primary_first=True)
    tag_objects = _tags(tags)
    if tag_objects:
        customer.tags.set(tag_objects)
    refresh_search_text(customer)
    emit("customer.created", customer, actor=actor, summary=customer.full_name,
         contacts={k: v for k, v in contacts.items()})
    record_consents(customer, list(consents), actor=actor)
    audit_record(actor=actor, action="customer.create", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name,
                 changes={**diff({}, {k: getattr(customer, k) for k in PROFILE_FIELDS}),
                          **{FIELD_FOR_KIND[ContactKind(k)]: [None, v] for k, v in contacts.items()}})
    return customer


@transaction.atomic
def customer_update(*, actor: Actor, customer_id: int, tags: Iterable[str] | None = None,
                    **changes: Any) -> Customer:
    """Patch a card: only the given fields change. Contact lists given here replace that kind's contacts."""
    contact_fields = set(FIELD_FOR_KIND.values())
    unknown = set(changes) - set(PROFILE_FIELDS) - contact_fields
    if unknown:
        raise ValidationFailed(_("Unknown fields"), fields={k: "unknown field" for k in sorted(unknown)})
    customer = lock_customer(customer_id)
    profile, contacts = _clean_all(
        {k: v for k, v in changes.items() if k in PROFILE_FIELDS},
        {k: v for k, v in changes.items() if k in contact_fields},
        current=customer,
    )
    before = {k: getattr(customer, k) for k in PROFILE_FIELDS}
    for key, value in profile.items():
        setattr(customer, key, value)
    has_name = any(getattr(customer, n) for n in ("first_name", "last_name", "middle_name"))
    if not has_name and not customer.contacts.exists() and not any(contacts.values()):
        raise ValidationFailed(_("A customer needs a name or a contact"), fields={"first_name": _("required")})
    customer.updated_at = timezone.now()
    customer.save()
    changed = diff(before, {k: getattr(customer, k) for k in PROFILE_FIELDS})
    for kind, values in contacts.items():
        changed.update(replace_contacts(customer, kind, values, actor=actor,
                                        field=FIELD_FOR_KIND[ContactKind(kind)]))
    if tags is not None:
        old_tags = sorted(customer.tags.values_list("name", flat=True))
        new_objects = _tags(tags)
        customer.tags.set(new_objects)
        new_tags = sorted(t.name for t in new_objects)
        if old_tags != new_tags:
            changed["tags"] = [old_tags, new_tags]
    refresh_search_text(customer)
    if changed:
        emit("customer.updated", customer, actor=actor, summary=", ".join(sorted(changed)), changes=changed)
        audit_record(actor=actor, action="customer.update", object_type="customer", object_id=customer.pk,
                     object_label=customer.full_name, changes=changed)
    return customer
