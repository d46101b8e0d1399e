"""Settings pages of the card (administrators): asset types with a field editor, and custom fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, ValidationFailed
from regulars.platform.forms import apply_domain_error

from .. import services
from ..forms import AssetTypeForm, CustomFieldForm, FieldSpecForm, FieldSpecFormSet, comma_list
from ..models import AssetType, CustomFieldDef

SETTINGS = {"nav_section": "settings"}
ROWS = "fields"  # the formset prefix of the field editor


@permission_required("settings.manage")
def asset_type_list(request: HttpRequest) -> HttpResponse:
    asset_types = AssetType.objects.annotate(in_use=Count("assets", filter=Q(assets__is_archived=False)))
    return render(request, "customers/asset_type_list.html", {"asset_types": asset_types, **SETTINGS})


def _specs(rows: forms.BaseFormSet, existing: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """The field specs the rows describe (blank and removed rows skipped), and the row of each spec."""
    specs: list[dict[str, Any]] = []
    row_of: list[Any] = []
    for row in rows.forms:
        if row.cleaned_data.get("DELETE") or row.is_blank():
            continue
        spec = row.spec()
        # Keys the editor has no column for (e.g. "step" of a prescription) are kept as they were.
        kept = {k: v for k, v in existing.get(spec["key"], {}).items() if k not in FieldSpecForm.EDITABLE}
        specs.append({**kept, **spec})
        row_of.append(row)
    return specs, row_of


def _show_spec_errors(form: AssetTypeForm, rows: forms.BaseFormSet, row_of: list[Any], exc: DomainError) -> None:
    """'fields.2.key' goes to that row's key input, 'fields' above the editor, the rest to the form."""
    rest: dict[str, str] = {}
    for name, reason in exc.fields.items():
        parts = name.split(".")
        if parts[0] == ROWS and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(row_of):
            row = row_of[int(parts[1])]
            target = parts[2] if len(parts) > 2 and parts[2] in row.fields else None
            row.add_error(target, str(reason))
        elif parts[0] == ROWS:
            form.add_error(None, f"{exc.message}: {reason}")
        else:
            rest[name] = str(reason)
    if rest or not exc.fields:
        apply_domain_error(form, ValidationFailed(exc.message, fields=rest))


def _lock_key(form: AssetTypeForm, asset_type: AssetType | None) -> None:
    """The key of an existing type never changes (stored assets and integrations refer to it)."""
    if asset_type is not None:
        form.fields["key"].disabled = True
        form.fields["key"].help_text = ""


@permission_required("settings.manage")
def asset_type_edit(request: HttpRequest, asset_type_id: int | None = None) -> HttpResponse:
    asset_type = None
    if asset_type_id is not None:
        asset_type = AssetType.objects.filter(pk=asset_type_id).first()
        if asset_type is None:
            raise Http404
    existing = {spec["key"]: spec for spec in (asset_type.fields if asset_type else [])}
    if request.method == "POST":
        data = request.POST.copy()
        if "add_row" in data:  # one more empty row, nothing saved
            data[f"{ROWS}-TOTAL_FORMS"] = str(int(data.get(f"{ROWS}-TOTAL_FORMS") or 0) + 1)
        form = AssetTypeForm(data, initial={"key": asset_type.key} if asset_type else None)
        _lock_key(form, asset_type)
        rows = FieldSpecFormSet(data, prefix=ROWS)
        if "add_row" not in data and all([form.is_valid(), rows.is_valid()]):
            specs, row_of = _specs(rows, existing)
            if not any(row.errors for row in rows.forms):
                title = comma_list(form.cleaned_data["title_fields"]) or None
                actor = Actor.from_request(request)
                try:
                    if asset_type is None:
                        services.asset_type_create(actor=actor, name=form.cleaned_data["name"], fields=specs,
                                                   key=form.cleaned_data["key"], title_fields=title)
                    else:
                        services.asset_type_update(actor=actor, asset_type_id=asset_type.pk,
                                                   name=form.cleaned_data["name"], fields=specs,
                                                   title_fields=title, is_active=form.cleaned_data["is_active"])
                except DomainError as exc:
                    _show_spec_errors(form, rows, row_of, exc)
                else:
                    messages.success(request, _("Asset type saved"))
                    return redirect("customers:asset_types")
    else:
        initial: dict[str, Any] = {"is_active": True}
        if asset_type is not None:
            initial = {"name": asset_type.name, "key": asset_type.key, "is_active": asset_type.is_active,
                       "title_fields": ", ".join(asset_type.title_fields)}
        form = AssetTypeForm(initial=initial)
        _lock_key(form, asset_type)
        rows = FieldSpecFormSet(prefix=ROWS, initial=[FieldSpecForm.initial_from(s) for s in existing.values()])
    return render(request, "customers/asset_type_form.html",
                  {"form": form, "rows": rows, "asset_type": asset_type, **SETTINGS})


@permission_required("settings.manage")
def custom_field_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/custom_field_list.html", {"fields": CustomFieldDef.objects.all(), **SETTINGS})


def _lock_type(form: CustomFieldForm, definition: CustomFieldDef | None) -> None:
    if definition is not None:
        form.fields["type"].disabled = True
        form.fields["type"].help_text = _("The type is set once: stored values keep their meaning.")


@permission_required("settings.manage")
def custom_field_edit(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    definition = None
    if field_id is not None:
        definition = CustomFieldDef.objects.filter(pk=field_id).first()
        if definition is None:
            raise Http404
    if request.method == "POST":
        form = CustomFieldForm(request.POST, initial={"type": definition.type} if definition else None)
        _lock_type(form, definition)
        if form.is_valid():
            choices = comma_list(form.cleaned_data["choices"])
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
    else:
        form = CustomFieldForm()
    _lock_type(form, definition)
    return render(request, "customers/custom_field_form.html", {"form": form, "definition": definition, **SETTINGS})
