"""Cursor pagination over (timestamp, id) orderings: stable while new rows arrive at the top."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from .errors import ValidationFailed


def encode_cursor(at: datetime, pk: int) -> str:
    raw = json.dumps([at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(at_text), int(pk)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed("Invalid cursor", fields={"cursor": "not a cursor this API returned"}) from exc
