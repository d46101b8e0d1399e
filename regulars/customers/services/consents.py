"""Consents per channel and purpose. Rows are appended, never edited: revoking keeps the history."""

from __future__ import annotations

from typing import TypedDict

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import ValidationFailed

from ..models import Channel, Consent, Customer, Purpose
from ._common import emit, lock_customer


class ConsentInput(TypedDict, total=False):
    channel: str
    purpose: str
    granted: bool
    source: str
    text_version: str


def _clean(item: ConsentInput, index: int | None = None) -> ConsentInput:
    prefix = f"consents.{index}." if index is not None else ""
    errors: dict[str, str] = {}
    if item.get("channel") not in Channel.values:
        errors[f"{prefix}channel"] = f"one of {', '.join(Channel.values)}"
    if item.get("purpose") not in Purpose.values:
        errors[f"{prefix}purpose"] = f"one of {', '.join(Purpose.values)}"
    if not isinstance(item.get("granted"), bool):
        errors[f"{prefix}granted"] = _("true or false")
    source = (item.get("source") or "").strip()
    if not source:
        errors[f"{prefix}source"] = _("say where the consent came from (e.g. 'paper form', 'website', 'call')")
    if errors:
        raise ValidationFailed(_("Invalid consent"), fields=errors)
    return {"channel": item["channel"], "purpose": item["purpose"], "granted": item["granted"],
            "source": source[:100], "text_version": (item.get("text_version") or "")[:50]}


def current_consent(customer_id: int, channel: str, purpose: str) -> Consent | None:
    return Consent.objects.filter(customer_id=customer_id, channel=channel, purpose=purpose).order_by(
        "-at", "-id").first()


def record_consents(customer: Customer, items: list[ConsentInput], *, actor: Actor) -> list[Consent]:
    """Append the decisions that change something; a repeated identical decision is not recorded twice.

    A "no" where nothing was ever given is recorded: it is the customer's explicit choice.
    """
    cleaned = [_clean(item, i if len(items) > 1 else None) for i, item in enumerate(items)]
    recorded = []
    for item in cleaned:
        current = current_consent(customer.pk, item["channel"], item["purpose"])
        if current is not None and current.granted == item["granted"]:
            continue
        consent = Consent.objects.create(
            customer=customer, at=timezone.now(), actor_id=actor.user_id, actor_label=actor.label[:200], **item
        )
        recorded.append(consent)
        emit("consent.given" if consent.granted else "consent.revoked", customer, actor=actor,
             summary=f"{consent.channel}/{consent.purpose}", channel=consent.channel, purpose=consent.purpose,
             source=consent.source, text_version=consent.text_version)
        audit_record(actor=actor, action="consent.give" if consent.granted else "consent.revoke",
                     object_type="customer", object_id=customer.pk, object_label=customer.full_name,
                     changes={f"consent.{consent.channel}.{consent.purpose}": [
                         None if current is None else current.granted, consent.granted],
                         "source": [None, consent.source]})
    return recorded


@transaction.atomic
def consent_set(*, actor: Actor, customer_id: int, channel: str, purpose: str, granted: bool, source: str,
                text_version: str = "") -> Consent | None:
    """Record a decision; returns the new row, or None when it repeats the current state."""
    customer = lock_customer(customer_id)
    rows = record_consents(customer, [{"channel": channel, "purpose": purpose, "granted": granted,
                                       "source": source, "text_version": text_version}], actor=actor)
    return rows[0] if rows else None
