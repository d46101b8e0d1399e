"""Find the card a program means, or start one: for orders and events that arrive from an ERP or an e-shop."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from ..models import ContactKind, ContactPoint, Customer, ExternalRef
from .contacts import normalize_contact
from .customers import customer_create


@dataclass(frozen=True)
class CustomerRef:
    """How a program names a customer: our id, its own id (per source), a phone, an e-mail, and a name to use
    when the card has to be created."""

    id: int | None = None
    source: str = ""
    external_id: str = ""
    phone: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""


def _survivor(customer: Customer) -> Customer:
    while customer.status == Customer.Status.MERGED and customer.merged_into_id:
        customer = Customer.objects.get(pk=customer.merged_into_id)
    return customer


def customer_match(ref: CustomerRef, *, field: str = "customer") -> Customer | None:
    """Our id, then the external id, then the phone, then the e-mail; a merged card leads to its survivor.
    A malformed phone or e-mail is a ValidationFailed naming `<field>.phone` / `<field>.email`."""
    if ref.id is not None:
        found = Customer.objects.filter(pk=ref.id).first()
        if found is None:
            raise ValidationFailed(_("No such customer"), fields={f"{field}.id": _("not found")})
        return _survivor(found)
    if ref.external_id and ref.source:
        external = ExternalRef.objects.select_related("customer").filter(
            source=ref.source, value=ref.external_id).first()
        if external is not None:
            return _survivor(external.customer)
    for kind, value in ((ContactKind.PHONE, ref.phone), (ContactKind.EMAIL, ref.email)):
        if not value:
            continue
        try:
            normalized = normalize_contact(kind, value)
        except ValueError as exc:
            raise ValidationFailed(_("Invalid contact"), fields={f"{field}.{kind}": str(exc)}) from exc
        contact = ContactPoint.objects.select_related("customer").filter(kind=kind, value=normalized).first()
        if contact is not None:
            return _survivor(contact.customer)
    return None


def customer_match_or_create(*, actor: Actor, ref: CustomerRef, field: str = "customer") -> tuple[Customer, bool]:
    """The matched card (its external id remembered when it had none for this source), else a new card with the
    given name and contacts. Must run inside the caller's transaction."""
    customer = customer_match(ref, field=field)
    created = False
    if customer is None:
        if not (ref.phone or ref.email or ref.first_name or ref.last_name):
            raise ValidationFailed(_("The customer is not known"), fields={
                field: _("give a phone, an e-mail or a name to create the card, or the id of a known one")})
        customer = customer_create(actor=actor, first_name=ref.first_name, last_name=ref.last_name,
                                   phones=[ref.phone] if ref.phone else [], emails=[ref.email] if ref.email else [])
        created = True
    if ref.source and ref.external_id and not ExternalRef.objects.filter(
            customer=customer, source=ref.source, value=ref.external_id).exists():
        try:
            with transaction.atomic():
                ExternalRef.objects.create(customer=customer, source=ref.source, value=ref.external_id,
                                           created_at=timezone.now())
        except IntegrityError:  # this external id names another card already: matching chose by contact
            pass
    return customer, created
