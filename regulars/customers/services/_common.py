"""Pieces every customer service shares: locking the card, rebuilding its search text, publishing events."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.errors import NotFound
from regulars.platform.events import publish

from ..models import Customer
from ..search import search_text_of


def lock_customer(customer_id: int) -> Customer:
    """Take the card's row lock for the rest of the transaction (PostgreSQL); 404 if it does not exist."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer"), fields={"customer_id": _("not found")})
    return customer


def refresh_search_text(customer: Customer) -> None:
    text = search_text_of(
        (customer.last_name, customer.first_name, customer.middle_name),
        customer.contacts.values_list("kind", "value"),
        customer.assets.filter(is_archived=False).values_list("data", flat=True),
    )
    if text != customer.search_text:
        customer.search_text = text
        Customer.objects.filter(pk=customer.pk).update(search_text=text)


def emit(name: str, customer: Customer, *, actor: Actor, summary: str = "", **data: Any) -> None:
    """Publish a customer event; the timeline consumer turns it into an entry on the card."""
    publish(
        name,
        subject_type="customer",
        subject_id=customer.pk,
        payload={"customer_id": customer.pk, "summary": summary, "branch_id": customer.home_branch_id, **data},
        actor=actor,
    )


def touch(customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    customer.refresh_from_db(fields=["updated_at"])

