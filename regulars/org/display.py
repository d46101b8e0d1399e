"""How settings data reads on a page: working hours in one line, audit changes as "field: old → new"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from regulars.platform.phones import format_phone

from .models import WEEKDAYS, ApiKey, Branch, Staff

OBJECT_TYPES: dict[str, Any] = {
    "branch": gettext_lazy("Branch"),
    "staff": gettext_lazy("Staff member"),
    "apikey": gettext_lazy("API key"),
    "customer": gettext_lazy("Customer"),
}
_MODELS: dict[str, type[models.Model]] = {"branch": Branch, "staff": Staff, "apikey": ApiKey}
# The verb at the end of an audit action ("branch.update") and the badge tone it gets.
_VERBS: dict[str, tuple[Any, str]] = {
    "create": (pgettext_lazy("audit action", "created"), "success"),
    "update": (pgettext_lazy("audit action", "changed"), "info"),
    "set": (pgettext_lazy("audit action", "changed"), "info"),
    "add": (pgettext_lazy("audit action", "added"), "success"),
    "remove": (pgettext_lazy("audit action", "removed"), "danger"),
    "delete": (pgettext_lazy("audit action", "deleted"), "danger"),
    "archive": (pgettext_lazy("audit action", "archived"), "warning"),
    "revoke": (pgettext_lazy("audit action", "revoked"), "danger"),
    "clear": (pgettext_lazy("audit action", "cleared"), "warning"),
    "merge": (pgettext_lazy("audit action", "merged"), "warning"),
}


def _intervals_text(intervals: Iterable[Iterable[str]]) -> str:
    return ", ".join("–".join(pair) for pair in intervals) or _("closed")


def working_hours_summary(hours: Mapping[str, Any] | None) -> str:
    """'Mon–Fri 09:00–20:00 · Sat, Sun 10:00–18:00'; consecutive days with the same hours are grouped."""
    if not hours:
        return ""
    groups: list[tuple[list[int], str]] = []
    for index, day in enumerate(WEEKDAYS):
        text = _intervals_text(hours.get(day) or [])
        if groups and groups[-1][1] == text and groups[-1][0][-1] == index - 1:
            groups[-1][0].append(index)
        else:
            groups.append(([index], text))
    parts = []
    for days, text in groups:
        first, last = str(WEEKDAYS_ABBR[days[0]]), str(WEEKDAYS_ABBR[days[-1]])
        if len(days) == 1:
            label = first
        elif len(days) == 2:
            label = f"{first}, {last}"
        else:
            label = f"{first}–{last}"
        parts.append(f"{label} {text}")
    return " · ".join(parts)


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPES.get(object_type, object_type.replace("_", " ")))


def action_label(action: str) -> tuple[str, str]:
    """('changed', 'info') for 'branch.update': the words and the badge tone."""
    verb = action.rsplit(".", 1)[-1]
    label, tone = _VERBS.get(verb, (verb.replace("_", " "), "neutral"))
    return str(label), tone


# Labels of the fields settings write, in the words of the forms (model verbose names can be shadowed by Django's own
# translations, e.g. auth's "name" → "имя", which is wrong for a branch).
_FIELD_LABELS: dict[str, Any] = {
    "name": pgettext_lazy("audit field", "Name"),
    "code": pgettext_lazy("audit field", "Code"),
    "address": pgettext_lazy("audit field", "Address"),
    "phone": pgettext_lazy("audit field", "Phone"),
    "time_zone": pgettext_lazy("audit field", "Time zone"),
    "working_hours": pgettext_lazy("audit field", "Working hours"),
    "is_active": pgettext_lazy("audit field", "Active"),
    "first_name": pgettext_lazy("audit field", "First name"),
    "last_name": pgettext_lazy("audit field", "Last name"),
    "email": pgettext_lazy("audit field", "E-mail"),
    "role": pgettext_lazy("audit field", "Role"),
    "position": pgettext_lazy("audit field", "Position"),
    "branches": pgettext_lazy("audit field", "Branches"),
    "language": pgettext_lazy("audit field", "Language"),
    "password": pgettext_lazy("audit field", "Password"),
}


def _model_field(object_type: str, field: str) -> Any:
    model = _MODELS.get(object_type)
    if model is None:
        return None
    try:
        return model._meta.get_field(field)
    except FieldDoesNotExist:
        return None


def _field_label(object_type: str, field: str) -> str:
    if object_type in _MODELS and field in _FIELD_LABELS:
        return str(_FIELD_LABELS[field])
    found = _model_field(object_type, field)
    label = str(found.verbose_name) if found is not None and hasattr(found, "verbose_name") else field.replace("_", " ")
    return capfirst(label) or field


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def readable_value(field: str, value: Any, branch_names: Mapping[int, str], object_type: str = "") -> str:
    if value is None or value == "" or value == []:
        return "—"
    found = _model_field(object_type, field) if object_type else None
    choices = dict(found.flatchoices) if found is not None and getattr(found, "choices", None) else {}
    if isinstance(value, str) and value in choices:
        return str(choices[value])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "phone" and isinstance(value, str):
        return format_phone(value)
    if field == "working_hours" and isinstance(value, dict):
        return working_hours_summary(value) or "—"
    if field == "branches" and isinstance(value, list):
        return ", ".join(branch_names.get(v, f"#{v}") if isinstance(v, int) else str(v) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def readable_changes(object_type: str, changes: Mapping[str, Any], branch_names: Mapping[int, str]) -> list[Change]:
    rows = []
    for field, pair in (changes or {}).items():
        old, new = (pair[0], pair[1]) if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        rows.append(Change(
            field=_field_label(object_type, field),
            old=readable_value(field, old, branch_names, object_type),
            new=readable_value(field, new, branch_names, object_type),
        ))
    return rows


def branch_ids_in(changes_list: Iterable[Mapping[str, Any]]) -> set[int]:
    """Branch ids mentioned by 'branches' changes, to look their names up once per page."""
    ids: set[int] = set()
    for changes in changes_list:
        pair = (changes or {}).get("branches")
        if isinstance(pair, list | tuple):
            for side in pair:
                if isinstance(side, list):
                    ids.update(v for v in side if isinstance(v, int))
    return ids
