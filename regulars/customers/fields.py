"""Validation of business-configured fields: asset-type fields and custom card fields.

A field spec is a dict {"key", "label", "type", "required", "choices", "min", "max"}; values arrive as
strings (forms) or JSON values (API) and are stored as JSON-safe values.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from regulars.platform.errors import ValidationFailed

from .search import normalize_plate

FIELD_TYPES = ("text", "integer", "decimal", "number", "date", "choice", "vin", "plate")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
               **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_PLATE = re.compile(r"^[A-Z0-9]{4,12}$")


def vin_problem(vin: str) -> str | None:
    """None if the VIN is valid. The check digit (position 9) is verified for North-American VINs only,
    because European and Russian VINs do not use it."""
    if not _VIN.match(vin):
        return _("a VIN is 17 letters and digits, without I, O and Q")
    if vin[0] in "12345":
        total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS, strict=True))
        check = "X" if total % 11 == 10 else str(total % 11)
        if vin[8] != check:
            return _("the VIN check digit does not match")
    return None


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_value(spec: dict[str, Any], value: Any) -> Any:
    """Return the stored form of one value or raise ValueError with a reason for the user."""
    kind = spec.get("type", "text")
    if kind == "text":
        text = str(value).strip()
        if len(text) > 500:
            raise ValueError(_("at most 500 characters"))
        return text
    if kind == "integer":
        try:
            number = int(str(value).strip().replace(" ", ""))
        except ValueError:
            raise ValueError(_("a whole number is expected")) from None
        _check_range(spec, number)
        return number
    if kind in ("decimal", "number"):
        try:
            dec = Decimal(str(value).strip().replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValueError(_("a number is expected")) from None
        if not dec.is_finite():
            raise ValueError(_("a number is expected"))
        _check_range(spec, dec)
        if "step" in spec and dec % Decimal(str(spec["step"])) != 0:
            raise ValueError(_("must be a multiple of %(step)s") % {"step": spec["step"]})
        return str(dec.normalize()) if dec != dec.to_integral() else str(dec.quantize(Decimal(1)))
    if kind == "date":
        if isinstance(value, dt.date):
            return value.isoformat()
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(_("a date YYYY-MM-DD is expected")) from None
    if kind == "choice":
        choices = [str(c) for c in spec.get("choices", [])]
        if str(value) not in choices:
            raise ValueError(_("one of: %(choices)s") % {"choices": ", ".join(choices)})
        return str(value)
    if kind == "vin":
        vin = str(value).strip().upper().replace(" ", "")
        problem = vin_problem(vin)
        if problem:
            raise ValueError(problem)
        return vin
    if kind == "plate":
        plate = normalize_plate(str(value))
        if not _PLATE.match(plate):
            raise ValueError(_("a plate is 4–12 letters and digits"))
        return plate
    raise ValueError(f"unknown field type {kind!r}")


def _check_range(spec: dict[str, Any], number: int | Decimal) -> None:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and number < Decimal(str(low)):
        raise ValueError(_("at least %(low)s") % {"low": low})
    if high is not None and number > Decimal(str(high)):
        raise ValueError(_("at most %(high)s") % {"high": high})


def clean_values(specs: list[dict[str, Any]], values: dict[str, Any], *, partial: bool = False,
                 error_prefix: str = "") -> dict[str, Any]:
    """Validate a whole record against its specs. Unknown keys and missing required ones are errors."""
    known = {spec["key"]: spec for spec in specs}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for key in values:
        if key not in known:
            errors[f"{error_prefix}{key}"] = _("unknown field")
    for key, spec in known.items():
        if key not in values:
            if spec.get("required") and not partial:
                errors[f"{error_prefix}{key}"] = _("required")
            continue
        raw = values[key]
        if _empty(raw):
            if spec.get("required"):
                errors[f"{error_prefix}{key}"] = _("required")
            continue
        try:
            cleaned[key] = clean_value(spec, raw)
        except ValueError as exc:
            errors[f"{error_prefix}{key}"] = str(exc)
    if errors:
        raise ValidationFailed(_("Some fields are invalid"), fields=errors)
    return cleaned


def clean_field_specs(specs: Any) -> list[dict[str, Any]]:
    """Validate the definition of an asset type's fields (what an admin configures)."""
    if not isinstance(specs, list) or not specs:
        raise ValidationFailed(_("An asset type needs fields"), fields={"fields": _("at least one field")})
    seen: set[str] = set()
    out = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict):
            raise ValidationFailed(_("Invalid field"), fields={f"fields.{i}": "expected an object"})
        key = str(spec.get("key", "")).strip()
        if not re.match(r"^[a-z][a-z0-9_]{0,39}$", key):
            raise ValidationFailed(_("Invalid field key"), fields={f"fields.{i}.key": "latin letters, digits, _"})
        if key in seen:
            raise ValidationFailed(_("Duplicate field key"), fields={f"fields.{i}.key": f"{key} is repeated"})
        seen.add(key)
        kind = spec.get("type", "text")
        if kind not in FIELD_TYPES:
            raise ValidationFailed(_("Invalid field type"), fields={f"fields.{i}.type": f"one of {FIELD_TYPES}"})
        if kind == "choice" and not spec.get("choices"):
            raise ValidationFailed(_("A choice needs options"), fields={f"fields.{i}.choices": "required"})
        clean = {"key": key, "label": str(spec.get("label") or key)[:100], "type": kind,
                 "required": bool(spec.get("required", False))}
        for extra in ("choices", "min", "max", "step", "label_ru"):
            if spec.get(extra) not in (None, ""):
                clean[extra] = spec[extra]
        out.append(clean)
    return out
