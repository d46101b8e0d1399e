"""Create and edit a card. Errors stay next to their fields, typed values are kept, nothing is half-saved."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, ValidationFailed
from regulars.platform.forms import apply_domain_error
from regulars.platform.phones import format_phone

from .. import services
from ..forms import CustomerForm, InitialConsentsForm
from ..models import Customer, CustomFieldDef
from ..selectors import customer_get_for_user
from .common import conflict_owner_html

CONTACT_FIELDS = ("phones", "emails", "telegram", "whatsapp", "vk")
# Service field names that differ from the form's.
FIELD_MAP = {"home_branch_id": "home_branch", "responsible_id": "responsible"}


def _custom_fields() -> list[CustomFieldDef]:
    return list(CustomFieldDef.objects.filter(is_active=True))


def show_error(request: HttpRequest, form: CustomerForm, exc: DomainError,
               consents: InitialConsentsForm | None = None) -> None:
    """Put each reason next to its input: 'phones.1' → the phones box, 'custom.card_no' → that custom field,
    'consents.0.source' → the consent source; a taken phone links the card that holds it."""
    reasons: dict[str, list[str]] = {}
    consent_reasons: list[str] = []
    for name, reason in exc.fields.items():
        if name.startswith("consents"):
            consent_reasons.append(str(reason))
            continue
        base = name.split(".")[0]
        target = base if base in CONTACT_FIELDS else FIELD_MAP.get(name, name)
        reasons.setdefault(target, []).append(str(reason))
    shown = False
    for target in list(reasons):
        owner = conflict_owner_html(request, exc, kind=target) if target in CONTACT_FIELDS else ""
        if owner:
            form.add_error(target, owner)
            del reasons[target]
            shown = True
    for target, items in reasons.items():
        for reason in items:  # one line per problem ("phones.0" and "phones.1" both go to the phones box)
            apply_domain_error(form, ValidationFailed(exc.message, fields={target: reason}))
        shown = True
    if consents is not None and consent_reasons:
        consents.add_error("source", "; ".join(dict.fromkeys(consent_reasons)))
        shown = True
    if not shown:
        form.add_error(None, exc.message)


@permission_required("customers.edit")
def customer_create(request: HttpRequest) -> HttpResponse:
    custom_fields = _custom_fields()
    if request.method == "POST":
        form = CustomerForm(request.POST, custom_fields=custom_fields)
        consents = InitialConsentsForm(request.POST, prefix="consent")
        if all([form.is_valid(), consents.is_valid()]):
            try:
                customer = services.customer_create(actor=Actor.from_request(request), **form.service_data(),
                                                    tags=form.tag_list(), consents=consents.consents())
            except DomainError as exc:
                show_error(request, form, exc, consents)
            else:
                messages.success(request, _("The card is created"))
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        initial: dict[str, Any] = {"phones": request.GET.get("phone", "")[:40]}
        branches = list(request.user.branches.filter(is_active=True)[:2])  # type: ignore[union-attr]
        if len(branches) == 1:
            initial["home_branch"] = branches[0]
        form = CustomerForm(initial=initial, custom_fields=custom_fields)
        consents = InitialConsentsForm(prefix="consent", initial={"service": ["sms"]})
    return render(request, "customers/form.html", {"form": form, "consents": consents, "creating": True,
                                                   "nav_section": "customers"})


def _initial(customer: Customer) -> dict[str, Any]:
    contacts = list(customer.contacts.all())

    def values(kind: str) -> str:
        return "\n".join(format_phone(c.value) if kind == "phone" else c.value for c in contacts if c.kind == kind)

    return {
        "first_name": customer.first_name, "last_name": customer.last_name, "middle_name": customer.middle_name,
        "phones": values("phone"), "emails": values("email"), "telegram": values("telegram"),
        "birthday": customer.birthday, "home_branch": customer.home_branch, "responsible": customer.responsible,
        "language": customer.language, "time_zone": customer.time_zone, "status": customer.status,
        "preferred_channels": customer.preferred_channels,
        "tags": ", ".join(t.name for t in customer.tags.all()),
        **{f"custom.{key}": value for key, value in customer.custom.items()},
    }


@permission_required("customers.edit")
def customer_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    custom_fields = _custom_fields()
    if request.method == "POST":
        form = CustomerForm(request.POST, custom_fields=custom_fields)
        if form.is_valid():
            try:
                services.customer_update(actor=Actor.from_request(request), customer_id=customer.pk,
                                         tags=form.tag_list(), **form.service_data())
            except DomainError as exc:
                show_error(request, form, exc)
            else:
                messages.success(request, _("Changes saved"))
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        form = CustomerForm(initial=_initial(customer), custom_fields=custom_fields)
    return render(request, "customers/form.html", {"form": form, "customer": customer, "creating": False,
                                                   "nav_section": "customers"})
