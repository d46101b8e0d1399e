"""The one small interface every provider implements (one folder each; copy the closest sibling to add one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol


@dataclass(frozen=True)
class Outgoing:
    """What the dispatcher hands a provider: everything is decided, the provider only talks to the world."""

    message_id: int
    idempotency_key: str
    channel: str
    purpose: str
    to: str
    body: str
    subject: str = ""
    sender: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    provider_message_id: str


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery callback, parsed: the provider's id for the message, our status name, when."""

    provider_message_id: str
    status: str  # "sent" | "delivered" | "read" | "failed"
    at: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class Inbound:
    """A message a customer sent us, parsed. `contact_kind` says how `sender` is matched to a card (phone,
    telegram, whatsapp, vk, email); `start_token` is what a Telegram deep link carried (/start <token>)."""

    sender: str
    text: str
    provider_message_id: str
    at: dt.datetime
    contact_kind: str
    sender_name: str = ""
    start_token: str = ""
    channel: str = ""  # where it came in, when the contact kind does not say it (a key pressed during a call)


@dataclass(frozen=True)
class Reachability:
    """The customer closed or reopened the channel to us (VK's message_deny / message_allow, a Telegram user
    blocking the bot): `sender` and `contact_kind` name them as an Inbound does."""

    sender: str
    contact_kind: str
    allowed: bool
    at: dt.datetime


@dataclass(frozen=True)
class WebhookRequest:
    """What a provider's webhook brought, without Django: headers are lower-cased."""

    method: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    content_type: str = ""
    url: str = ""  # the full URL the provider called (Twilio signs it)


@dataclass
class WebhookAnswer:
    """What to answer the provider, and what its request said: delivery reports and inbound messages."""

    status: int = 200
    body: bytes = b"ok"
    content_type: str = "text/plain"
    updates: list[StatusUpdate] = field(default_factory=list)
    inbound: list[Inbound] = field(default_factory=list)
    reachability: list[Reachability] = field(default_factory=list)


class WebhookRefused(Exception):
    """The request is not from the provider (a bad signature, a wrong verify token): 403, and nothing happens."""


class TemporaryError(Exception):
    """Try again later (a timeout, 5xx, a rate limit). `outcome_unknown` when the request may have got through."""

    def __init__(self, message: str, *, outcome_unknown: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown
        self.retry_after = retry_after


class PermanentError(Exception):
    """This message cannot be sent through this provider (a bad number, a refused address)."""


@dataclass(frozen=True)
class ConfigField:
    """One setting of a provider account, as the settings page asks for it. Secrets are never shown back."""

    key: str
    label: Any  # text, or a lazily translated one
    secret: bool = False
    required: bool = False
    kind: str = "text"  # "text", "number" or "bool"


class Provider(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    config_fields: ClassVar[tuple[ConfigField, ...]]
    channels: ClassVar[tuple[str, ...]]
    # True when the provider deduplicates by our key, so a retry after an unknown outcome cannot send twice.
    takes_idempotency_key: ClassVar[bool]
    # True when the provider reports delivery, so "sent but not delivered after N minutes" means something.
    reports_delivery: ClassVar[bool]

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent: ...

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        """Verify the request (raise WebhookRefused), answer it, and say what it reported."""
        ...
