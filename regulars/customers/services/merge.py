"""Merging duplicate cards into one survivor; the others become tombstones (status=merged, merged_into).

See docs/adr/0006-merge.md: every row pointing at a card is moved by the registry in merging.py, and the merge
refuses to run while a model pointing at Customer is not registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import Conflict, DomainError, NotFound, ValidationFailed

from ..merging import CustomerReference, customer_references
from ..models import Customer, DuplicateDismissal
from ._common import emit, refresh_search_text

SCALAR_FIELDS = ("first_name", "last_name", "middle_name", "birthday", "language", "time_zone",
                 "home_branch_id", "responsible_id", "preferred_channels", "status")


class MergeNotReady(DomainError):
    """A model points at Customer but no customer_refs module lists it: merging would lose its rows."""

    status = 500
    code = "merge_registry_incomplete"


def missing_references(references: Iterable[CustomerReference] | None = None) -> list[str]:
    """Every "app_label.Model.field" with a FK/OneToOne to Customer that the registry does not cover."""
    refs = customer_references() if references is None else tuple(references)
    covered = {(ref.model, ref.field) for ref in refs}
    missing = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, models.ForeignKey) or field.related_model is not Customer:
                continue
            if model is Customer and field.name == "merged_into":
                continue
            if (model, field.name) not in covered:
                missing.append(f"{model._meta.label}.{field.name}")
    return sorted(missing)


def _value(customer: Customer, field: str) -> Any:
    if field.startswith("custom."):
        return (customer.custom or {}).get(field[7:])
    return getattr(customer, field)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def merge_conflicts(cards: Sequence[Customer]) -> dict[str, list[dict[str, Any]]]:
    """{field: [{customer_id, value}, ...]} where the cards hold different non-empty values."""
    keys = sorted({k for c in cards for k in (c.custom or {})})
    conflicts: dict[str, list[dict[str, Any]]] = {}
    for field in (*SCALAR_FIELDS, *(f"custom.{k}" for k in keys)):
        values = [(c.pk, _value(c, field)) for c in cards if not _empty(_value(c, field))]
        if len({repr(v) for _cid, v in values}) > 1:
            conflicts[field] = [{"customer_id": cid, "value": _jsonable(v)} for cid, v in values]
    return conflicts


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def customer_merge(*, actor: Actor, survivor_id: int, merged_ids: Sequence[int],
                   choices: dict[str, int] | None = None) -> Customer:
    choices = dict(choices or {})
    merged_ids = [int(i) for i in merged_ids]
    ids = [int(survivor_id), *merged_ids]
    if not merged_ids:
        raise ValidationFailed(_("Choose cards to merge"), fields={"merged_ids": _("required")})
    if len(set(ids)) != len(ids):
        raise ValidationFailed(_("A card is listed twice"), fields={"merged_ids": _("duplicate or survivor id")})
    missing = missing_references()
    if missing:
        raise MergeNotReady(_("Merge is not possible: rows of %(models)s would be lost")
                            % {"models": ", ".join(missing)}, missing=missing)
    locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    absent = [i for i in ids if i not in locked]
    if absent:
        raise NotFound(_("No such customer"), fields={"merged_ids": _("not found: %(ids)s")
                                                      % {"ids": ", ".join(map(str, absent))}})
    tombstoned = [i for i in ids if locked[i].status == Customer.Status.MERGED or locked[i].merged_into_id]
    if tombstoned:
        raise Conflict(_("Already merged cards cannot be merged again"),
                       fields={"merged_ids": _("already merged: %(ids)s") % {"ids": ", ".join(map(str, tombstoned))}})
    cards = [locked[i] for i in ids]
    survivor = cards[0]
    conflicts = merge_conflicts(cards)
    bad = {f: _("unknown field or card") for f, cid in choices.items()
           if f not in conflicts or cid not in locked}
    if bad:
        raise ValidationFailed(_("Invalid choices"), fields={f"choices.{f}": r for f, r in bad.items()})
    unresolved = {f: v for f, v in conflicts.items() if f not in choices}
    if unresolved:
        raise Conflict(_("The cards differ; choose which value to keep"),
                       fields={f: _("choose a value") for f in unresolved}, conflicts=unresolved)
    before = {f: _jsonable(_value(survivor, f)) for f in SCALAR_FIELDS} | {"custom": dict(survivor.custom or {})}
    custom: dict[str, Any] = {}
    for field in (*SCALAR_FIELDS, *(f"custom.{k}" for k in sorted({k for c in cards for k in (c.custom or {})}))):
        if field in choices:
            value = _value(locked[choices[field]], field)
        else:
            value = next((_value(c, field) for c in cards if not _empty(_value(c, field))), _value(survivor, field))
        if field.startswith("custom."):
            if not _empty(value):
                custom[field[7:]] = value
        else:
            setattr(survivor, field, value)
    survivor.custom = custom
    survivor.updated_at = timezone.now()
    survivor.save(update_fields=[*SCALAR_FIELDS, "custom", "updated_at"])
    survivor.tags.add(*{t for c in cards[1:] for t in c.tags.all()})

    moved: dict[str, int] = {}
    for ref in customer_references():
        rows = ref.model._default_manager.filter(**{f"{ref.field}_id__in": merged_ids})
        label = f"{ref.model._meta.label}.{ref.field}"
        moved[label] = moved.get(label, 0) + rows.count()
        if ref.move is not None:
            ref.move(survivor.pk, merged_ids)
        else:
            rows.update(**{f"{ref.field}_id": survivor.pk})
    Customer.objects.filter(pk__in=merged_ids).update(
        status=Customer.Status.MERGED, merged_into_id=survivor.pk, updated_at=timezone.now())
    Customer.objects.filter(merged_into_id__in=merged_ids).update(merged_into_id=survivor.pk)
    refresh_search_text(survivor)
    for cid in merged_ids:
        Customer.objects.filter(pk=cid).update(search_text="")

    after = {f: _jsonable(_value(survivor, f)) for f in SCALAR_FIELDS} | {"custom": survivor.custom}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    audit_record(actor=actor, action="customer.merge", object_type="customer", object_id=survivor.pk,
                 object_label=survivor.full_name,
                 changes={**changes, "merged_ids": [None, merged_ids], "moved": [None, moved]})
    for cid in merged_ids:
        audit_record(actor=actor, action="customer.merged_into", object_type="customer", object_id=cid,
                     object_label=locked[cid].full_name, changes={"merged_into": [None, survivor.pk]})
    summary = _("Merged with %(ids)s") % {"ids": ", ".join(f"#{i}" for i in merged_ids)}
    emit("customer.merged", survivor, actor=actor, summary=summary, merged_ids=merged_ids, moved=moved)
    return survivor


@transaction.atomic
def duplicate_dismiss(*, actor: Actor, customer_ids: list[int]) -> int:
    """'Not duplicates': remember every pair of these cards so the list stops offering them. Returns pairs added."""
    ids = sorted(set(int(i) for i in customer_ids))
    if len(ids) < 2:
        raise ValidationFailed(_("Choose at least two cards"), fields={"customer_ids": _("at least two")})
    if Customer.objects.filter(pk__in=ids).count() != len(ids):
        raise NotFound(_("No such customer"), fields={"customer_ids": _("not found")})
    added = 0
    for first, second in combinations(ids, 2):
        _obj, created = DuplicateDismissal.objects.get_or_create(
            first_id=first, second_id=second, defaults={"by_id": actor.user_id, "at": timezone.now()})
        added += int(created)
    if added:
        audit_record(actor=actor, action="customer.duplicates_dismissed", object_type="customer",
                     object_id=ids[0], changes={"not_duplicates": [None, ids]})
    return added
