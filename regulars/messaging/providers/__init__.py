"""Provider registry: every folder under `regulars.messaging.providers` exposes `PROVIDER`, an object with the
interface of base.Provider. The folder name is what a ProviderAccount stores in `provider`; adding a provider is
adding a folder (copy the closest sibling)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from .base import Provider

KNOWN = tuple(sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.ispkg))


@cache
def provider(name: str) -> Provider:
    if name not in KNOWN:
        raise LookupError(f"unknown provider {name!r}")
    found: Provider = importlib.import_module(f"{__name__}.{name}").PROVIDER
    return found
