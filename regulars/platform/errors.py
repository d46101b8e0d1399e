"""Errors that services raise and every surface (API, forms) turns into a clear answer."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request that cannot be carried out. `fields` maps a field name to its reason."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
