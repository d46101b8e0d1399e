"""API schemas of the customers domain, and the one function that turns a card into its JSON form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from .models import ContactKind, Customer, Flag


class ConsentIn(Schema):
    channel: str
    purpose: str
    granted: bool
    source: str
    text_version: str = ""


class CustomerIn(Schema):
    first_name: str = ""
    last_name: str = ""
    middle_name: str = ""
    phones: list[str] = []
    emails: list[str] = []
    telegram: list[str] = []
    whatsapp: list[str] = []
    vk: list[str] = []
    birthday: dt.date | None = None
    language: str = "ru"
    time_zone: str = ""
    home_branch: int | None = None
    responsible: int | None = None
    preferred_channels: list[str] = []
    tags: list[str] = []
    custom: dict[str, Any] = {}
    consents: list[ConsentIn] = []


class CustomerPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    telegram: list[str] | None = None
    whatsapp: list[str] | None = None
    vk: list[str] | None = None
    birthday: dt.date | None = None
    language: str | None = None
    time_zone: str | None = None
    home_branch: int | None = None
    responsible: int | None = None
    preferred_channels: list[str] | None = None
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    status: str | None = None


class Ref(Schema):
    id: int
    name: str


class FlagOut(Schema):
    id: int
    kind: str
    reason: str
    created_at: dt.datetime
    cleared_at: dt.datetime | None = None


class CustomerOut(Schema):
    id: int
    first_name: str
    last_name: str
    middle_name: str
    full_name: str
    birthday: dt.date | None
    language: str
    time_zone: str
    home_branch: Ref | None
    responsible: Ref | None
    preferred_channels: list[str]
    tags: list[str]
    custom: dict[str, Any]
    status: str
    phones: list[str]
    emails: list[str]
    telegram: list[str]
    whatsapp: list[str]
    vk: list[str]
    flags: list[FlagOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    next_offset: int | None


class ContactIn(Schema):
    kind: str
    value: str
    label: str = ""


class ContactOut(Schema):
    id: int
    kind: str
    value: str
    label: str
    is_primary: bool


class AssetIn(Schema):
    type: str
    data: dict[str, Any]


class AssetPatch(Schema):
    data: dict[str, Any]


class AssetOut(Schema):
    id: int
    type: str
    title: str
    data: dict[str, Any]
    is_archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class AssetTypeOut(Schema):
    id: int
    key: str
    name: str
    fields: list[dict[str, Any]]
    title_fields: list[str]


class CustomFieldOut(Schema):
    id: int
    key: str
    label: str
    type: str
    choices: list[str]


class ConsentOut(Schema):
    id: int
    channel: str
    purpose: str
    granted: bool
    source: str
    text_version: str
    at: dt.datetime
    actor_label: str


class ConsentsOut(Schema):
    current: list[ConsentOut]
    history: list[ConsentOut]


class FlagIn(Schema):
    kind: str
    reason: str


class FlagClearIn(Schema):
    reason: str = ""


class NoteIn(Schema):
    text: str


class NoteOut(Schema):
    id: int
    text: str
    author_label: str
    created_at: dt.datetime


class TimelineItem(Schema):
    id: int
    kind: str
    occurred_at: dt.datetime
    summary: str
    data: dict[str, Any]
    branch: Ref | None
    actor_label: str


class TimelinePageOut(Schema):
    items: list[TimelineItem]
    next_cursor: str | None


def customer_json(customer: Customer) -> dict[str, Any]:
    """Serialise a card loaded with `contacts`, `tags` and `flags` prefetched (no query per field)."""
    by_kind: dict[str, list[str]] = {k: [] for k in ContactKind.values}
    for contact in sorted(customer.contacts.all(), key=lambda c: (not c.is_primary, c.id)):
        by_kind[contact.kind].append(contact.value)
    branch = customer.home_branch
    responsible = customer.responsible
    flags: list[Flag] = [f for f in customer.flags.all() if f.cleared_at is None]
    return {
        "id": customer.pk,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "middle_name": customer.middle_name,
        "full_name": customer.full_name,
        "birthday": customer.birthday,
        "language": customer.language,
        "time_zone": customer.time_zone,
        "home_branch": {"id": branch.pk, "name": branch.name} if branch else None,
        "responsible": {"id": responsible.pk, "name": str(responsible)} if responsible else None,
        "preferred_channels": customer.preferred_channels,
        "tags": [t.name for t in customer.tags.all()],
        "custom": customer.custom,
        "status": customer.status,
        "phones": by_kind[ContactKind.PHONE],
        "emails": by_kind[ContactKind.EMAIL],
        "telegram": by_kind[ContactKind.TELEGRAM],
        "whatsapp": by_kind[ContactKind.WHATSAPP],
        "vk": by_kind[ContactKind.VK],
        "flags": flags,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }
