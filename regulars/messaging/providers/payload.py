"""Small readers for what providers' webhooks send as JSON, shared by the messenger providers."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeGuard


def whole(value: Any) -> TypeGuard[int]:
    """A JSON integer (True and False are not ids)."""
    return isinstance(value, int) and not isinstance(value, bool)


def moment(value: Any) -> dt.datetime:
    """A Unix time as the provider sent it; now when it sent none or one no clock can hold."""
    try:
        return dt.datetime.fromtimestamp(value, tz=dt.UTC) if whole(value) else dt.datetime.now(tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return dt.datetime.now(tz=dt.UTC)
