"""Signed HTTP messages as the Standard Webhooks specification defines them (https://www.standardwebhooks.com).

A secret is `whsec_` + base64 of 32 random bytes. A message carries three headers: `webhook-id` (stable across
retries, so a receiver can drop repeats), `webhook-timestamp` (seconds since the epoch) and `webhook-signature`:
space-separated `v1,<base64 HMAC-SHA256>` values of `"{id}.{timestamp}." + body`, keyed with the decoded secret.
Several values let a sender sign with an old and a new secret while a rotation is under way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import datetime

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300

MISSING_HEADER = "missing header"
MALFORMED_HEADER = "malformed header"
TIMESTAMP_TOO_OLD = "timestamp too old"
TIMESTAMP_TOO_NEW = "timestamp too new"
BAD_SIGNATURE = "bad signature"


class SignatureError(Exception):
    """A message that does not prove where it came from. `reason` is one of the constants above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    raw = secret[len(PREFIX):] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the secret is not base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<signature>` value of one message."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers_for(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of a message, signed with every given secret."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_),
    }


def verify(secret: str | Sequence[str], headers: Mapping[str, str], body: bytes,
           now: datetime | float | None = None, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise SignatureError unless one of the signatures was made with the secret (or one of the secrets: the
    current and the previous during a rotation) over exactly this body, and the timestamp is within `tolerance`
    seconds of `now`. Header names are matched case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise SignatureError(MISSING_HEADER)
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError(MALFORMED_HEADER) from None
    if now is None:
        current = time.time()
    elif isinstance(now, datetime):
        current = now.timestamp()
    else:
        current = float(now)
    if timestamp < current - tolerance:
        raise SignatureError(TIMESTAMP_TOO_OLD)
    if timestamp > current + tolerance:
        raise SignatureError(TIMESTAMP_TOO_NEW)
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    expected = [sign(s, msg_id, timestamp, body).encode() for s in secrets_]
    matched = False
    for candidate in signatures.split():
        # Every candidate is compared in constant time with every expected signature, and all of them are compared.
        for wanted in expected:
            matched |= hmac.compare_digest(wanted, candidate.encode())
    if not matched:
        raise SignatureError(BAD_SIGNATURE)
