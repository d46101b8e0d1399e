"""Small template filters of the UI shell, for every domain's pages: ``{% load web %}``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from regulars.platform.phones import format_phone

register = template.Library()


@register.filter
def minutes(value: Any) -> int | str:
    """A timedelta as whole minutes, rounded up (the lock-out page: "locked for 15 minutes"); '' when not a duration."""
    if not isinstance(value, timedelta):
        return ""
    seconds = int(value.total_seconds())
    return max(1, -(-seconds // 60))


@register.filter
def phone(value: str | None) -> str:
    """'+79123456789' → '+7 912 345-67-89' for the eye; anything else is shown as it is."""
    return format_phone(value) if value else ""
