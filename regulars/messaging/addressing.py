"""Where a message goes in each channel, and what its template may say: read from the card, no writes."""

from __future__ import annotations

from typing import Any

from regulars.customers.models import Channel, ContactKind, ContactPoint, Customer

CONTACT_FOR_CHANNEL = {
    Channel.SMS: ContactKind.PHONE, Channel.VOICE: ContactKind.PHONE, Channel.EMAIL: ContactKind.EMAIL,
    Channel.TELEGRAM: ContactKind.TELEGRAM, Channel.WHATSAPP: ContactKind.WHATSAPP, Channel.VK: ContactKind.VK,
}
# When the card names no preference: messengers first (free, read at once), then SMS, then e-mail.
DEFAULT_ORDER = (Channel.TELEGRAM, Channel.WHATSAPP, Channel.VK, Channel.SMS, Channel.EMAIL)


def contact_kind(channel: str) -> str | None:
    """The kind of contact point a channel writes to (a phone for SMS and calls), None for none."""
    kind: str | None = CONTACT_FOR_CHANNEL.get(channel)  # type: ignore[call-overload]
    return kind


def address_for(customer_id: int, channel: str) -> str:
    """The primary contact of the channel's kind (else the oldest one); "" when the card has none."""
    kind = CONTACT_FOR_CHANNEL.get(channel)  # type: ignore[call-overload]
    if kind is None:
        return ""
    return pick_address(list(ContactPoint.objects.filter(customer_id=customer_id, kind=kind)
                             .order_by("-is_primary", "id").values_list("value", flat=True)), channel)


def pick_address(values: list[str], channel: str) -> str:
    """From the card's contacts of the channel's kind, primary first: the one to write to."""
    if channel == Channel.TELEGRAM:  # a bot can write only to a chat id, not to a @username
        values = [v for v in values if v.isdigit()] + [v for v in values if not v.isdigit()]
    return values[0] if values else ""


def channel_order(customer: Customer, *, wanted: str = "") -> list[str]:
    """The channels to try in order: the one asked for, else the card's preference followed by the default."""
    if wanted:
        return [wanted]
    order = [c for c in customer.preferred_channels or [] if c in Channel.values]
    return order + [c for c in DEFAULT_ORDER if c not in order]


def variables_for(customer: Customer, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The documented template variables (rendering.VARIABLES) as plain strings, plus the caller's values."""
    branch = customer.home_branch
    values: dict[str, Any] = {
        "customer": {"first_name": customer.first_name, "last_name": customer.last_name,
                     "middle_name": customer.middle_name, "full_name": customer.full_name},
        "branch": {"name": branch.name if branch else "", "phone": branch.phone if branch else "",
                   "address": branch.address if branch else ""},
    }
    for key, value in (extra or {}).items():
        if isinstance(value, dict):
            values[key] = {**values.get(key, {}), **{k: str(v) for k, v in value.items()}}
        else:
            values[key] = str(value)
    return values
