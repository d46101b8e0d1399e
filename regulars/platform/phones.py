"""Phone numbers: one canonical E.164 form, whatever way people write them."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from phonenumbers.phonemetadata import PhoneMetadata

_NON_DIGITS = re.compile(r"\D+")
# A Russian mobile number written the usual ways: '+7 912 345-67-89', '8 (912) 345 67 89', '79123456789',
# '9123456789', checked against libphonenumber's own pattern for Russian mobiles. Same answer as the full parse
# (a test compares them), ten times faster: what lets an import normalise millions of numbers and keeps the
# caller-id lookup cheap.
_RU_MOBILE = re.compile(r"(?:\+?7|8)?(9\d{9})")
_RU_MOBILE_NATIONAL = re.compile(str(PhoneMetadata.metadata_for_region("RU").mobile.national_number_pattern))  # type: ignore[union-attr]
_PUNCTUATION = re.compile(r"[\s()\-.]+")


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the E.164 form ('+79123456789') or raise InvalidPhone.

    Russian habits are understood: '8 (912) 345-67-89' (trunk prefix 8), '79123456789' (country code written
    without '+'), '+7 912 345 67 89'.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhone(_("empty phone number"))
    if len(text) > 40:
        raise InvalidPhone(_("too long to be a phone number"))
    region = region or settings.REGULARS_DEFAULT_PHONE_REGION
    if region == "RU":
        mobile = _RU_MOBILE.fullmatch(_PUNCTUATION.sub("", text))
        if mobile is not None and _RU_MOBILE_NATIONAL.fullmatch(mobile.group(1)):
            return "+7" + mobile.group(1)
    e164 = parse_phone(text, region)
    if e164 is None:
        raise InvalidPhone(_("%(value)s is not a valid phone number") % {"value": raw})
    return e164


def parse_phone(text: str, region: str) -> str | None:
    """The full libphonenumber parse behind normalize_phone: E.164, or None when the number is not valid."""
    digits = _NON_DIGITS.sub("", text)
    attempts = [text]
    if not text.startswith("+") and not text.startswith("00"):
        # '79123456789' is a full international number typed without '+'.
        attempts.append("+" + digits)
    for candidate in attempts:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def format_phone(e164: str) -> str:
    """A human form for the screen: '+7 912 345-67-89'."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)
