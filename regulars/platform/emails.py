"""E-mail addresses: validated and stored in one form so that lookup is a plain equality."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Trim and lower-case the whole address (mailbox names are case-insensitive in practice)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidEmail(_("empty e-mail address"))
    if len(text) > 254:
        raise InvalidEmail(_("an e-mail address is at most 254 characters"))
    try:
        validate_email(text)
    except ValidationError as exc:
        raise InvalidEmail(_("%(value)s is not a valid e-mail address") % {"value": raw}) from exc
    local, _at, domain = text.rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidEmail(_("%(value)s has an invalid domain") % {"value": raw}) from exc
    return f"{local}@{domain}".lower()
