"""Create and edit a card; add an asset. Errors stay next to their fields and nothing is half-saved."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, DomainError
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import render_page

from .. import services
from ..forms import AssetForm, CustomerForm, InitialConsentsForm
from ..models import AssetType, CustomFieldDef
from ..selectors import customer_get_for_user

# Service field names that differ from the form's.
FIELD_MAP = {"home_branch_id": "home_branch", "responsible_id": "responsible"}


def _custom_fields() -> list[CustomFieldDef]:
    return list(CustomFieldDef.objects.filter(is_active=True))


def _map_contact_errors(exc: DomainError) -> dict[str, str]:
    """'phones.1' → 'phones', 'custom.card' stays (the form names custom fields that way)."""
    mapped: dict[str, str] = {}
    for name, reason in exc.fields.items():
        base = name.split(".")[0] if name.split(".")[0] in ("phones", "emails", "telegram") else name
        mapped.setdefault(FIELD_MAP.get(base, base), reason)
    return mapped


def _show_error(form: Any, exc: DomainError) -> None:
    apply_domain_error(form, type(exc)(exc.message, fields=_map_contact_errors(exc)))
    if isinstance(exc, Conflict) and exc.extra.get("existing_customer_id"):
        url = reverse("customers:detail", args=[exc.extra["existing_customer_id"]])
        form.add_error(None, format_html('{} <a href="{}">{}</a>', _("This contact belongs to another card:"), url,
                                         _("open it")))


@permission_required("customers.edit")
def customer_create(request: HttpRequest) -> HttpResponse:
    custom_fields = _custom_fields()
    if request.method == "POST":
        form = CustomerForm(request.POST, custom_fields=custom_fields)
        consents = InitialConsentsForm(request.POST, prefix="consent")
        if form.is_valid() and consents.is_valid():
            try:
                customer = services.customer_create(actor=Actor.from_request(request), **form.service_data(),
                                                    tags=form.tag_list(), consents=consents.consents())
            except DomainError as exc:
                _show_error(form, exc)
                if any(k.startswith("consents") for k in exc.fields):
                    consents.add_error("source", "; ".join(v for k, v in exc.fields.items()
                                                           if k.startswith("consents")))
            else:
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        initial: dict[str, Any] = {"phones": request.GET.get("phone", "")}
        if request.user.branches.count() == 1:  # type: ignore[union-attr]
            initial["home_branch"] = request.user.branches.first()  # type: ignore[union-attr]
        form = CustomerForm(initial=initial, custom_fields=custom_fields)
        consents = InitialConsentsForm(prefix="consent", initial={"service": ["sms"]})
    return render(request, "customers/form.html", {"form": form, "consents": consents, "creating": True,
                                                   "nav_section": "customers"})


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
                _show_error(form, exc)
            else:
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        contacts = list(customer.contacts.all())
        initial = {
            "first_name": customer.first_name, "last_name": customer.last_name,
            "middle_name": customer.middle_name,
            "phones": "\n".join(c.value for c in contacts if c.kind == "phone"),
            "emails": "\n".join(c.value for c in contacts if c.kind == "email"),
            "telegram": "\n".join(c.value for c in contacts if c.kind == "telegram"),
            "birthday": customer.birthday, "home_branch": customer.home_branch,
            "responsible": customer.responsible, "language": customer.language, "time_zone": customer.time_zone,
            "preferred_channels": customer.preferred_channels,
            "tags": ", ".join(t.name for t in customer.tags.all()),
            **{f"custom.{key}": value for key, value in customer.custom.items()},
        }
        form = CustomerForm(initial=initial, custom_fields=custom_fields)
    return render(request, "customers/form.html", {"form": form, "customer": customer, "creating": False,
                                                   "nav_section": "customers"})


@permission_required("customers.edit")
def asset_add(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Choose a type (htmx swaps in its fields), fill them in, save."""
    customer = customer_get_for_user(request.user, customer_id)
    source = request.POST if request.method == "POST" else request.GET
    asset_type = AssetType.objects.filter(is_active=True, key=source.get("type", "")).first()
    if request.method == "POST" and asset_type and "save" in request.POST:
        form = AssetForm(request.POST, asset_type=asset_type)
        if form.is_valid():
            try:
                services.asset_add(actor=Actor.from_request(request), customer_id=customer.pk,
                                   type=asset_type.key, data=form.data_values())
            except DomainError as exc:
                fields = {name.removeprefix("data."): reason for name, reason in exc.fields.items()}
                apply_domain_error(form, type(exc)(exc.message, fields=fields))
            else:
                return redirect("customers:detail", customer_id=customer.pk)
    else:
        form = AssetForm(initial={"type": asset_type.key if asset_type else None}, asset_type=asset_type)
    context = {"customer": customer, "form": form, "asset_type": asset_type, "nav_section": "customers"}
    return render_page(request, "customers/asset_form.html", context, partial="customers/_asset_fields.html")
