"""Contact points: phones, e-mails and messenger ids, normalised so that lookup is an equality."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.emails import InvalidEmail, normalize_email
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.phones import InvalidPhone, normalize_phone

from ..models import ContactKind, ContactPoint, Customer
from ._common import emit, lock_customer, refresh_search_text, touch

_HANDLE = re.compile(r"^[A-Za-z0-9_.@+\-]{2,100}$")
# API and form field names for each kind of contact.
FIELD_FOR_KIND = {ContactKind.PHONE: "phones", ContactKind.EMAIL: "emails", ContactKind.TELEGRAM: "telegram",
                  ContactKind.WHATSAPP: "whatsapp", ContactKind.VK: "vk"}


def normalize_contact(kind: str, raw: str) -> str:
    """The stored form of a contact, or ValueError with the reason."""
    if kind == ContactKind.PHONE:
        return normalize_phone(raw)
    if kind == ContactKind.EMAIL:
        return normalize_email(raw)
    if kind == ContactKind.WHATSAPP:  # WhatsApp ids are phone numbers
        return normalize_phone(raw)
    if kind in (ContactKind.TELEGRAM, ContactKind.VK):
        handle = (raw or "").strip()
        if handle.startswith("https://t.me/") or handle.startswith("https://vk.com/"):
            handle = handle.rsplit("/", 1)[-1]
        handle = handle.lstrip("@").lower()
        if kind == ContactKind.VK and re.fullmatch(r"id\d+", handle):  # vk.com/id123 is user 123: VK's own id
            handle = handle[2:]
        if not _HANDLE.match(handle):
            raise ValueError(_("%(value)s is not a valid %(kind)s id") % {"value": raw, "kind": kind})
        return handle
    raise ValueError(f"unknown contact kind {kind!r}")


def clean_contacts(kind: str, values: list[str], *, field: str | None = None) -> list[str]:
    """Normalise a list of one kind; duplicates inside the list collapse. Errors name the field and index."""
    field = field or FIELD_FOR_KIND.get(ContactKind(kind), kind)
    out: list[str] = []
    errors: dict[str, str] = {}
    for i, raw in enumerate(values):
        try:
            value = normalize_contact(kind, str(raw))
        except (InvalidPhone, InvalidEmail, ValueError) as exc:
            errors[f"{field}.{i}" if len(values) > 1 else field] = str(exc)
            continue
        if value not in out:
            out.append(value)
    if errors:
        raise ValidationFailed(_("Invalid contact"), fields=errors)
    return out


def ensure_free(kind: str, values: list[str], *, customer_id: int | None, field: str) -> None:
    """Raise Conflict naming the card that already holds one of these contacts."""
    holders = ContactPoint.objects.filter(kind=kind, value__in=values)
    if customer_id is not None:
        holders = holders.exclude(customer_id=customer_id)
    taken = holders.values_list("value", "customer_id").first()
    if taken:
        value, owner = taken
        raise Conflict(
            f"{value} already belongs to customer {owner}",
            fields={field: _("%(value)s belongs to another customer") % {"value": value}},
            existing_customer_id=owner,
        )


def insert_contacts(customer: Customer, kind: str, values: list[str], *, field: str, primary_first: bool) -> list[
        ContactPoint]:
    ensure_free(kind, values, customer_id=customer.pk, field=field)
    now = timezone.now()
    rows = [
        ContactPoint(customer=customer, kind=kind, value=v, is_primary=primary_first and i == 0, created_at=now)
        for i, v in enumerate(values)
    ]
    try:
        with transaction.atomic():
            ContactPoint.objects.bulk_create(rows)
    except IntegrityError as exc:  # lost a race with another card taking the same contact
        ensure_free(kind, values, customer_id=customer.pk, field=field)
        raise Conflict(_("Contact already exists"), fields={field: _("already exists")}) from exc
    return rows


@transaction.atomic
def contact_add(*, actor: Actor, customer_id: int, kind: str, value: str, label: str = "") -> ContactPoint:
    if kind not in ContactKind.values:
        raise ValidationFailed(_("Unknown contact kind"), fields={"kind": f"one of {ContactKind.values}"})
    customer = lock_customer(customer_id)
    field = "value"
    [normalized] = clean_contacts(kind, [value], field=field)
    existing = customer.contacts.filter(kind=kind, value=normalized).first()
    if existing:
        return existing
    has_primary = customer.contacts.filter(kind=kind, is_primary=True).exists()
    [contact] = insert_contacts(customer, kind, [normalized], field=field, primary_first=not has_primary)
    if label:
        contact.label = label[:50]
        contact.save(update_fields=["label"])
    refresh_search_text(customer)
    touch(customer)
    emit("contact.added", customer, actor=actor, summary=normalized, kind=kind, value=normalized)
    audit_record(actor=actor, action="customer.contact_add", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={kind: [None, normalized]})
    return contact


@transaction.atomic
def contact_remove(*, actor: Actor, customer_id: int, contact_id: int) -> None:
    customer = lock_customer(customer_id)
    contact = customer.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFound(_("No such contact on this customer"), fields={"contact_id": _("not found")})
    kind, value, was_primary = contact.kind, contact.value, contact.is_primary
    contact.delete()
    if was_primary:
        successor = customer.contacts.filter(kind=kind).order_by("id").first()
        if successor:
            ContactPoint.objects.filter(pk=successor.pk).update(is_primary=True)
    refresh_search_text(customer)
    touch(customer)
    emit("contact.removed", customer, actor=actor, summary=value, kind=kind, value=value)
    audit_record(actor=actor, action="customer.contact_remove", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={kind: [value, None]})


def replace_contacts(customer: Customer, kind: str, values: list[str], *, actor: Actor, field: str) -> dict[
        str, list]:
    """Make the card's contacts of one kind exactly `values` (normalised), keeping rows that stay."""
    current = {c.value: c for c in customer.contacts.filter(kind=kind)}
    to_add = [v for v in values if v not in current]
    to_remove = [c for v, c in current.items() if v not in values]
    if to_add:
        insert_contacts(customer, kind, to_add, field=field, primary_first=False)
    for contact in to_remove:
        contact.delete()
        emit("contact.removed", customer, actor=actor, summary=contact.value, kind=kind, value=contact.value)
    for value in to_add:
        emit("contact.added", customer, actor=actor, summary=value, kind=kind, value=value)
    if values:  # the first of the list is the primary one
        ContactPoint.objects.filter(customer=customer, kind=kind).update(is_primary=False)
        ContactPoint.objects.filter(customer=customer, kind=kind, value=values[0]).update(is_primary=True)
    if to_add or to_remove:
        return {field: [sorted(current), list(values)]}
    return {}
