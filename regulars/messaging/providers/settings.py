"""A provider account's settings, as a settings page asks for them and a service stores them: typed values, write-only
secrets (left empty, the stored one stays), required ones named. Shared by every kind of provider account
(messaging channels, payment accounts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from .base import ConfigField


def typed(kind: str, raw: Any) -> Any:
    if kind == "bool":
        return raw in (True, "1", "true", "on", "yes")
    if kind == "number":
        return int(raw)
    return str(raw).strip()


def merge_config(fields: Iterable[ConfigField], submitted: Mapping[str, Any] | None,
                 stored: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(the settings to store, errors by `config.<key>`)."""
    merged: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in fields:
        raw = (submitted or {}).get(field.key, "")
        if field.secret and raw in ("", None):
            raw = stored.get(field.key, "")
        if raw in ("", None) and field.kind != "bool":
            if field.required:
                errors[f"config.{field.key}"] = _("required")
            continue
        try:
            merged[field.key] = typed(field.kind, raw)
        except ValueError:
            errors[f"config.{field.key}"] = _("a whole number is expected")
    return merged, errors


def form_rows(fields: Iterable[ConfigField], stored: Mapping[str, Any], data: Any = None) -> list[dict[str, Any]]:
    """What a settings form shows per field: the typed value (never a secret) and whether a secret is set."""
    return [{"field": field, "name": f"config_{field.key}",
             "value": data.get(f"config_{field.key}", "") if data is not None else (
                 "" if field.secret else stored.get(field.key, "")),
             "is_set": field.secret and bool(stored.get(field.key))} for field in fields]
