"""Payment provider registry: every folder under `regulars.orders.payments.providers` exposes `PROVIDER`, an object
with the interface of base.PaymentProvider. The folder name is what a PaymentAccount stores in `provider`; adding
a provider is adding a folder (copy the closest sibling)."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from pathlib import Path

from ..base import PaymentProvider

KNOWN = tuple(sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.ispkg))


@cache
def provider(name: str) -> PaymentProvider:
    if name not in KNOWN:
        raise LookupError(f"unknown payment provider {name!r}")
    found: PaymentProvider = importlib.import_module(f"{__name__}.{name}").PROVIDER
    return found
