"""The caller-id lookup: a phone, e-mail or messenger id → the card as the API shows it, in two SQL statements.

This is what runs while the phone still rings (a PBX asks for every incoming call), so it skips the ORM's query
building and model instances: one indexed equality on (kind, value) joined to the card, its branch and responsible
person, then one UNION for its contacts, tags and active flags. The result is the `CustomerOut` shape; a test
compares it with the ORM serialiser (`schemas.customer_json`) field by field.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from regulars.org.models import Branch, Staff
from regulars.platform.errors import NotFound, ValidationFailed

from .models import ContactKind, ContactPoint, Customer, Flag, Tag
from .services.contacts import normalize_contact

_CARD_SQL = """
SELECT c.id, c.first_name, c.last_name, c.middle_name, c.birthday, c.language, c.time_zone,
       c.preferred_channels, c.custom, c.status, c.created_at, c.updated_at,
       b.id, b.name, s.id, s.first_name, s.last_name, s.username
FROM {contact} p
JOIN {customer} c ON c.id = p.customer_id
LEFT JOIN {branch} b ON b.id = c.home_branch_id
LEFT JOIN {staff} s ON s.id = c.responsible_id
WHERE p.kind = %s AND p.value = %s AND c.status <> 'merged'
"""
# One round trip for the three lists; column 0 says which list a row belongs to.
_PARTS_SQL = """
SELECT 0, p.id, p.kind, p.value, p.is_primary, CAST(NULL AS TIMESTAMP WITH TIME ZONE)
FROM {contact} p WHERE p.customer_id = %s
UNION ALL
SELECT 1, t.id, t.name, NULL, NULL, NULL FROM {tags} ct JOIN {tag} t ON t.id = ct.tag_id WHERE ct.customer_id = %s
UNION ALL
SELECT 2, f.id, f.kind, f.reason, NULL, f.created_at FROM {flag} f
WHERE f.customer_id = %s AND f.cleared_at IS NULL
ORDER BY 1, 3, 2
"""
_TABLES = {
    "contact": ContactPoint._meta.db_table,
    "customer": Customer._meta.db_table,
    "branch": Branch._meta.db_table,
    "staff": Staff._meta.db_table,
    "tags": Customer.tags.through._meta.db_table,
    "tag": Tag._meta.db_table,
    "flag": Flag._meta.db_table,
}
CARD_SQL = _CARD_SQL.format(**_TABLES)
PARTS_SQL = _PARTS_SQL.format(**_TABLES)
_LISTS = {ContactKind.PHONE: "phones", ContactKind.EMAIL: "emails", ContactKind.TELEGRAM: "telegram",
          ContactKind.WHATSAPP: "whatsapp", ContactKind.VK: "vk"}


PARAMETERS = ("phone", "email", "telegram", "whatsapp", "vk")


def lookup_card(params: dict[str, str]) -> dict[str, Any]:
    """GET /api/v1/customers/lookup: exactly one of PARAMETERS, written any way people write it → the card.

    ValidationFailed for a missing, doubled or malformed contact; NotFound when no card holds it.
    """
    given = [(name, value) for name in PARAMETERS if (value := params.get(name, ""))]
    if len(given) != 1:
        raise ValidationFailed("Give exactly one of phone, email, telegram, whatsapp, vk",
                               fields={"phone": "exactly one lookup parameter is required"})
    [(kind, value)] = given
    try:
        normalized = normalize_contact(kind, value)
    except ValueError as exc:
        raise ValidationFailed(_("Invalid contact"), fields={kind: str(exc)}) from exc
    card = card_by_contact(kind=kind, normalized=normalized)
    if card is None:
        raise NotFound("No customer has this contact", fields={kind: "not found"})
    return card


def card_by_contact(*, kind: str, normalized: str) -> dict[str, Any] | None:
    """The card holding this (already normalised) contact, as a dict of the API's CustomerOut, or None."""
    with connection.cursor() as cursor:
        cursor.execute(CARD_SQL, [kind, normalized])
        row = cursor.fetchone()
        if row is None:
            return None
        customer_id = row[0]
        cursor.execute(PARTS_SQL, [customer_id, customer_id, customer_id])
        parts = cursor.fetchall()
    (cid, first, last, middle, birthday, language, time_zone, channels, custom, status, created, updated,
     branch_id, branch_name, staff_id, staff_first, staff_last, staff_username) = row
    card: dict[str, Any] = {
        "id": cid,
        "first_name": first,
        "last_name": last,
        "middle_name": middle,
        "full_name": " ".join(p for p in (last, first, middle) if p),
        "birthday": _date(birthday),
        "language": language,
        "time_zone": time_zone,
        "home_branch": {"id": branch_id, "name": branch_name} if branch_id is not None else None,
        "responsible": (
            {"id": staff_id, "name": f"{staff_first} {staff_last}".strip() or staff_username}
            if staff_id is not None else None
        ),
        "preferred_channels": _json(channels),
        "tags": [],
        "custom": _json(custom),
        "status": status,
        **{name: [] for name in _LISTS.values()},
        "flags": [],
        "created_at": _datetime(created),
        "updated_at": _datetime(updated),
    }
    contacts = sorted((p for p in parts if p[0] == 0), key=lambda p: (not p[4], p[1]))  # primary first, then age
    for part in contacts:
        card[_LISTS[ContactKind(part[2])]].append(part[3])
    card["tags"] = [p[2] for p in parts if p[0] == 1]  # in the database's collation, as Tag.Meta.ordering
    flags = sorted((p for p in parts if p[0] == 2), key=lambda p: (_datetime(p[5]), p[1]), reverse=True)
    card["flags"] = [
        {"id": p[1], "kind": p[2], "reason": p[3], "created_at": _datetime(p[5]), "cleared_at": None} for p in flags
    ]
    return card


def _json(value: Any) -> Any:
    # PostgreSQL's jsonb and SQLite's JSON text both arrive as text through a raw cursor.
    return json.loads(value) if isinstance(value, str | bytes) else value


def _date(value: Any) -> dt.date | None:
    return parse_date(value) if isinstance(value, str) else value


def _datetime(value: Any) -> dt.datetime:
    # SQLite keeps UTC without an offset, as text or (through Django's converters) a naive datetime.
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValueError(f"not a datetime: {value!r}")
        value = parsed
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
