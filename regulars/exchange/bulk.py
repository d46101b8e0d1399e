"""The set-based write of one chunk of an import: a few queries per chunk, not per row.

Rows match existing cards by external id, then phone, then e-mail (one `IN (…)` query each), and rows of the same
chunk match each other the same way, so the same phone twice in a file makes one card. New cards and everything
they own are inserted with bulk_create; matched cards are compared field by field and written only when something
differs, so importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from regulars.customers.models import Asset, Consent, ContactPoint, Customer, ExternalRef, Tag
from regulars.customers.search import search_text_of
from regulars.platform.fastcopy import insert_columns, is_postgres, reserve_ids, values_in

from .normalising import Record

NO_CUSTOM: dict[str, Any] = {}  # shared by every new card: a change replaces the dict, never mutates it
NO_CHANNELS: list[str] = []
PROFILE = ("last_name", "first_name", "middle_name", "birthday", "home_branch_id")
Key = tuple[str, str]  # ("phone" | "email" | "ext", value)


class NewCard:
    """A card about to be created from its first record: the fields an import sets, without the cost of a Django
    model instance."""

    __slots__ = ("birthday", "custom", "first_name", "home_branch_id", "last_name", "middle_name", "pk")

    def __init__(self, record: Record) -> None:
        self.pk: int | None = None
        self.last_name, self.first_name, self.middle_name = record.last_name, record.first_name, record.middle_name
        self.birthday: dt.date | None = record.birthday
        self.home_branch_id: int | None = record.branch_id
        self.custom: dict[str, Any] = record.custom or NO_CUSTOM


class Entity:
    """A card of the chunk (matched or new) and what the chunk adds to it."""

    __slots__ = ("add", "consents", "customer", "has", "is_new", "new_consents", "new_tags", "tags")

    def __init__(self, customer: Any, is_new: bool) -> None:
        self.customer = customer  # Customer (a matched card) or NewCard
        self.is_new = is_new
        self.has: set[Key] = set()  # contacts and external ids the card holds (or will)
        self.add: list[Key] = []  # … of which these are to be inserted
        self.tags: set[str] = set()
        self.new_tags: list[str] = []
        self.consents: dict[tuple[str, str], bool] = {}
        self.new_consents: list[tuple[str, str, bool]] = []


def _new_entity(record: Record, keys: list[Key], claimed: dict[Key, Entity]) -> Entity:
    """The card a record with no match becomes: none of its keys is held by anyone, so all of them are its own."""
    entity = Entity(NewCard(record), True)
    entity.has.update(keys)
    entity.add = list(keys)
    for key in keys:
        claimed[key] = entity
    entity.tags.update(record.tags)
    entity.new_tags = list(record.tags)
    entity.consents = dict(record.consents)
    entity.new_consents = [(channel, purpose, granted) for (channel, purpose), granted in record.consents.items()]
    return entity


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    customer_ids: list[int] = field(default_factory=list)


def _keys(record: Record, source: str) -> list[Key]:
    keys: list[Key] = [("ext", record.external_id)] if record.external_id and source else []
    keys += [("phone", p) for p in record.phones]
    keys += [("email", e) for e in record.emails]
    return keys


def _db_owners(keyed: Iterable[tuple[Record, list[Key]]], source: str) -> dict[Key, int]:
    wanted: dict[str, set[str]] = {"ext": set(), "phone": set(), "email": set()}
    for _record, keys in keyed:
        for kind, value in keys:
            wanted[kind].add(value)
    owners: dict[Key, int] = {}
    if wanted["ext"]:
        for value, customer_id in values_in(ExternalRef, "value", wanted["ext"], select=("value", "customer_id"),
                                            source=source):
            owners[("ext", value)] = customer_id
    for kind in ("phone", "email"):
        for value, customer_id in values_in(ContactPoint, "value", wanted[kind], select=("value", "customer_id"),
                                            kind=kind):
            owners[(kind, value)] = customer_id
    return owners


def _load(ids: set[int], consent_keys: set[tuple[str, str]], owners: dict[Key, int]) -> dict[int, Entity]:
    entities = {c.pk: Entity(customer=c, is_new=False) for c in Customer.objects.filter(pk__in=ids)}
    for key, customer_id in owners.items():
        if customer_id in entities:
            entities[customer_id].has.add(key)
    through = Customer.tags.through
    for customer_id, name in through.objects.filter(customer_id__in=ids).values_list("customer_id", "tag__name"):
        entities[customer_id].tags.add(name)
    if consent_keys:
        rows = (Consent.objects.filter(customer_id__in=ids, channel__in={c for c, _p in consent_keys})
                .order_by("customer_id", "channel", "purpose", "-at", "-id")
                .values_list("customer_id", "channel", "purpose", "granted"))
        for customer_id, channel, purpose, granted in rows:
            entities[customer_id].consents.setdefault((channel, purpose), granted)
    return entities


def _apply(entity: Entity, record: Record, keys: list[Key], claimed: dict[Key, Entity],
           owners: dict[Key, int]) -> bool:
    """Bring the record into the card; True if anything differs."""
    customer = entity.customer
    changed = False
    values = {"last_name": record.last_name, "first_name": record.first_name, "middle_name": record.middle_name,
              "birthday": record.birthday, "home_branch_id": record.branch_id}
    given = {("home_branch_id" if g == "branch" else g) for g in record.given}
    for name in PROFILE:
        if name in given and getattr(customer, name) != values[name]:
            setattr(customer, name, values[name])
            changed = True
    for name_, value in record.custom.items():
        if customer.custom.get(name_) != value:
            customer.custom = {**customer.custom, name_: value}
            changed = True
    for key in keys:
        if key in entity.has or key in owners or claimed.get(key, entity) is not entity:
            continue  # the card has it already, or another card holds it: one contact belongs to one card
        claimed[key] = entity
        entity.has.add(key)
        entity.add.append(key)
        changed = True
    for tag in record.tags:
        if tag not in entity.tags:
            entity.tags.add(tag)
            entity.new_tags.append(tag)
            changed = True
    for (channel, purpose), granted in record.consents.items():
        if entity.consents.get((channel, purpose)) != granted:
            entity.consents[(channel, purpose)] = granted
            entity.new_consents.append((channel, purpose, granted))
            changed = True
    return changed


def write_chunk(records: Sequence[Record], *, source: str, on_match: str, consent_source: str,
                actor_id: int | None, actor_label: str) -> ChunkResult:
    """Match, create and update; returns the counts and the ids of the cards created or changed."""
    now = timezone.now()
    keyed = [(record, _keys(record, source)) for record in records]
    owners = _db_owners(keyed, source)
    consent_keys = {k for r in records for k in r.consents}
    entities = _load({owners[k] for _r, keys in keyed for k in keys if k in owners}, consent_keys, owners)
    claimed: dict[Key, Entity] = {}
    result = ChunkResult()
    new: list[Entity] = []
    touched: dict[int, Entity] = {}
    for record, keys in keyed:
        match = next((entities[owners[k]] if k in owners else claimed[k] for k in keys
                      if k in owners or k in claimed), None)
        if match is None:
            new.append(_new_entity(record, keys, claimed))
            result.created += 1
            continue
        if on_match == "skip":
            result.skipped += 1
            continue
        if _apply(match, record, keys, claimed, owners):
            result.updated += 1
            if not match.is_new:
                touched[match.customer.pk] = match
        else:
            result.skipped += 1
    _insert_new(new, now, actor_id)
    _save_touched(list(touched.values()), now)
    everyone = new + list(touched.values())
    _insert_owned(everyone, source=source, consent_source=consent_source, actor_id=actor_id,
                  actor_label=actor_label, now=now)
    result.customer_ids = [e.customer.pk for e in everyone]
    return result


def _search_text(customer: Any, keys: Iterable[Key], assets: Sequence[dict[str, Any]] = ()) -> str:
    return search_text_of((customer.last_name, customer.first_name, customer.middle_name), keys, assets)


CARD_COLUMNS = ("last_name", "first_name", "middle_name", "birthday", "home_branch_id", "custom", "language",
                "time_zone", "search_text", "created_at", "updated_at", "created_by_id", "status",
                "preferred_channels")


def _insert_new(new: list[Entity], now: dt.datetime, actor_id: int | None) -> None:
    if not new:
        return
    from regulars.org.models import Branch

    zones = dict(Branch.objects.values_list("id", "time_zone"))
    default_zone, active = settings.TIME_ZONE, Customer.Status.ACTIVE.value
    rows = []
    for entity in new:
        card = entity.customer
        rows.append((card.last_name, card.first_name, card.middle_name, card.birthday, card.home_branch_id,
                     card.custom, "ru", zones.get(card.home_branch_id, default_zone),
                     _search_text(card, entity.add), now, now, actor_id, active, NO_CHANNELS))
    if is_postgres():  # ids from the sequence first, then one COPY
        ids = reserve_ids(Customer, len(new))
        for entity, pk in zip(new, ids, strict=True):
            entity.customer.pk = pk
        insert_columns(Customer, ("id", *CARD_COLUMNS), [(pk, *row) for pk, row in zip(ids, rows, strict=True)])
    else:  # SQLite returns the new ids from bulk_create
        created = Customer.objects.bulk_create([Customer(**dict(zip(CARD_COLUMNS, row, strict=True)))
                                                for row in rows], batch_size=1000)
        for entity, customer in zip(new, created, strict=True):
            entity.customer.pk = customer.pk


def _save_touched(touched: list[Entity], now: dt.datetime) -> None:
    if not touched:
        return
    ids = [e.customer.pk for e in touched]
    contacts: dict[int, list[Key]] = {i: [] for i in ids}
    for customer_id, kind, value in ContactPoint.objects.filter(customer_id__in=ids).values_list(
            "customer_id", "kind", "value"):
        contacts[customer_id].append((kind, value))
    assets: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for customer_id, data in Asset.objects.filter(customer_id__in=ids, is_archived=False).values_list(
            "customer_id", "data"):
        assets[customer_id].append(data)
    for entity in touched:
        customer = entity.customer
        customer.updated_at = now
        pending = [k for k in entity.add if k[0] != "ext"]
        customer.search_text = _search_text(customer, contacts[customer.pk] + pending, assets[customer.pk])
    Customer.objects.bulk_update([e.customer for e in touched], [*PROFILE, "custom", "search_text", "updated_at"],
                                 batch_size=1000)


def _insert_owned(entities: list[Entity], *, source: str, consent_source: str, actor_id: int | None,
                  actor_label: str, now: dt.datetime) -> None:
    contacts: list[tuple[Any, ...]] = []
    refs: list[tuple[Any, ...]] = []
    consents: list[tuple[Any, ...]] = []
    new_pairs: list[tuple[int, str]] = []
    old_pairs: list[tuple[int, str]] = []
    consent_source, actor_label = consent_source[:100], actor_label[:200]
    for entity in entities:
        customer_id = entity.customer.pk
        primary_done: set[str] = set()
        for kind, value in entity.add:
            if kind == "ext":
                refs.append((customer_id, source, value, now))
                continue
            contacts.append((customer_id, kind, value, entity.is_new and kind not in primary_done, now, ""))
            primary_done.add(kind)
        for channel, purpose, granted in entity.new_consents:
            consents.append((customer_id, channel, purpose, granted, consent_source, now, actor_id, actor_label, ""))
        (new_pairs if entity.is_new else old_pairs).extend((customer_id, name) for name in entity.new_tags)
    insert_columns(ContactPoint, ("customer_id", "kind", "value", "is_primary", "created_at", "label"), contacts)
    insert_columns(ExternalRef, ("customer_id", "source", "value", "created_at"), refs)
    insert_columns(Consent, ("customer_id", "channel", "purpose", "granted", "source", "at", "actor_id",
                             "actor_label", "text_version"), consents)
    if new_pairs or old_pairs:
        names = {name for _c, name in new_pairs + old_pairs}
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=names).values_list("name", "id"))
        through = Customer.tags.through
        # A card created in this chunk cannot hold a tag yet: plain COPY. A matched card may have gained the tag
        # since it was read (another import), so its pairs give way on conflict.
        insert_columns(through, ("customer_id", "tag_id"), [(c, tag_ids[n]) for c, n in new_pairs])
        through.objects.bulk_create([through(customer_id=c, tag_id=tag_ids[n]) for c, n in old_pairs],
                                    ignore_conflicts=True, batch_size=2000)
