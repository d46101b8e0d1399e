"""Reads for branches, staff and API keys."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiKey, Branch, Staff
from .permissions import branch_ids_for


def branch_list(*, active_only: bool = False) -> QuerySet[Branch]:
    qs = Branch.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def staff_list_for_user(user: Any) -> QuerySet[Staff]:
    """Administrators see every account; others see the staff of their own branches."""
    qs = Staff.objects.prefetch_related("branches")
    scope = branch_ids_for(user)
    if scope is None:
        return qs
    return qs.filter(branches__in=scope).distinct()


# Verified keys, kept in this process for a few seconds: an integration such as a PBX asks on every call, and the
# key row need not be read each time. A revocation in this process takes effect at once (apikey_forget); other
# server processes notice it within API_KEY_CACHE_SECONDS.
API_KEY_CACHE_SECONDS = 10.0
_verified: dict[str, tuple[float, ApiKey]] = {}


def apikey_authenticate(secret: str) -> ApiKey | None:
    """The active key for this secret, or None. Touches last_used_at at most once a minute."""
    if not secret.startswith("rk_"):
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    cached = _verified.get(digest)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    key = ApiKey.objects.filter(key_hash=digest, revoked_at=None).first()
    if key is None:
        _verified.pop(digest, None)
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    _verified[digest] = (time.monotonic() + API_KEY_CACHE_SECONDS, key)
    return key


def apikey_forget(key_hash: str) -> None:
    """Drop a key from this process's cache of verified keys (after it is revoked)."""
    _verified.pop(key_hash, None)
