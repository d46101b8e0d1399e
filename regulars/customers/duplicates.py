"""Likely duplicate cards, found set-based in SQL (GROUP BY), never by comparing cards pairwise in Python.

Rules (a group = the live cards sharing one key):
- "name_birthday": same normalised name (last + first, lower-cased, ё→е) and the same birthday;
- "name_phone": same normalised name and a phone with the same last 10 digits;
- "name_email": same normalised name and the same e-mail after lower-casing and, for gmail/yandex, dropping dots
  and a "+tag" from the local part.
Merged cards (tombstones) never appear. A group whose every pair was dismissed ("not duplicates") is hidden.
SQLite's LOWER() folds only ASCII letters, so there Cyrillic names compare case-sensitively; PostgreSQL folds all.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, Lower, Replace, Right, StrIndex, Substr
from django.utils.translation import gettext as _

from regulars.org.models import ApiKey
from regulars.org.permissions import has_perm
from regulars.platform.errors import Forbidden, ValidationFailed

from .models import ContactKind, ContactPoint, Customer, DuplicateDismissal

CANONICAL_DOMAINS = ("gmail.com", "googlemail.com", "yandex.ru", "ya.ru", "yandex.com")


def _name_key(prefix: str = "") -> Any:
    def part(name: str) -> Any:
        return Replace(Replace(Lower(F(prefix + name)), Value("ё"), Value("е")), Value("Ё"), Value("е"))

    return Concat(part("last_name"), Value("|"), part("first_name"), output_field=CharField())


def _email_key() -> Any:
    at = StrIndex("value", Value("@"))
    local = Substr("value", 1, at - 1)
    domain = Substr("value", at + 1)
    plus = StrIndex(local, Value("+"))
    untagged = Case(When(Q(value__regex=r"^[^@]*\+"), then=Substr(local, 1, plus - 1)), default=local)
    return Case(
        When(Q(value__iregex=r"@(" + "|".join(d.replace(".", r"\.") for d in CANONICAL_DOMAINS) + r")$"),
             then=Concat(Replace(untagged, Value("."), Value("")), Value("@"), domain)),
        default=Lower("value"),
        output_field=CharField(),
    )


def _live() -> QuerySet[Customer]:
    return Customer.objects.exclude(status=Customer.Status.MERGED).exclude(last_name="", first_name="")


def _group_queries() -> dict[str, QuerySet[Any]]:
    by_birthday = (
        _live().filter(birthday__isnull=False).annotate(name_key=_name_key(), extra=Cast("birthday", CharField()))
        .values("name_key", "extra").annotate(n=Count("id", distinct=True)).filter(n__gt=1)
    )
    live_contacts = ContactPoint.objects.exclude(customer__status=Customer.Status.MERGED).exclude(
        customer__last_name="", customer__first_name="")
    by_phone = (
        live_contacts.filter(kind=ContactKind.PHONE).annotate(name_key=_name_key("customer__"),
                                                              extra=Right("value", 10))
        .filter(Q(value__regex=r"\d{10}$"))
        .values("name_key", "extra").annotate(n=Count("customer_id", distinct=True)).filter(n__gt=1)
    )
    by_email = (
        live_contacts.filter(kind=ContactKind.EMAIL).annotate(name_key=_name_key("customer__"), extra=_email_key())
        .values("name_key", "extra").annotate(n=Count("customer_id", distinct=True)).filter(n__gt=1)
    )
    return {"name_birthday": by_birthday, "name_phone": by_phone, "name_email": by_email}


def _members(rule: str, name_key: str, extra: str) -> list[Customer]:
    if rule == "name_birthday":
        qs = _live().annotate(name_key=_name_key(), extra=Cast("birthday", CharField()))
    else:
        kind = ContactKind.PHONE if rule == "name_phone" else ContactKind.EMAIL
        contacts = ContactPoint.objects.filter(kind=kind).annotate(
            name_key=_name_key("customer__"), extra=Right("value", 10) if rule == "name_phone" else _email_key()
        ).filter(name_key=name_key, extra=extra)
        people = _live().annotate(name_key=_name_key()).filter(pk__in=contacts.values("customer_id"))
        return list(people.filter(name_key=name_key).prefetch_related("contacts").order_by("id"))
    return list(qs.filter(name_key=name_key, extra=extra).prefetch_related("contacts").order_by("id"))


@dataclass(frozen=True)
class DuplicateGroup:
    rule: str
    key: str
    customers: list[Customer]


@dataclass(frozen=True)
class DuplicatePage:
    groups: list[DuplicateGroup]
    next_offset: int | None


def duplicates_find(viewer: Any, *, offset: int = 0, limit: int = 20) -> DuplicatePage:
    """A page of likely-duplicate groups, ordered by rule and key. Needs `customers.merge`."""
    if not (isinstance(viewer, ApiKey) and viewer.is_active) and not has_perm(viewer, "customers.merge"):
        raise Forbidden(_("You cannot merge customers"))
    if not 1 <= limit <= 100:
        raise ValidationFailed(_("Invalid limit"), fields={"limit": _("between 1 and 100")})
    if offset < 0:
        raise ValidationFailed(_("Invalid offset"), fields={"offset": _("0 or more")})
    queries = [q.order_by().annotate(rule=Value(rule, output_field=CharField())).values("rule", "name_key", "extra")
               for rule, q in _group_queries().items()]
    union = queries[0].union(*queries[1:], all=True).order_by("rule", "name_key", "extra")
    rows = list(union[offset: offset + limit + 1])
    has_more = len(rows) > limit
    groups = []
    for row in rows[:limit]:
        members = _members(row["rule"], row["name_key"], row["extra"])
        if len(members) > 1 and not _all_dismissed([c.pk for c in members]):
            groups.append(DuplicateGroup(rule=row["rule"], key=f"{row['name_key']}|{row['extra']}",
                                         customers=members))
    return DuplicatePage(groups=groups, next_offset=offset + limit if has_more else None)


def _all_dismissed(ids: list[int]) -> bool:
    pairs = set(combinations(sorted(ids), 2))
    found = set(DuplicateDismissal.objects.filter(first_id__in=ids, second_id__in=ids)
                .values_list("first_id", "second_id"))
    return pairs <= found


@dataclass(frozen=True)
class MergePreview:
    customers: list[Customer]
    conflicts: dict[str, list[dict[str, Any]]]
    moves: dict[str, int]  # model label -> rows that will move to the survivor


def merge_preview(viewer: Any, ids: list[int]) -> MergePreview:
    """What the merge page shows: the live cards, their conflicting fields and how many rows each model moves."""
    from .merging import customer_references
    from .services.merge import merge_conflicts

    if not has_perm(viewer, "customers.merge"):
        raise Forbidden(_("You cannot merge customers"))
    by_id = {c.pk: c for c in _live().filter(pk__in=ids).prefetch_related("contacts", "tags")}
    customers = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    moves: dict[str, int] = {}
    for ref in customer_references():
        count = ref.model._default_manager.filter(**{f"{ref.field}_id__in": [c.pk for c in customers[1:]]}).count()
        if count:
            name = ref.model._meta.label
            moves[name] = moves.get(name, 0) + count
    return MergePreview(customers=customers, conflicts=merge_conflicts(customers), moves=moves)
