"""What a column can be mapped to, and a first guess from its header (Russian or English)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.customers.models import Channel, CustomFieldDef, Purpose

BASIC_TARGETS: dict[str, object] = {
    "ignore": gettext_lazy("— do not import —"),
    "last_name": gettext_lazy("Last name"),
    "first_name": gettext_lazy("First name"),
    "middle_name": gettext_lazy("Middle name"),
    "full_name": gettext_lazy("Full name (last first middle)"),
    "phone": gettext_lazy("Phone"),
    "email": gettext_lazy("E-mail"),
    "birthday": gettext_lazy("Birthday"),
    "branch": gettext_lazy("Branch (by name)"),
    "tags": gettext_lazy("Tags (comma-separated)"),
    "external_id": gettext_lazy("External id"),
}
# Targets that may be mapped from several columns.
MULTI_TARGETS = {"phone", "email", "tags", "ignore"}

_WORD = re.compile(r"[\W_]+", re.UNICODE)
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "last_name": ("фамилия", "lastname", "surname", "familyname"),
    "first_name": ("имя", "firstname", "name", "givenname"),
    "middle_name": ("отчество", "middlename", "patronymic"),
    "full_name": ("фио", "клиент", "fullname", "customer", "ф и о"),
    "phone": ("телефон", "тел", "мобильный", "моб", "phone", "mobile", "tel", "телефон2", "phone2", "сотовый"),
    "email": ("email", "e mail", "почта", "электроннаяпочта", "mail"),
    "birthday": ("датарождения", "деньрождения", "др", "birthday", "birthdate", "dateofbirth", "dob"),
    "branch": ("филиал", "салон", "branch", "store", "магазин"),
    "tags": ("теги", "метки", "tags", "tag"),
    "external_id": ("id", "код", "внешнийid", "externalid", "кодклиента", "customerid", "номерклиента"),
}


def normalise_header(name: str) -> str:
    return _WORD.sub("", (name or "").strip().lower())


def header_signature(header: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(normalise_header(h) for h in header).encode()).hexdigest()


def all_targets() -> list[tuple[str, str]]:
    """(value, label) for every target a column can be mapped to, today."""
    out = [(key, str(label)) for key, label in BASIC_TARGETS.items()]
    for field in CustomFieldDef.objects.filter(is_active=True):
        out.append((f"custom:{field.key}", _("Field: %(label)s") % {"label": field.label}))
    for channel, channel_label in Channel.choices:
        for purpose, purpose_label in Purpose.choices:
            out.append((f"consent:{channel}:{purpose}",
                        _("Consent: %(channel)s · %(purpose)s") % {"channel": channel_label,
                                                                   "purpose": purpose_label}))
    return out


def suggest_mapping(header: Sequence[str], custom_labels: dict[str, str] | None = None) -> dict[str, str]:
    """{"<index>": target} guessed from the header names; unknown columns are ignored."""
    words = {target: {normalise_header(w) for w in names} for target, names in SUGGESTIONS.items()}
    custom = {normalise_header(label): f"custom:{key}" for key, label in (custom_labels or {}).items()}
    custom.update({normalise_header(key): f"custom:{key}" for key in (custom_labels or {})})
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for index, name in enumerate(header):
        norm = normalise_header(name)
        target = custom.get(norm, "")
        if not target:
            for candidate, names in words.items():
                if norm in names or (norm.rstrip("0123456789") in names and candidate in MULTI_TARGETS):
                    target = candidate
                    break
        if target and (target not in used or target in MULTI_TARGETS):
            mapping[str(index)] = target
            used.add(target)
        else:
            mapping[str(index)] = "ignore"
    return mapping
