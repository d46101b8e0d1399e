"""Reads of the customers domain. Cards are shared by the whole network (PRODUCT C1): every active staff
member with `customers.view` sees every card; branch filters are a choice of the user, not a restriction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from regulars.org.models import ApiKey
from regulars.org.permissions import has_perm
from regulars.platform.cursor import decode_cursor, encode_cursor
from regulars.platform.errors import NotFound, ValidationFailed

from .models import Consent, ContactKind, ContactPoint, Customer, Flag, TimelineEntry
from .search import query_terms
from .services.contacts import normalize_contact


def customers_visible_to(viewer: Any) -> QuerySet[Customer]:
    """A staff member with `customers.view`, or an active API key (a network-wide integration), sees every card."""
    if isinstance(viewer, ApiKey):
        return Customer.objects.all() if viewer.is_active else Customer.objects.none()
    if not has_perm(viewer, "customers.view"):
        return Customer.objects.none()
    return Customer.objects.all()


def viewer_of(request: Any) -> Any:
    """Who is reading: the request's API key if it has one, else its user."""
    return getattr(request, "api_key", None) or request.user


def customer_get_for_user(user: Any, customer_id: int) -> Customer:
    """The card with what the card page shows, or Http404 (the same answer for 'missing' and 'not yours')."""
    customer = (
        customers_visible_to(user)
        .select_related("home_branch", "responsible")
        .prefetch_related("tags", "contacts", "flags")
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise Http404("No such customer")
    return customer


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    branch_id: int | None = None
    tag: str = ""
    flag: str = ""  # "blacklist", "risk" or "any"
    consent: str = ""  # "<channel>:<purpose>", e.g. "sms:marketing": currently granted
    status: str = ""


def current_consent_granted(channel: str, purpose: str) -> Exists:
    """True where the newest consent row for this channel and purpose says yes."""
    newest = Consent.objects.filter(customer=OuterRef("customer"), channel=channel, purpose=purpose).order_by(
        "-at", "-id"
    )
    return Exists(
        Consent.objects.filter(customer=OuterRef("pk"), channel=channel, purpose=purpose, granted=True).filter(
            pk=newest.values("pk")[:1]
        )
    )


def customer_search(user: Any, filters: CustomerFilters) -> QuerySet[Customer]:
    """The list page and the API list: every term of `q` must match the card's search text."""
    qs = customers_visible_to(user)
    terms = query_terms(filters.q)
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    if not terms:
        # Tombstones are never listed. A search needs no such filter: their search_text is empty, so no term matches
        # them, and a `status <> 'merged'` beside the trigram match makes PostgreSQL walk the created_at index
        # instead, which for a rare digit run reads the whole table.
        qs = qs.exclude(status=Customer.Status.MERGED)
    if filters.branch_id:
        qs = qs.filter(home_branch_id=filters.branch_id)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.flag:
        active = Flag.objects.filter(customer=OuterRef("pk"), cleared_at=None)
        if filters.flag != "any":
            active = active.filter(kind=filters.flag)
        qs = qs.filter(Exists(active))
    if filters.consent:
        channel, _, purpose = filters.consent.partition(":")
        qs = qs.filter(current_consent_granted(channel, purpose or "marketing"))
    return qs.select_related("home_branch").order_by("-created_at", "-id")


def customer_lookup(*, kind: str, value: str) -> Customer | None:
    """Find the card holding a phone / e-mail / messenger id, written any way people write it.

    One indexed equality on (kind, value): this is what shows the card while the phone still rings.
    """
    try:
        normalized = normalize_contact(kind, value)
    except ValueError as exc:
        raise ValidationFailed(_("Invalid contact"), fields={kind: str(exc)}) from exc
    return (
        Customer.objects.select_related("home_branch", "responsible")
        .prefetch_related("tags", "contacts", "flags")
        .filter(contacts__kind=kind, contacts__value=normalized)
        .exclude(status=Customer.Status.MERGED)
        .first()
    )


def contacts_of(customer: Customer) -> dict[str, list[ContactPoint]]:
    grouped: dict[str, list[ContactPoint]] = {k: [] for k in ContactKind.values}
    for contact in customer.contacts.all():
        grouped[contact.kind].append(contact)
    return grouped


def consents_current(customer_id: int) -> dict[tuple[str, str], Consent]:
    """The newest decision per (channel, purpose)."""
    current: dict[tuple[str, str], Consent] = {}
    for consent in Consent.objects.filter(customer_id=customer_id).order_by("-at", "-id"):
        current.setdefault((consent.channel, consent.purpose), consent)
    return current


def consent_history(customer_id: int) -> QuerySet[Consent]:
    return Consent.objects.filter(customer_id=customer_id).order_by("-at", "-id")


def flags_active(customer_id: int) -> QuerySet[Flag]:
    return Flag.objects.filter(customer_id=customer_id, cleared_at=None).order_by("-created_at")


def flags_all(customer_id: int) -> QuerySet[Flag]:
    return Flag.objects.filter(customer_id=customer_id).select_related("created_by", "cleared_by")


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


def timeline_page(customer_id: int, *, cursor: str | None = None, limit: int = 30) -> TimelinePage:
    """Newest first, keyset-paginated on (occurred_at, id): new entries never shift older pages."""
    if not 1 <= limit <= 200:
        raise ValidationFailed(_("Invalid limit"), fields={"limit": _("between 1 and 200")})
    qs = TimelineEntry.objects.filter(customer_id=customer_id).select_related("branch")
    if cursor:
        at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
    entries = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    has_more = len(entries) > limit
    entries = entries[:limit]
    next_cursor = encode_cursor(entries[-1].occurred_at, entries[-1].pk) if has_more and entries else None
    return TimelinePage(entries=entries, next_cursor=next_cursor)


class CustomerMerged(NotFound):
    """The card was merged into another one: 404 with code "merged" and `merged_into` (docs/adr/0006-merge.md)."""

    code = "merged"


def ensure_not_merged(customer: Customer) -> Customer:
    if customer.status == Customer.Status.MERGED:
        raise CustomerMerged(_("This card was merged into #%(id)s") % {"id": customer.merged_into_id},
                             merged_into=customer.merged_into_id)
    return customer


def ensure_customer_exists(customer_id: int) -> None:
    if not Customer.objects.filter(pk=customer_id).exists():
        raise NotFound(_("No such customer"), fields={"customer_id": _("not found")})


