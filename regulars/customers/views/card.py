"""The card page: who this is and what happened last, in one glance. Its sections are partials that the card's
small actions (card_actions.py) re-render in place through htmx."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone

from regulars.org.decorators import permission_required
from regulars.platform.errors import ValidationFailed

from ..forms import ConsentForm, ContactForm, FlagForm, NoteForm, field_label
from ..models import Channel, Customer, CustomFieldDef, Purpose
from ..selectors import (
    consents_current,
    contacts_of,
    customer_get_for_user,
    flags_active,
    timeline_page,
)

TIMELINE_PAGE = 25


def consent_key(raw: str | None) -> tuple[str, str] | None:
    """'sms:marketing' → ('sms', 'marketing') when both parts are known, else None."""
    channel, _sep, purpose = (raw or "").partition(":")
    if channel in Channel.values and purpose in Purpose.values:
        return channel, purpose
    return None


def contacts_context(customer: Customer, *, form: ContactForm | None = None, conflict: str = "") -> dict[str, Any]:
    return {"customer": customer, "contacts": contacts_of(customer), "contact_form": form or ContactForm(),
            "contact_conflict": conflict, "contact_form_open": form is not None and bool(form.errors)}


def consents_context(customer: Customer, *, editing: tuple[str, str] | None = None,
                     form: ConsentForm | None = None) -> dict[str, Any]:
    """The grid channel × purpose with the current decision in each cell; `editing` opens the form of one cell."""
    current = consents_current(customer.pk)
    grid = [
        {"channel": value, "label": label,
         "cells": [{"purpose": p, "consent": current.get((value, p)), "key": f"{value}:{p}"} for p in Purpose.values]}
        for value, label in Channel.choices
    ]
    edit = None
    if editing is not None:
        now = current.get(editing)
        edit = {
            "channel": editing[0], "purpose": editing[1], "current": now,
            "form": form or ConsentForm(initial={"channel": editing[0], "purpose": editing[1],
                                                 "granted": "0" if now and now.granted else "1"}),
        }
    return {"customer": customer, "consent_grid": grid, "consent_edit": edit}


def flags_context(customer: Customer, *, form: FlagForm | None = None) -> dict[str, Any]:
    return {"customer": customer, "flags": list(flags_active(customer.pk).select_related("created_by")),
            "flag_form": form or FlagForm(), "flag_form_open": form is not None and bool(form.errors)}


def timeline_context(customer: Customer, *, form: NoteForm | None = None) -> dict[str, Any]:
    return {"customer": customer, "timeline": timeline_page(customer.pk, limit=TIMELINE_PAGE),
            "note_form": form or NoteForm()}


def badges_context(customer: Customer) -> dict[str, Any]:
    """The header under the name: flags, status, tags, the primary phone, the branch and the last event."""
    latest = timeline_page(customer.pk, limit=1).entries
    return {"customer": customer, "flags": list(flags_active(customer.pk)), "contacts": contacts_of(customer),
            "last_entry": latest[0] if latest else None}


def asset_rows(customer: Customer) -> list[dict[str, Any]]:
    rows = []
    for asset in customer.assets.select_related("type").filter(is_archived=False):
        values = [
            {"label": field_label(spec), "value": asset.data[spec["key"]], "type": spec.get("type", "text")}
            for spec in asset.type.fields
            if asset.data.get(spec["key"]) not in (None, "")
        ]
        rows.append({"asset": asset, "values": values})
    return rows


def age_on(birthday: Any, today: Any) -> int | None:
    if not birthday:
        return None
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def profile_context(customer: Customer) -> dict[str, Any]:
    custom = [
        {"label": definition.label, "value": customer.custom.get(definition.key), "type": definition.type}
        for definition in CustomFieldDef.objects.filter(is_active=True)
        if customer.custom.get(definition.key) not in (None, "")
    ]
    return {"custom": custom, "age": age_on(customer.birthday, timezone.localdate())}


@permission_required("customers.view")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    if customer.status == customer.Status.MERGED and customer.merged_into_id:
        return redirect("customers:detail", customer_id=customer.merged_into_id)
    context = {
        **badges_context(customer),
        **contacts_context(customer),
        **consents_context(customer, editing=consent_key(request.GET.get("consent"))),
        **flags_context(customer),
        **timeline_context(customer),
        **profile_context(customer),
        "assets": asset_rows(customer),
        # Sections of later domains (messages, documents): named in settings, so this layer names none of them.
        "card_sections": settings.REGULARS_CARD_SECTIONS,
        "nav_section": "customers",
        "page_class": "page--card",
    }
    return render(request, "customers/detail.html", context)


@permission_required("customers.view")
def timeline_more(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The next page of the timeline (htmx "Show earlier"), from the cursor the previous page gave."""
    customer = customer_get_for_user(request.user, customer_id)
    try:
        page = timeline_page(customer.pk, cursor=request.GET.get("cursor") or None, limit=TIMELINE_PAGE)
    except ValidationFailed as exc:
        return HttpResponseBadRequest(exc.message)
    return render(request, "customers/_timeline_items.html", {"customer": customer, "timeline": page})
