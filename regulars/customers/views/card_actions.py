"""Small actions taken on the card: contacts, consents, flags, notes, archiving an asset.

With htmx each answers with its re-rendered section (errors inline, typed values kept) plus out-of-band updates of
the timeline and the header; without JavaScript it redirects back to the card with a flash message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import is_htmx

from .. import services
from ..forms import ConsentForm, ContactForm, FlagForm, NoteForm
from ..models import Customer
from ..selectors import customer_get_for_user
from .card import badges_context, consent_key, consents_context, contacts_context, flags_context, timeline_context
from .common import conflict_owner_html

SECTIONS = {
    "contacts": "customers/card/_contacts.html",
    "consents": "customers/card/_consents.html",
    "flags": "customers/card/_flags.html",
    "timeline": "customers/card/_timeline.html",
    "badges": "customers/card/_badges.html",
}


def _sections(request: HttpRequest, main: tuple[str, dict[str, Any]], *, also: tuple[str, ...] = ()) -> HttpResponse:
    """The main section, then the others swapped out of band (hx-swap-oob) wherever they are on the page."""
    name, context = main
    html = [render_to_string(SECTIONS[name], context, request=request)]
    customer: Customer = context["customer"]
    builders: dict[str, Callable[[Customer], dict[str, Any]]] = {
        "timeline": timeline_context, "badges": badges_context, "flags": flags_context,
    }
    for other in also:
        html.append(render_to_string(SECTIONS[other], {**builders[other](customer), "oob": True}, request=request))
    return HttpResponse("\n".join(html))


def _back(request: HttpRequest, customer_id: int, anchor: str, *, error: DomainError | None = None,
          success: str = "") -> HttpResponse:
    """Without htmx: back to the card, the outcome in a flash message."""
    if error is not None:
        reasons = "; ".join(str(reason) for reason in error.fields.values())
        messages.error(request, f"{error.message}: {reasons}" if reasons else error.message)
    elif success:
        messages.success(request, success)
    return redirect(f"{reverse('customers:detail', args=[customer_id])}#{anchor}")


def _fresh(request: HttpRequest, customer_id: int) -> Customer:
    return customer_get_for_user(request.user, customer_id)


@require_POST
@permission_required("customers.edit")
def contact_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = ContactForm(request.POST)
    form.is_valid()
    try:
        services.contact_add(actor=Actor.from_request(request), customer_id=customer.pk,
                             kind=form.cleaned_data.get("kind", request.POST.get("kind", "")),
                             value=form.cleaned_data.get("value", ""))
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-contacts", error=exc)
        apply_domain_error(form, exc)
        context = contacts_context(customer, form=form, conflict=conflict_owner_html(
            request, exc, kind={"phone": "phones", "email": "emails"}.get(request.POST.get("kind", ""), "")))
        return _sections(request, ("contacts", context))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-contacts", success=_("Contact added"))
    return _sections(request, ("contacts", contacts_context(_fresh(request, customer.pk))),
                     also=("timeline", "badges"))


@require_POST
@permission_required("customers.edit")
def contact_remove(request: HttpRequest, customer_id: int, contact_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    try:
        services.contact_remove(actor=Actor.from_request(request), customer_id=customer.pk, contact_id=contact_id)
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-contacts", error=exc)
        form = ContactForm()
        form.add_error(None, exc.message)
        return _sections(request, ("contacts", contacts_context(customer, form=form)))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-contacts", success=_("Contact removed"))
    return _sections(request, ("contacts", contacts_context(_fresh(request, customer.pk))),
                     also=("timeline", "badges"))


@permission_required("customers.view")
def consent_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    """GET: the consents section with one cell's form open (asks where the decision came from). POST: record it."""
    customer = customer_get_for_user(request.user, customer_id)
    if request.method == "POST":
        return _consent_record(request, customer)
    editing = consent_key(request.GET.get("consent"))
    if not is_htmx(request):
        query = f"?consent={request.GET.get('consent', '')}" if editing else ""
        return redirect(f"{reverse('customers:detail', args=[customer.pk])}{query}#card-consents")
    return _sections(request, ("consents", consents_context(customer, editing=editing)))


@permission_required("customers.edit")
def _consent_record(request: HttpRequest, customer: Customer) -> HttpResponse:
    form = ConsentForm(request.POST)
    editing = consent_key(f"{request.POST.get('channel', '')}:{request.POST.get('purpose', '')}")
    if not form.is_valid():
        if not is_htmx(request):
            return _back(request, customer.pk, "card-consents",
                         error=DomainError(_("Invalid consent"), fields={k: " ".join(str(e) for e in v) for k, v
                                                                          in form.errors.items()}))
        return _sections(request, ("consents", consents_context(customer, editing=editing, form=form)))
    data = form.cleaned_data
    try:
        services.consent_set(actor=Actor.from_request(request), customer_id=customer.pk, channel=data["channel"],
                             purpose=data["purpose"], granted=data["granted"], source=data["source"])
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-consents", error=exc)
        apply_domain_error(form, exc)
        return _sections(request, ("consents", consents_context(customer, editing=editing, form=form)))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-consents", success=_("Consent recorded"))
    return _sections(request, ("consents", consents_context(customer)), also=("timeline", "badges"))


@require_POST
@permission_required("customers.flag")
def flag_set(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = FlagForm(request.POST)
    form.is_valid()
    try:
        services.flag_set(actor=Actor.from_request(request), customer_id=customer.pk,
                          kind=form.cleaned_data.get("kind", request.POST.get("kind", "")),
                          reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-flags", error=exc)
        apply_domain_error(form, exc)
        return _sections(request, ("flags", flags_context(customer, form=form)))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-flags", success=_("Flag set"))
    return _sections(request, ("flags", flags_context(customer)), also=("timeline", "badges"))


@require_POST
@permission_required("customers.flag")
def flag_clear(request: HttpRequest, customer_id: int, flag_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    try:
        services.flag_clear(actor=Actor.from_request(request), customer_id=customer.pk, flag_id=flag_id,
                            reason=request.POST.get("reason", ""))
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-flags", error=exc)
        form = FlagForm()
        form.add_error(None, exc.message)
        return _sections(request, ("flags", flags_context(customer, form=form)))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-flags", success=_("Flag cleared"))
    return _sections(request, ("flags", flags_context(customer)), also=("timeline", "badges"))


@require_POST
@permission_required("customers.edit")
def note_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        services.note_add(actor=Actor.from_request(request), customer_id=customer.pk,
                          text=form.cleaned_data.get("text", ""))
    except DomainError as exc:
        if not is_htmx(request):
            return _back(request, customer.pk, "card-timeline", error=exc)
        apply_domain_error(form, exc)
        return _sections(request, ("timeline", timeline_context(customer, form=form)))
    if not is_htmx(request):
        return _back(request, customer.pk, "card-timeline", success=_("Note added"))
    return _sections(request, ("timeline", timeline_context(customer)), also=("badges",))


@require_POST
@permission_required("customers.edit")
def asset_archive(request: HttpRequest, customer_id: int, asset_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    try:
        asset = services.asset_archive(actor=Actor.from_request(request), customer_id=customer.pk,
                                       asset_id=asset_id)
    except DomainError as exc:
        return _back(request, customer.pk, "card-assets", error=exc)
    return _back(request, customer.pk, "card-assets",
                 success=_("%(asset)s is archived: it no longer shows on the card") % {"asset": asset.title})
