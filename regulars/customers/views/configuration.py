"""Settings pages of the card: asset types and custom fields (administrators only)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error

from .. import services
from ..forms import AssetTypeForm, CustomFieldForm
from ..models import AssetType, CustomFieldDef

SETTINGS = {"nav_section": "settings"}


@permission_required("settings.manage")
def asset_type_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/asset_type_list.html", {"asset_types": AssetType.objects.all(), **SETTINGS})


def _specs(form: AssetTypeForm) -> list[dict[str, Any]] | None:
    try:
        value = json.loads(form.cleaned_data["fields_json"] or "[]")
    except json.JSONDecodeError as exc:
        form.add_error("fields_json", _("Not valid JSON: %(error)s") % {"error": exc.msg})
        return None
    return value if isinstance(value, list) else [value]


@permission_required("settings.manage")
def asset_type_edit(request: HttpRequest, asset_type_id: int | None = None) -> HttpResponse:
    asset_type = None
    if asset_type_id is not None:
        asset_type = AssetType.objects.filter(pk=asset_type_id).first()
        if asset_type is None:
            raise Http404
    if request.method == "POST":
        form = AssetTypeForm(request.POST)
        if form.is_valid() and (specs := _specs(form)) is not None:
            title = [k.strip() for k in form.cleaned_data["title_fields"].split(",") if k.strip()] or None
            actor = Actor.from_request(request)
            try:
                if asset_type is None:
                    services.asset_type_create(actor=actor, name=form.cleaned_data["name"], fields=specs,
                                               key=form.cleaned_data["key"], title_fields=title)
                else:
                    services.asset_type_update(actor=actor, asset_type_id=asset_type.pk,
                                               name=form.cleaned_data["name"], fields=specs, title_fields=title,
                                               is_active=form.cleaned_data["is_active"])
            except DomainError as exc:
                fields = {("fields_json" if k.startswith("fields") else k): v for k, v in exc.fields.items()}
                apply_domain_error(form, type(exc)(exc.message, fields=fields))
            else:
                messages.success(request, _("Asset type saved"))
                return redirect("customers:asset_types")
    elif asset_type is not None:
        form = AssetTypeForm(initial={
            "name": asset_type.name, "key": asset_type.key, "is_active": asset_type.is_active,
            "fields_json": json.dumps(asset_type.fields, ensure_ascii=False, indent=2),
            "title_fields": ", ".join(asset_type.title_fields)})
        form.fields["key"].disabled = True
    else:
        form = AssetTypeForm(initial={"fields_json": json.dumps(
            [{"key": "serial", "label": "Serial number", "label_ru": "Серийный номер", "type": "text",
              "required": True}], ensure_ascii=False, indent=2)})
    return render(request, "customers/asset_type_form.html", {"form": form, "asset_type": asset_type, **SETTINGS})


@permission_required("settings.manage")
def custom_field_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/custom_field_list.html", {"fields": CustomFieldDef.objects.all(), **SETTINGS})


@permission_required("settings.manage")
def custom_field_edit(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    definition = None
    if field_id is not None:
        definition = CustomFieldDef.objects.filter(pk=field_id).first()
        if definition is None:
            raise Http404
    if request.method == "POST":
        form = CustomFieldForm(request.POST)
        if form.is_valid():
            choices = [c.strip() for c in form.cleaned_data["choices"].split(",") if c.strip()]
            actor = Actor.from_request(request)
            try:
                if definition is None:
                    services.custom_field_create(actor=actor, label=form.cleaned_data["label"],
                                                 type=form.cleaned_data["type"], choices=choices)
                else:
                    services.custom_field_update(actor=actor, field_id=definition.pk, label=form.cleaned_data["label"],
                                                 choices=choices, is_active=form.cleaned_data["is_active"])
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Field saved"))
                return redirect("customers:custom_fields")
    elif definition is not None:
        form = CustomFieldForm(initial={"label": definition.label, "type": definition.type,
                                        "choices": ", ".join(definition.choices), "is_active": definition.is_active})
        form.fields["type"].disabled = True
    else:
        form = CustomFieldForm()
    return render(request, "customers/custom_field_form.html", {"form": form, "definition": definition, **SETTINGS})
