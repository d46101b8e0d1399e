"""Provider registry: `regulars.messaging.providers.<name>` exposes `PROVIDER`, an object with the interface of
base.Provider. The folder name is what a ProviderAccount stores in `provider`."""

from __future__ import annotations

import importlib
from functools import cache

from .base import Provider

KNOWN = ("email", "sms_smsru")


@cache
def provider(name: str) -> Provider:
    if name not in KNOWN:
        raise LookupError(f"unknown provider {name!r}")
    found: Provider = importlib.import_module(f"{__name__}.{name}").PROVIDER
    return found
