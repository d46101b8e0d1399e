"""E-mail addresses: validated and stored in one form so that lookup is a plain equality."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

# The everyday address (ASCII dot-atoms, a dotted host name, a letters-only top-level domain): a strict subset of
# what Django's validator accepts and already in IDNA form, so it needs neither the validator nor the encoder. A
# test compares the two paths; an import of a million rows spends its e-mail time here.
_PLAIN = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.IGNORECASE,
)


class InvalidEmail(ValueError):
    pass


def normalize_email(raw: str) -> str:
    """Trim and lower-case the whole address (mailbox names are case-insensitive in practice)."""
    text = (raw or "").strip()
    if not text:
        raise InvalidEmail(_("empty e-mail address"))
    if len(text) > 254:
        raise InvalidEmail(_("an e-mail address is at most 254 characters"))
    if text.isascii() and _PLAIN.fullmatch(text):
        return text.lower()
    return validated(text, raw)


def validated(text: str, raw: str) -> str:
    """The full check behind normalize_email: Django's validator, then the domain in IDNA form."""
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
