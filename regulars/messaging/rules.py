"""Sending rules as pure functions of time and text: quiet hours in the customer's time zone, SMS length."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "Europe/Moscow")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def in_quiet_hours(local: dt.time, quiet_from: dt.time, quiet_to: dt.time) -> bool:
    if quiet_from == quiet_to:
        return False
    if quiet_from > quiet_to:  # across midnight: 21:00–09:00
        return local >= quiet_from or local < quiet_to
    return quiet_from <= local < quiet_to


def next_allowed(at: dt.datetime, *, time_zone: str, quiet_from: dt.time, quiet_to: dt.time) -> dt.datetime:
    """`at` itself when it is outside quiet hours in the customer's zone, else the moment they end there.

    A message due at night waits until morning; it is never dropped. The end is computed on the local wall clock
    of that day, so a DST change during the night does not move the morning."""
    tz = zone(time_zone)
    local = at.astimezone(tz)
    if not in_quiet_hours(local.time(), quiet_from, quiet_to):
        return at
    day = local.date()
    if quiet_from > quiet_to and local.time() >= quiet_from:
        day += dt.timedelta(days=1)
    morning = dt.datetime.combine(day, quiet_to, tzinfo=tz)
    # A wall-clock time inside a DST gap does not exist; round trip through UTC lands just after the gap.
    return max(morning.astimezone(dt.UTC), at)


def sms_segments(text: str) -> tuple[int, int, str]:
    """(characters, segments, encoding) as a phone counts them: GSM-7 160/153 per part, UCS-2 70/67."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        length = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        length = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    if length == 0:
        return 0, 0, encoding
    return length, 1 if length <= single else -(-length // multi), encoding
