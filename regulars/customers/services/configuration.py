"""What the business configures about cards: asset types and custom fields. Admin-only, audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record, diff
from regulars.platform.errors import Conflict, NotFound, ValidationFailed
from regulars.platform.text import ascii_slug

from ..fields import clean_field_specs
from ..models import AssetType, CustomFieldDef


def _key(raw: str, fallback: str) -> str:
    key = ascii_slug(raw or fallback).replace("-", "_")[:50]
    if not key or not key[0].isalpha():
        raise ValidationFailed(_("Invalid key"), fields={"key": _("latin letters, digits and _; starts with a letter")})
    return key


@transaction.atomic
def asset_type_create(*, actor: Actor, name: str, fields: list[dict[str, Any]], key: str = "",
                      title_fields: list[str] | None = None) -> AssetType:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Name is required"), fields={"name": _("required")})
    key = _key(key, name)
    specs = clean_field_specs(fields)
    title = _clean_title_fields(title_fields, specs)
    if AssetType.objects.filter(key=key).exists():
        raise Conflict(_("An asset type with this key exists"), fields={"key": _("already used")})
    asset_type = AssetType.objects.create(key=key, name=name[:100], fields=specs, title_fields=title)
    audit_record(actor=actor, action="settings.asset_type_create", object_type="asset_type",
                 object_id=asset_type.pk, object_label=name, changes={"fields": [None, specs]})
    return asset_type


def _clean_title_fields(title_fields: list[str] | None, specs: list[dict[str, Any]]) -> list[str]:
    keys = [s["key"] for s in specs]
    title = [k for k in (title_fields or keys[:3])]
    unknown = [k for k in title if k not in keys]
    if unknown:
        raise ValidationFailed(_("Unknown title field"), fields={"title_fields": f"no field {unknown[0]!r}"})
    return title


@transaction.atomic
def asset_type_update(*, actor: Actor, asset_type_id: int, name: str | None = None,
                      fields: list[dict[str, Any]] | None = None, title_fields: list[str] | None = None,
                      is_active: bool | None = None) -> AssetType:
    """Existing assets keep their stored values; removed fields simply stop being shown and validated."""
    asset_type = AssetType.objects.select_for_update().filter(pk=asset_type_id).first()
    if asset_type is None:
        raise NotFound(_("No such asset type"))
    before = {"name": asset_type.name, "fields": asset_type.fields, "title_fields": asset_type.title_fields,
              "is_active": asset_type.is_active}
    if name is not None:
        if not name.strip():
            raise ValidationFailed(_("Name is required"), fields={"name": _("required")})
        asset_type.name = name.strip()[:100]
    if fields is not None:
        asset_type.fields = clean_field_specs(fields)
    if title_fields is not None or fields is not None:
        asset_type.title_fields = _clean_title_fields(
            title_fields if title_fields is not None else asset_type.title_fields, asset_type.fields)
    if is_active is not None:
        asset_type.is_active = is_active
    asset_type.save()
    after = {"name": asset_type.name, "fields": asset_type.fields, "title_fields": asset_type.title_fields,
             "is_active": asset_type.is_active}
    audit_record(actor=actor, action="settings.asset_type_update", object_type="asset_type",
                 object_id=asset_type.pk, object_label=asset_type.name, changes=diff(before, after))
    return asset_type


@transaction.atomic
def custom_field_create(*, actor: Actor, label: str, type: str = "text", key: str = "",
                        choices: list[str] | None = None) -> CustomFieldDef:
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(_("Label is required"), fields={"label": _("required")})
    if type not in CustomFieldDef.Type.values:
        raise ValidationFailed(_("Unknown type"), fields={"type": f"one of {', '.join(CustomFieldDef.Type.values)}"})
    cleaned_choices = [c.strip() for c in (choices or []) if c and c.strip()]
    if type == CustomFieldDef.Type.CHOICE and not cleaned_choices:
        raise ValidationFailed(_("A choice field needs options"), fields={"choices": _("at least one option")})
    key = _key(key, label)
    if CustomFieldDef.objects.filter(key=key).exists():
        raise Conflict(_("A field with this key exists"), fields={"key": _("already used")})
    position = CustomFieldDef.objects.count()
    field = CustomFieldDef.objects.create(key=key, label=label[:100], type=type, choices=cleaned_choices,
                                          position=position)
    audit_record(actor=actor, action="settings.custom_field_create", object_type="custom_field",
                 object_id=field.pk, object_label=label, changes={"type": [None, type], "key": [None, key]})
    return field


@transaction.atomic
def custom_field_update(*, actor: Actor, field_id: int, label: str | None = None,
                        choices: list[str] | None = None, is_active: bool | None = None) -> CustomFieldDef:
    """The key and type never change: stored values keep their meaning."""
    field = CustomFieldDef.objects.select_for_update().filter(pk=field_id).first()
    if field is None:
        raise NotFound(_("No such custom field"))
    before = {"label": field.label, "choices": field.choices, "is_active": field.is_active}
    if label is not None:
        if not label.strip():
            raise ValidationFailed(_("Label is required"), fields={"label": _("required")})
        field.label = label.strip()[:100]
    if choices is not None:
        cleaned = [c.strip() for c in choices if c and c.strip()]
        if field.type == CustomFieldDef.Type.CHOICE and not cleaned:
            raise ValidationFailed(_("A choice field needs options"), fields={"choices": _("at least one option")})
        field.choices = cleaned
    if is_active is not None:
        field.is_active = is_active
    field.save()
    audit_record(actor=actor, action="settings.custom_field_update", object_type="custom_field",
                 object_id=field.pk, object_label=field.label,
                 changes=diff(before, {"label": field.label, "choices": field.choices, "is_active": field.is_active}))
    return field
