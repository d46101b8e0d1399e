"""Forms of the customer pages. They parse and present; every rule lives in the services."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from regulars.org.models import Branch, Staff

from .fields import FIELD_TYPES
from .models import AssetType, Channel, ContactKind, Customer, CustomFieldDef, Flag, Purpose
from .services.consents import ConsentInput

TIME_ZONES = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc/"))
FIELD_TYPE_LABELS: dict[str, Any] = {
    "text": _("Text"), "integer": _("Whole number"), "decimal": _("Decimal number"), "number": _("Number"),
    "date": _("Date"), "choice": _("Choice from a list"), "vin": _("VIN"), "plate": _("Plate number"),
}


def lines(value: str) -> list[str]:
    """One value per line (or comma-separated): how people paste several phones."""
    return [part.strip() for chunk in (value or "").splitlines() for part in chunk.split(",") if part.strip()]


def comma_list(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def field_label(spec: dict[str, Any]) -> str:
    """The label of a configured field in the UI language."""
    if (get_language() or "").startswith("ru") and spec.get("label_ru"):
        return str(spec["label_ru"])
    return str(spec.get("label") or spec["key"])


class SpecCharField(forms.CharField):
    """Shows the required mark but leaves "required" to the service, so a field gets one reason, not two."""

    def validate(self, value: Any) -> None:
        if value not in self.empty_values:
            super().validate(value)


class SpecChoiceField(forms.ChoiceField):
    def validate(self, value: Any) -> None:
        if value not in self.empty_values:
            super().validate(value)


def spec_to_form_field(spec: dict[str, Any]) -> forms.Field:
    """An input per configured field type; the service validates and normalises the value."""
    kind = spec.get("type", "text")
    label = field_label(spec)
    required = bool(spec.get("required"))
    attrs: dict[str, Any] = {"autocomplete": "off"}
    help_text = ""
    if spec.get("min") is not None and spec.get("max") is not None:
        help_text = f"{spec['min']} – {spec['max']}"
    if kind == "choice":
        choices = [("", "—")] + [(str(c), str(c)) for c in spec.get("choices", [])]
        return SpecChoiceField(label=label, required=required, choices=choices)
    if kind == "date":
        return SpecCharField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == "integer":
        attrs["inputmode"] = "numeric"
    elif kind in ("decimal", "number"):
        attrs["inputmode"] = "decimal"
    elif kind == "vin":
        attrs.update({"maxlength": 20, "class": "input--upper mono", "spellcheck": "false"})
        help_text = str(_("17 letters and digits"))
    elif kind == "plate":
        attrs.update({"class": "input--upper", "placeholder": "А123ВС777", "spellcheck": "false"})
    return SpecCharField(label=label, required=required, help_text=help_text, widget=forms.TextInput(attrs=attrs))


class OrderedChannelsWidget(forms.MultiWidget):
    """Preferred channels in order: first choice → second → third."""

    template_name = "customers/widgets/ordered_channels.html"

    def __init__(self, size: int) -> None:
        choices = [("", "—"), *Channel.choices]
        super().__init__([forms.Select(choices=choices) for _ in range(size)])

    def decompress(self, value: Any) -> list[Any]:
        values = list(value or [])
        return values + [""] * (len(self.widgets) - len(values))


class OrderedChannelsField(forms.MultiValueField):
    def __init__(self, size: int = 3, **kwargs: Any) -> None:
        fields = [forms.ChoiceField(choices=Channel.choices, required=False) for _ in range(size)]
        super().__init__(fields=fields, require_all_fields=False, required=False,
                         widget=OrderedChannelsWidget(size), **kwargs)

    def compress(self, data_list: list[Any]) -> list[str]:
        return list(dict.fromkeys(value for value in data_list if value))


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class CustomerForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    middle_name = forms.CharField(label=_("Middle name"), required=False, max_length=100)
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line, in any form: 8 912 345-67-89, +7 912 345 67 89"))
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line"))
    telegram = forms.CharField(label=_("Telegram"), required=False, help_text=_("@username or a t.me link"))
    # <input type=date> needs the ISO form whatever the UI language (a localised value shows as empty).
    birthday = forms.DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    home_branch = forms.ModelChoiceField(label=_("Home branch"), queryset=Branch.objects.filter(is_active=True),
                                         required=False, empty_label=_("— not set —"))
    responsible = StaffChoiceField(label=_("Responsible employee"), queryset=Staff.objects.filter(is_active=True),
                                   required=False, empty_label=_("— nobody —"))
    language = forms.ChoiceField(label=_("Language of messages"), choices=settings.LANGUAGES, initial="ru",
                                 required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  choices=[("", _("As the home branch"))] + [(tz, tz) for tz in TIME_ZONES])
    status = forms.ChoiceField(label=_("Status"), choices=Customer.Status.choices, initial=Customer.Status.ACTIVE,
                               required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated, e.g. VIP, fleet"))

    def __init__(self, *args: Any, custom_fields: list[CustomFieldDef] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Enough selects for every channel already chosen (the API may have set more than three).
        chosen = len((self.initial or {}).get("preferred_channels") or [])
        posted = sum(1 for key in (self.data or {}) if key.startswith("preferred_channels_"))
        self.fields["preferred_channels"] = OrderedChannelsField(
            size=max(3, chosen, posted), label=_("Preferred channels"),
            help_text=_("In the order the customer prefers them"))
        self.custom_keys: list[str] = []
        for definition in custom_fields or []:
            spec = {"key": definition.key, "label": definition.label, "type": definition.type,
                    "choices": definition.choices}
            self.fields[f"custom.{definition.key}"] = spec_to_form_field(spec)
            self.custom_keys.append(definition.key)

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[f"custom.{key}"] for key in self.custom_keys]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        # A select the page did not send keeps the card's value (or the service's default on a new card).
        optional = {name: data[name] for name in ("language", "status") if data.get(name)}
        return {
            **optional,
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "middle_name": data["middle_name"],
            "phones": lines(data["phones"]),
            "emails": lines(data["emails"]),
            "telegram": lines(data["telegram"]),
            "birthday": data["birthday"],
            "home_branch_id": data["home_branch"].pk if data["home_branch"] else None,
            "responsible_id": data["responsible"].pk if data["responsible"] else None,
            "time_zone": data["time_zone"],
            "preferred_channels": data["preferred_channels"],
            "custom": {key: data.get(f"custom.{key}", "") for key in self.custom_keys},
        }

    def tag_list(self) -> list[str]:
        return comma_list(self.cleaned_data["tags"])


class InitialConsentsForm(forms.Form):
    """On a new card: what the customer agreed to, and where that was recorded (a grid channel × purpose)."""

    service = forms.MultipleChoiceField(label=_("Service messages"), choices=Channel.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    marketing = forms.MultipleChoiceField(label=_("Advertising"), choices=Channel.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    source = forms.CharField(label=_("Where the consent was given"), required=False, max_length=100,
                             initial=_("Paper form in the branch"))

    def grid(self) -> list[dict[str, Any]]:
        """Rows of the consent table: a channel and whether each purpose is ticked."""
        ticked = {purpose: set(self._chosen(purpose)) for purpose in Purpose.values}
        return [{"channel": value, "label": label,
                 "cells": [{"purpose": p, "checked": value in ticked[p]} for p in Purpose.values]}
                for value, label in Channel.choices]

    def _chosen(self, purpose: str) -> list[str]:
        if self.is_bound:
            return self.data.getlist(self.add_prefix(purpose)) if hasattr(self.data, "getlist") else []
        return list(self.initial.get(purpose, []))

    def consents(self) -> list[ConsentInput]:
        source = self.cleaned_data.get("source") or ""
        return [
            ConsentInput(channel=channel, purpose=purpose, granted=True, source=source)
            for purpose in (Purpose.SERVICE, Purpose.MARKETING)
            for channel in self.cleaned_data.get(purpose, [])
        ]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Phone, e-mail or id"), max_length=254, required=False)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    granted = forms.TypedChoiceField(label=_("Decision"), choices=[("1", _("Given")), ("0", _("Revoked"))],
                                     coerce=lambda v: v == "1")
    source = forms.CharField(label=_("Where it was given"), max_length=100, required=False,
                             help_text=_("A call, the website, a paper form, an SMS reply…"))


class FlagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Flag"), choices=Flag.Kind.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssetForm(forms.Form):
    """The fields come from the chosen asset type's configuration."""

    def __init__(self, *args: Any, asset_type: AssetType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asset_type = asset_type
        self.fields["type"] = forms.ModelChoiceField(
            label=_("Type"), queryset=AssetType.objects.filter(is_active=True), to_field_name="key",
            initial=asset_type.key if asset_type else None, required=True)
        if asset_type:
            for spec in asset_type.fields:
                self.fields[spec["key"]] = spec_to_form_field(spec)

    def spec_fields(self) -> list[forms.BoundField]:
        return [self[spec["key"]] for spec in (self.asset_type.fields if self.asset_type else [])]

    def data_values(self) -> dict[str, Any]:
        specs = self.asset_type.fields if self.asset_type else []
        return {spec["key"]: self.cleaned_data.get(spec["key"], "") for spec in specs}


class AssetTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    key = forms.CharField(label=_("Key"), max_length=50, required=False,
                          help_text=_("Latin letters, digits and _. Set once; empty makes one from the name."))
    title_fields = forms.CharField(label=_("Title fields"), required=False,
                                   help_text=_("Comma-separated keys that make the one-line title on the card, "
                                               "e.g. make, model, plate"))
    is_active = forms.BooleanField(label=_("Active: can be added to cards"), required=False, initial=True)


def _number(value: str, field: str, form: forms.Form) -> int | float | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        form.add_error(field, _("a number is expected"))
        return None
    return int(number) if number == number.to_integral_value() else float(number)


class FieldSpecForm(forms.Form):
    """One row of the asset-type field editor. Keys it has no column for (e.g. "step") are kept by the view."""

    EDITABLE = frozenset({"key", "label", "label_ru", "type", "required", "choices", "min", "max"})

    key = forms.CharField(label=_("Key"), max_length=40, required=False,
                          widget=forms.TextInput(attrs={"class": "mono", "spellcheck": "false"}))
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    label_ru = forms.CharField(label=_("Russian label"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=[(t, FIELD_TYPE_LABELS[t]) for t in FIELD_TYPES],
                             initial="text")
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(label=_("Options"), required=False,
                              widget=forms.TextInput(attrs={"placeholder": "a, b, c"}))
    min = forms.CharField(label=_("Min"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    max = forms.CharField(label=_("Max"), required=False, widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("key") or data.get("label") or data.get("label_ru"))

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec: dict[str, Any] = {"key": data["key"].strip(), "label": data["label"].strip() or data["key"].strip(),
                                "type": data["type"], "required": data["required"]}
        if data["label_ru"].strip():
            spec["label_ru"] = data["label_ru"].strip()
        if comma_list(data["choices"]):
            spec["choices"] = comma_list(data["choices"])
        for bound in ("min", "max"):
            number = _number(data[bound], bound, self)
            if number is not None:
                spec[bound] = number
        return spec

    @staticmethod
    def initial_from(spec: dict[str, Any]) -> dict[str, Any]:
        return {"key": spec.get("key", ""), "label": spec.get("label", ""), "label_ru": spec.get("label_ru", ""),
                "type": spec.get("type", "text"), "required": bool(spec.get("required")),
                "choices": ", ".join(str(c) for c in spec.get("choices", [])),
                "min": "" if spec.get("min") is None else str(spec["min"]),
                "max": "" if spec.get("max") is None else str(spec["max"])}


FieldSpecFormSet = forms.formset_factory(FieldSpecForm, extra=2, can_delete=True)


class CustomFieldForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=CustomFieldDef.Type.choices)
    choices = forms.CharField(label=_("Options"), required=False, help_text=_("For a choice: comma-separated"))
    is_active = forms.BooleanField(label=_("Active: shown on cards"), required=False, initial=True)
