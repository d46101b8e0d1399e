"""The one error shape of the API: {"error": {"code", "message", "fields", …}}."""

from __future__ import annotations

from typing import Any


def error_body(code: str, message: str, fields: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def schema_errors_to_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    """pydantic error locations → dotted field names: ('body', 'payload', 'phones', 0) → 'phones.0'."""
    fields: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "payload", "query", "path")]
        name = ".".join(loc) or "body"
        fields.setdefault(name, str(error.get("msg", "invalid")))
    return fields
