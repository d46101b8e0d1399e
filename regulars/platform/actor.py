"""Who is acting: a staff member in the browser, a program with an API key, or the system itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    ip: str | None = None
    api_key_id: int | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label)

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        ip = client_ip(request)
        api_key: Any = getattr(request, "api_key", None)
        if api_key is not None:
            return cls(user_id=None, label=f"api:{api_key.name}", ip=ip, api_key_id=api_key.pk)
        user: Any = request.user
        if user.is_authenticated:
            return cls(user_id=user.pk, label=user.get_username(), ip=ip)
        return cls(user_id=None, label="anonymous", ip=ip)


def client_ip(request: HttpRequest) -> str | None:
    header = settings.REGULARS_TRUSTED_PROXY_HEADER
    if header:
        forwarded = request.META.get(header, "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
