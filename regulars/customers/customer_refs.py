"""Customer-owned rows of the customers domain, for the merge (see merging.py and docs/adr/0006-merge.md).

Rules that a plain UPDATE would get wrong:
- contacts: the survivor keeps at most one primary contact per kind (its own wins); tombstones keep none.
- flags: an active flag of a kind the survivor already has active is moved too but cleared ("merged duplicate"),
  so the survivor never shows two active blacklist flags; history is kept.
- consents: every row is kept and moved. The current state per channel+purpose stays "the newest row by `at`"
  (the time the customer decided), never the time of the merge: the customer's latest decision on any card wins.
- duplicate dismissals: pairs that involve a merged card are deleted (the pair no longer exists).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q
from django.utils import timezone

from .merging import CustomerReference
from .models import Asset, Consent, ContactPoint, ExternalRef, Flag, Note, TimelineEntry


def _move_contacts(survivor_id: int, merged_ids: Sequence[int]) -> None:
    primary_kinds = set(
        ContactPoint.objects.filter(customer_id=survivor_id, is_primary=True).values_list("kind", flat=True)
    )
    for contact in ContactPoint.objects.filter(customer_id__in=merged_ids, is_primary=True).order_by("id"):
        if contact.kind in primary_kinds:
            ContactPoint.objects.filter(pk=contact.pk).update(is_primary=False)
        else:
            primary_kinds.add(contact.kind)
    ContactPoint.objects.filter(customer_id__in=merged_ids).update(customer_id=survivor_id)


def _move_flags(survivor_id: int, merged_ids: Sequence[int]) -> None:
    active = set(Flag.objects.filter(customer_id=survivor_id, cleared_at=None).values_list("kind", flat=True))
    for flag in Flag.objects.filter(customer_id__in=merged_ids, cleared_at=None).order_by("created_at", "id"):
        if flag.kind in active:
            Flag.objects.filter(pk=flag.pk).update(cleared_at=timezone.now(), cleared_reason="merged duplicate")
        else:
            active.add(flag.kind)
    Flag.objects.filter(customer_id__in=merged_ids).update(customer_id=survivor_id)


def _drop_dismissals(survivor_id: int, merged_ids: Sequence[int]) -> None:
    from .models import DuplicateDismissal

    DuplicateDismissal.objects.filter(Q(first_id__in=merged_ids) | Q(second_id__in=merged_ids)).delete()


def _references() -> list[CustomerReference]:
    from .models import DuplicateDismissal

    return [
        CustomerReference(model=ContactPoint, move=_move_contacts),
        CustomerReference(model=ExternalRef),
        CustomerReference(model=Consent),  # all rows kept; current = newest `at` (see above)
        CustomerReference(model=Flag, move=_move_flags),
        CustomerReference(model=Asset),
        CustomerReference(model=Note),
        CustomerReference(model=TimelineEntry),
        CustomerReference(model=DuplicateDismissal, field="first", move=_drop_dismissals),
        CustomerReference(model=DuplicateDismissal, field="second", move=_drop_dismissals),
    ]


REFERENCES: list[CustomerReference] = _references()
