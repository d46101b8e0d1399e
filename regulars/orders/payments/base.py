"""The one small interface every payment provider implements (one folder each under providers/; copy the closest
sibling to add one). A provider only talks to the world: what to create, when and for whom is decided by the
services, which call it with no transaction open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from regulars.messaging.providers.base import ConfigField

__all__ = ["ConfigField", "CreatedPayment", "PaymentProvider", "PaymentProviderError", "PaymentState"]


@dataclass(frozen=True)
class CreatedPayment:
    """What the provider answered to "create": its id for the payment, where the customer pays, its status."""

    provider_payment_id: str
    url: str
    status: str  # "pending" | "succeeded" | "canceled" (a provider's own word is mapped to one of these)


@dataclass(frozen=True)
class PaymentState:
    """The payment as the provider's API reports it now: what a webhook is checked against."""

    id: str
    status: str  # "pending" | "waiting_for_capture" | "succeeded" | "canceled"
    amount: Decimal
    currency: str
    metadata: Mapping[str, str] = field(default_factory=dict)


class PaymentProviderError(Exception):
    """The provider did not do it. `temporary`: a timeout, 5xx, a rate limit — try again later with the same
    idempotency key (the payment may exist already); otherwise the provider refused this request for good (bad
    credentials, a rejected field) and a new attempt needs a new key."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary


class PaymentProvider(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    config_fields: ClassVar[tuple[ConfigField, ...]]

    def create(self, account: Any, *, amount: Decimal, currency: str, description: str, idempotency_key: str,
               return_url: str, metadata: Mapping[str, str]) -> CreatedPayment:
        """Create the payment; the same idempotency key again must return the same payment, not a new one."""
        ...

    def fetch(self, account: Any, provider_payment_id: str) -> PaymentState:
        """The payment as the provider's API says now (a webhook's body is never trusted)."""
        ...

    def parse_webhook(self, body: bytes) -> str | None:
        """The payment id a notification names, or None when it is not about a payment we could act on."""
        ...
