"""Forms of the settings pages. They only parse what was typed; the services decide what is allowed."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext_lazy as _

from regulars.platform.models import AuditEntry
from regulars.platform.phones import format_phone

from .display import object_type_label
from .models import WEEKDAYS, Branch, Role, Staff

# What a new branch starts with; people usually change one or two days.
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    **{day: [["09:00", "20:00"]] for day in WEEKDAYS[:5]},
    **{day: [["10:00", "18:00"]] for day in WEEKDAYS[5:]},
}


def _time_input() -> forms.TimeInput:
    # A text box, not type=time: browsers show type=time as "09:00 AM" in English locales; here it is always 24 h.
    return forms.TimeInput(format="%H:%M", attrs={
        "class": "input--sm input--time", "placeholder": "09:00", "inputmode": "numeric", "maxlength": "5",
        "autocomplete": "off",
    })


class BranchForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    code = forms.CharField(
        label=_("Code"), max_length=40, required=False,
        help_text=_("Short Latin name for links and integrations. Made from the name when left empty."),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+7 495 123-45-67"}))
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, initial="Europe/Moscow",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Reminders and quiet hours follow this zone, e.g. Europe/Moscow or Asia/Yekaterinburg."),
    )
    is_active = forms.BooleanField(label=_("Active (shown in lists and routing)"), required=False, initial=True)
    # Carries the service's verdict on the hours as a whole; shown above the hours table.
    working_hours = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, editing: bool = False, original_hours: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.original_hours = original_hours or {}
        for day in WEEKDAYS:
            self.fields[f"{day}_open"] = forms.TimeField(label=_("Opens"), required=False, widget=_time_input())
            self.fields[f"{day}_close"] = forms.TimeField(label=_("Closes"), required=False, widget=_time_input())
            self.fields[f"{day}_closed"] = forms.BooleanField(label=_("Closed"), required=False)
        if not editing:
            del self.fields["is_active"]

    @staticmethod
    def initial_for(branch: Branch | None) -> dict[str, Any]:
        hours = branch.working_hours if branch is not None else DEFAULT_HOURS
        initial: dict[str, Any] = {}
        if branch is not None:
            initial.update({f: getattr(branch, f) for f in ("name", "code", "address", "time_zone", "is_active")})
            initial["phone"] = format_phone(branch.phone) if branch.phone else ""
        for day in WEEKDAYS:
            intervals = hours.get(day) or []
            initial[f"{day}_closed"] = not intervals
            if intervals:
                # Several intervals (a lunch break, set through the API) show as the day's first and last time;
                # left untouched, they are kept as they are (see _day_hours).
                initial[f"{day}_open"] = intervals[0][0]
                initial[f"{day}_close"] = intervals[-1][1]
        return initial

    def hours_rows(self) -> list[dict[str, Any]]:
        """One row per weekday for the template: the day's name and its three bound fields."""
        return [
            {
                "day": day,
                "label": WEEKDAY_NAMES[index],
                "open": self[f"{day}_open"],
                "close": self[f"{day}_close"],
                "closed": self[f"{day}_closed"],
            }
            for index, day in enumerate(WEEKDAYS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for day in WEEKDAYS:
            if data.get(f"{day}_closed"):
                continue
            opens, closes = data.get(f"{day}_open"), data.get(f"{day}_close")
            if f"{day}_open" in self.errors or f"{day}_close" in self.errors:
                continue
            if opens is None or closes is None:
                self.add_error(f"{day}_open", _("Enter both times or tick “Closed”."))
            elif opens >= closes:
                self.add_error(f"{day}_open", _("The closing time must be later than the opening time."))
        return data

    def _day_hours(self, day: str) -> list[list[str]]:
        if self.cleaned_data.get(f"{day}_closed"):
            return []
        opens: time = self.cleaned_data[f"{day}_open"]
        closes: time = self.cleaned_data[f"{day}_close"]
        interval = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        original = self.original_hours.get(day) or []
        if original and [original[0][0], original[-1][1]] == interval:
            return [list(pair) for pair in original]
        return [interval]

    def service_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of branch_create / branch_update."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "name": data["name"],
            "code": data["code"],
            "address": data["address"],
            "phone": data["phone"],
            "time_zone": data["time_zone"].strip(),
            "working_hours": {day: self._day_hours(day) for day in WEEKDAYS},
        }
        if "is_active" in self.fields:
            kwargs["is_active"] = data["is_active"]
        return kwargs


class StaffForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    username = forms.CharField(
        label=_("Login"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"), required=True, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common word or only digits."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.OPERATOR)
    position = forms.CharField(label=_("Position"), max_length=100, required=False,
                               help_text=_("As people call it at work: master-consultant, ophthalmologist…"))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel"}))
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(label=_("Interface language"), choices=settings.LANGUAGES, initial="ru")
    branches = forms.ModelMultipleChoiceField(
        label=_("Branches"), queryset=Branch.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Managers and operators see the work of these branches."),
    )
    is_active = forms.BooleanField(label=_("Active (may sign in)"), required=False, initial=True)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches: Any = self.fields["branches"]
        branches.queryset = Branch.objects.order_by("name")
        if editing:
            del self.fields["username"]
            password = self.fields["password"]
            password.required = False
            password.help_text = _("Leave empty to keep the current password.")
        else:
            del self.fields["is_active"]

    @staticmethod
    def initial_for(staff: Staff) -> dict[str, Any]:
        initial = {f: getattr(staff, f) for f in ("first_name", "last_name", "role", "position", "email", "language",
                                                  "is_active")}
        initial["phone"] = format_phone(staff.phone) if staff.phone else ""
        initial["branches"] = list(staff.branches.all())
        return initial

    def service_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of staff_create / staff_update (the password only when one was typed)."""
        data = dict(self.cleaned_data)
        kwargs: dict[str, Any] = {k: data[k] for k in ("first_name", "last_name", "role", "position", "phone",
                                                       "email", "language")}
        kwargs["branch_ids"] = sorted(b.pk for b in data["branches"])
        if "username" in self.fields:
            kwargs["username"] = data["username"]
        if "is_active" in self.fields:
            kwargs["is_active"] = data["is_active"]
        if data.get("password"):
            kwargs["password"] = data["password"]
        return kwargs


class StaffFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or login")}))
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("All roles")), *Role.choices])

    def filter(self, qs: QuerySet[Staff]) -> QuerySet[Staff]:
        if not self.is_valid():
            return qs
        text = self.cleaned_data["q"].strip()
        if text:
            qs = qs.filter(Q(username__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text))
        if self.cleaned_data["role"]:
            qs = qs.filter(role=self.cleaned_data["role"])
        return qs


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=100,
        help_text=_("Which program will use it, e.g. “1C ERP” or “PBX Mango”. You can revoke it at any time."),
    )


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object"), required=False)
    actor = forms.CharField(label=_("Who"), required=False,
                            widget=forms.TextInput(attrs={"placeholder": _("Login or API key")}))
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Object, action or id")}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        present = AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
        object_type: Any = self.fields["object_type"]
        labelled = sorted(((t, object_type_label(t)) for t in present), key=lambda choice: choice[1])
        object_type.choices = [("", _("All objects")), *labelled]

    def filter(self, qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["object_type"]:
            qs = qs.filter(object_type=data["object_type"])
        if data["actor"].strip():
            qs = qs.filter(actor_label__icontains=data["actor"].strip())
        text = data["q"].strip()
        if text:
            qs = qs.filter(Q(object_label__icontains=text) | Q(action__icontains=text) | Q(object_id=text))
        return qs
