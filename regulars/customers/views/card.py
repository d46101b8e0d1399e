"""The card: everything about one customer, and the small actions taken on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError

from .. import services
from ..forms import ConsentForm, ContactForm, FlagForm, NoteForm, field_label
from ..models import Channel, CustomFieldDef, Purpose
from ..selectors import consents_current, contacts_of, customer_get_for_user, flags_active, timeline_page


def _asset_rows(customer: Any) -> list[dict[str, Any]]:
    rows = []
    for asset in customer.assets.select_related("type").filter(is_archived=False):
        values = [
            (field_label(spec), asset.data[spec["key"]])
            for spec in asset.type.fields
            if asset.data.get(spec["key"]) not in (None, "")
        ]
        rows.append({"asset": asset, "values": values})
    return rows


def _consent_grid(customer_id: int) -> list[dict[str, Any]]:
    current = consents_current(customer_id)
    return [
        {"channel": value, "label": label,
         "cells": [{"purpose": p, "consent": current.get((value, p))} for p in Purpose.values]}
        for value, label in Channel.choices
    ]


def _age(birthday: Any) -> int | None:
    if not birthday:
        return None
    today = timezone.localdate()
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


@permission_required("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    custom = [
        (definition.label, customer.custom.get(definition.key))
        for definition in CustomFieldDef.objects.filter(is_active=True)
        if customer.custom.get(definition.key) not in (None, "")
    ]
    context = {
        "customer": customer,
        "contacts": contacts_of(customer),
        "flags": flags_active(customer.pk),
        "consent_grid": _consent_grid(customer.pk),
        "assets": _asset_rows(customer),
        "notes": customer.notes.all()[:3],
        "timeline": timeline_page(customer.pk, limit=30),
        "custom": custom,
        "age": _age(customer.birthday),
        "contact_form": ContactForm(),
        "flag_form": FlagForm(),
        "note_form": NoteForm(),
        "consent_form": ConsentForm(),
        "nav_section": "customers",
    }
    return render(request, "customers/detail.html", context)


@permission_required("customers.view")
def timeline_more(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    page = timeline_page(customer.pk, cursor=request.GET.get("cursor") or None, limit=30)
    return render(request, "customers/_timeline_items.html", {"customer": customer, "timeline": page})


def _act(request: HttpRequest, customer_id: int, action: Any, success: str) -> HttpResponse:
    """Run one card action; its error (if any) is shown on the card, nothing is half-saved."""
    customer_get_for_user(request.user, customer_id)
    try:
        action(Actor.from_request(request))
    except DomainError as exc:
        reasons = "; ".join(f"{reason}" for reason in exc.fields.values()) or exc.message
        messages.error(request, f"{exc.message}: {reasons}")
    else:
        messages.success(request, success)
    return redirect("customers:detail", customer_id=customer_id)


@require_POST
@permission_required("customers.edit")
def contact_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = ContactForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    return _act(request, customer_id, lambda actor: services.contact_add(
        actor=actor, customer_id=customer_id, kind=data.get("kind", ""), value=data.get("value", "")),
        _("Contact added"))


@require_POST
@permission_required("customers.edit")
def contact_remove(request: HttpRequest, customer_id: int, contact_id: int) -> HttpResponse:
    return _act(request, customer_id, lambda actor: services.contact_remove(
        actor=actor, customer_id=customer_id, contact_id=contact_id), _("Contact removed"))


@require_POST
@permission_required("customers.edit")
def consent_set(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = ConsentForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    return _act(request, customer_id, lambda actor: services.consent_set(
        actor=actor, customer_id=customer_id, channel=data.get("channel", ""), purpose=data.get("purpose", ""),
        granted=bool(data.get("granted")), source=data.get("source", "")), _("Consent recorded"))


@require_POST
@permission_required("customers.flag")
def flag_set(request: HttpRequest, customer_id: int) -> HttpResponse:
    form = FlagForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    return _act(request, customer_id, lambda actor: services.flag_set(
        actor=actor, customer_id=customer_id, kind=data.get("kind", ""), reason=data.get("reason", "")),
        _("Flag set"))


@require_POST
@permission_required("customers.flag")
def flag_clear(request: HttpRequest, customer_id: int, flag_id: int) -> HttpResponse:
    return _act(request, customer_id, lambda actor: services.flag_clear(
        actor=actor, customer_id=customer_id, flag_id=flag_id, reason=request.POST.get("reason", "")),
        _("Flag cleared"))


@require_POST
@permission_required("customers.edit")
def note_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _act(request, customer_id, lambda actor: services.note_add(
        actor=actor, customer_id=customer_id, text=request.POST.get("text", "")), _("Note added"))
