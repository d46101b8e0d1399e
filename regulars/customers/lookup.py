"""The caller-id lookup: a phone, e-mail or messenger id → the card as the API shows it, in one SQL statement.

This is what runs while the phone still rings (a PBX asks for every incoming call), so it skips the ORM's query
building and model instances: one indexed equality on (kind, value) joined to the card, its branch and responsible
person, its contacts, tags and active flags, all in one UNION. The result is the `CustomerOut` shape; a test
compares it with the ORM serialiser (`schemas.customer_json`) field by field.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import psycopg
from django.db import connection
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from regulars.org.models import Branch, Staff
from regulars.platform.errors import NotFound, ValidationFailed

from .models import ContactKind, ContactPoint, Customer, Flag, Tag
from .services.contacts import normalize_contact

# One statement, one round trip: the card (row kind 0) and its contacts (1), tags (2) and active flags (3), found
# through the contact. Rows share 20 columns; each kind fills the ones it needs (see card_by_contact).
_SQL = """
WITH hit AS (
    SELECT p.customer_id AS id FROM {contact} p JOIN {customer} c ON c.id = p.customer_id
    WHERE p.kind = %s AND p.value = %s AND c.status <> 'merged'
)
SELECT 0, c.id, c.first_name, c.last_name, c.middle_name, c.birthday, c.language, c.time_zone,
       c.preferred_channels, c.custom, c.status, c.created_at, c.updated_at,
       b.id, b.name, s.id, s.first_name, s.last_name, s.username, CAST(NULL AS BOOLEAN)
FROM hit JOIN {customer} c ON c.id = hit.id
LEFT JOIN {branch} b ON b.id = c.home_branch_id
LEFT JOIN {staff} s ON s.id = c.responsible_id
UNION ALL
SELECT 1, p.id, p.kind, p.value, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, p.is_primary
FROM hit JOIN {contact} p ON p.customer_id = hit.id
UNION ALL
SELECT 2, t.id, t.name, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL
FROM hit JOIN {tags} ct ON ct.customer_id = hit.id JOIN {tag} t ON t.id = ct.tag_id
UNION ALL
SELECT 3, f.id, f.kind, f.reason, NULL, NULL, NULL, NULL, NULL, NULL, NULL, f.created_at, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL
FROM hit JOIN {flag} f ON f.customer_id = hit.id AND f.cleared_at IS NULL
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
SQL = _SQL.format(**_TABLES)
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
    rows = _fetch(SQL, [kind, normalized])
    if not rows:
        return None
    row, parts = rows[0], rows[1:]
    (_kind, cid, first, last, middle, birthday, language, time_zone, channels, custom, status, created, updated,
     branch_id, branch_name, staff_id, staff_first, staff_last, staff_username, _primary) = row
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
    contacts = sorted((p for p in parts if p[0] == 1), key=lambda p: (not p[19], p[1]))  # primary first, then age
    for part in contacts:
        card[_LISTS[ContactKind(part[2])]].append(part[3])
    card["tags"] = [p[2] for p in parts if p[0] == 2]  # in the database's collation, as Tag.Meta.ordering
    flags = sorted((p for p in parts if p[0] == 3), key=lambda p: (_datetime(p[11]), p[1]), reverse=True)
    card["flags"] = [
        {"id": p[1], "kind": p[2], "reason": p[3], "created_at": _datetime(p[11]), "cleared_at": None} for p in flags
    ]
    return card


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if connection.vendor == "postgresql":
        # Django's cursors bind parameters on the client, so PostgreSQL would plan this UNION afresh each time
        # (~0.6 ms, four times its execution). A server-side bound statement prepared once per connection is
        # planned once.
        connection.ensure_connection()
        started = time.perf_counter()
        with psycopg.Cursor(connection.connection) as raw:
            raw.execute(sql, params, prepare=True)
            rows = raw.fetchall()
        if connection.queries_logged:  # visible to query counting (DEBUG, tests) like any Django query
            connection.queries_log.append({"sql": sql, "time": f"{time.perf_counter() - started:.3f}"})
        return rows
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


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
