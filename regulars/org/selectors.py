"""Reads for branches, staff and API keys."""

from __future__ import annotations

import hashlib
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


def apikey_authenticate(secret: str) -> ApiKey | None:
    """The active key for this secret, or None. Touches last_used_at at most once a minute."""
    if not secret.startswith("rk_"):
        return None
    key = ApiKey.objects.filter(key_hash=hashlib.sha256(secret.encode()).hexdigest(), revoked_at=None).first()
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
