"""Forms of the customer pages. They parse and present; every rule lives in the services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from regulars.org.models import Branch, Staff

from .models import AssetType, Channel, CustomFieldDef, Flag, Purpose
from .services.consents import ConsentInput

TIME_ZONES = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc/"))


def lines(value: str) -> list[str]:
    """One value per line (or comma-separated): how people paste several phones."""
    return [part.strip() for chunk in (value or "").splitlines() for part in chunk.split(",") if part.strip()]


def field_label(spec: dict[str, Any]) -> str:
    """The label of a configured field in the UI language."""
    if (get_language() or "").startswith("ru") and spec.get("label_ru"):
        return str(spec["label_ru"])
    return str(spec.get("label") or spec["key"])


def spec_to_form_field(spec: dict[str, Any]) -> forms.Field:
    """A plain text-ish input per configured field type; the service validates and normalises the value."""
    kind = spec.get("type", "text")
    attrs: dict[str, Any] = {}
    label = field_label(spec)
    required = bool(spec.get("required"))
    if kind == "choice":
        choices = [("", "—")] + [(str(c), str(c)) for c in spec.get("choices", [])]
        return forms.ChoiceField(label=label, required=required, choices=choices)
    if kind == "date":
        return forms.CharField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}))
    if kind in ("integer", "decimal", "number"):
        attrs = {"inputmode": "decimal" if kind != "integer" else "numeric"}
    if kind == "vin":
        attrs = {"maxlength": 17, "style": "text-transform: uppercase", "autocomplete": "off"}
    if kind == "plate":
        attrs = {"style": "text-transform: uppercase", "autocomplete": "off", "placeholder": "А123ВС777"}
    return forms.CharField(label=label, required=required, widget=forms.TextInput(attrs=attrs))


class CustomerForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    middle_name = forms.CharField(label=_("Middle name"), required=False, max_length=100)
    phones = forms.CharField(label=_("Phones"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line, in any form: 8 912 345-67-89, +7 912 345 67 89"))
    emails = forms.CharField(label=_("E-mails"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line"))
    telegram = forms.CharField(label=_("Telegram"), required=False, help_text=_("@username"))
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    home_branch = forms.ModelChoiceField(label=_("Home branch"), queryset=Branch.objects.filter(is_active=True),
                                         required=False)
    responsible = forms.ModelChoiceField(label=_("Responsible employee"),
                                         queryset=Staff.objects.filter(is_active=True), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="ru")
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False,
                                  choices=[("", _("From the home branch"))] + [(tz, tz) for tz in TIME_ZONES])
    preferred_channels = forms.MultipleChoiceField(label=_("Preferred channels"), choices=Channel.choices,
                                                   required=False, widget=forms.CheckboxSelectMultiple)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated"))

    def __init__(self, *args: Any, custom_fields: list[CustomFieldDef] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_keys: list[str] = []
        for definition in custom_fields or []:
            spec = {"key": definition.key, "label": definition.label, "type": definition.type,
                    "choices": definition.choices}
            name = f"custom.{definition.key}"
            self.fields[name] = spec_to_form_field(spec)
            self.custom_keys.append(definition.key)

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[f"custom.{key}"] for key in self.custom_keys]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "middle_name": data["middle_name"],
            "phones": lines(data["phones"]),
            "emails": lines(data["emails"]),
            "telegram": lines(data["telegram"]),
            "birthday": data["birthday"],
            "home_branch_id": data["home_branch"].pk if data["home_branch"] else None,
            "responsible_id": data["responsible"].pk if data["responsible"] else None,
            "language": data["language"],
            "time_zone": data["time_zone"],
            "preferred_channels": data["preferred_channels"],
            "custom": {key: data.get(f"custom.{key}", "") for key in self.custom_keys},
        }

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


class InitialConsentsForm(forms.Form):
    """On a new card: what the customer agreed to, and where that was recorded."""

    service = forms.MultipleChoiceField(label=_("Service messages"), choices=Channel.choices, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    marketing = forms.MultipleChoiceField(label=_("Advertising"), choices=Channel.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    source = forms.CharField(label=_("Where the consent was given"), required=False,
                             initial=_("Paper form in the branch"))

    def consents(self) -> list[ConsentInput]:
        source = self.cleaned_data.get("source") or ""
        return [
            ConsentInput(channel=channel, purpose=purpose, granted=True, source=source)
            for purpose in (Purpose.SERVICE, Purpose.MARKETING)
            for channel in self.cleaned_data.get(purpose, [])
        ]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[
        ("phone", _("Phone")), ("email", _("E-mail")), ("telegram", "Telegram"), ("whatsapp", "WhatsApp"),
        ("vk", "VK")])
    value = forms.CharField(label=_("Value"), max_length=254)


class ConsentForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    purpose = forms.ChoiceField(choices=Purpose.choices)
    granted = forms.TypedChoiceField(choices=[("1", _("Given")), ("0", _("Revoked"))], coerce=lambda v: v == "1")
    source = forms.CharField(label=_("Source"), max_length=100, required=False)


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

    def data_values(self) -> dict[str, Any]:
        specs = self.asset_type.fields if self.asset_type else []
        return {spec["key"]: self.cleaned_data.get(spec["key"], "") for spec in specs}


class AssetTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    key = forms.CharField(label=_("Key"), max_length=50, required=False,
                          help_text=_("Latin letters, digits and _. Set once; empty makes one from the name."))
    fields_json = forms.CharField(
        label=_("Fields"), required=False, widget=forms.Textarea(attrs={"rows": 14, "class": "mono"}),
        help_text=_('A JSON list: [{"key": "make", "label": "Make", "label_ru": "Марка", "type": "text", '
                    '"required": true}]. Types: text, integer, decimal, date, choice (with "choices"), vin, plate.'))
    title_fields = forms.CharField(label=_("Title fields"), required=False,
                                   help_text=_("Comma-separated keys that make the one-line title on the card"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CustomFieldForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
    type = forms.ChoiceField(label=_("Type"), choices=CustomFieldDef.Type.choices)
    choices = forms.CharField(label=_("Options"), required=False, help_text=_("For a choice: comma-separated"))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
