"""Messages customers send us: matched to their card by the contact, on the timeline, STOP taken at once; a
messenger closed to us (the customer blocked the bot or denied the community's messages) refuses that channel.

A sender no card knows gets a new card in status "to complete" for the back office. A Telegram deep link
(t.me/<bot>?start=<token>, the token from `chat_link_token`) ties the chat to the card that the link was made for.
"""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from regulars.customers.models import Channel, ContactKind, ContactPoint, Customer, Purpose
from regulars.customers.selectors import consents_current, customer_lookup
from regulars.customers.services import consent_set, contact_add, customer_create, normalize_contact
from regulars.platform.actor import Actor
from regulars.platform.events import publish

from .models import InboundMessage
from .providers.base import Inbound, Reachability
from .services import channel_label

STOP_WORDS = {"stop", "стоп", "unsubscribe", "отписаться", "отписка"}
LINK_SALT = "regulars.messaging.chat-link"
CHANNEL_OF_KIND = {ContactKind.PHONE: Channel.SMS, ContactKind.EMAIL: Channel.EMAIL,
                   ContactKind.TELEGRAM: Channel.TELEGRAM, ContactKind.WHATSAPP: Channel.WHATSAPP,
                   ContactKind.VK: Channel.VK}


def chat_link_token(customer_id: int) -> str:
    """What a deep link carries to tie a messenger chat to this card (signed; Telegram allows 64 characters)."""
    return signing.Signer(salt=LINK_SALT).sign(str(customer_id)).replace(":", "-")[:64]


def _linked_customer(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=LINK_SALT).unsign(token.replace("-", ":", 1)))
    except (signing.BadSignature, ValueError):
        return None


def _card_for(inbound: Inbound, value: str, actor: Actor) -> tuple[Customer, str]:
    if inbound.start_token:
        customer_id = _linked_customer(inbound.start_token)
        if customer_id and Customer.objects.filter(pk=customer_id).exists():
            if not ContactPoint.objects.filter(kind=inbound.contact_kind, value=value).exists():
                contact_add(actor=actor, customer_id=customer_id, kind=inbound.contact_kind, value=value)
            return Customer.objects.get(pk=customer_id), "linked"
    holder = customer_lookup(kind=inbound.contact_kind, value=value)  # the card's own lookup, as caller id does
    if holder is not None:
        return holder, ""
    first, _sep, last = inbound.sender_name.partition(" ")
    kind = inbound.contact_kind
    card = customer_create(actor=actor, first_name=first[:100], last_name=last[:100],
                           status=Customer.Status.TO_COMPLETE, phones=[value] if kind == "phone" else [],
                           emails=[value] if kind == "email" else [], telegram=[value] if kind == "telegram" else [],
                           whatsapp=[value] if kind == "whatsapp" else [], vk=[value] if kind == "vk" else [])
    return card, "new_card"


def message_receive(*, provider: str, inbound: Inbound) -> InboundMessage | None:
    """Record one inbound message (once per provider id); None when it was already recorded or has no sender."""
    try:
        value = normalize_contact(inbound.contact_kind, inbound.sender)
    except ValueError:
        return None
    if InboundMessage.objects.filter(provider=provider, provider_message_id=inbound.provider_message_id).exists():
        return None
    actor = Actor.system(f"inbound:{provider}")
    channel = inbound.channel or CHANNEL_OF_KIND.get(inbound.contact_kind, Channel.SMS)  # type: ignore[call-overload]
    try:
        with transaction.atomic():
            customer, effect = _card_for(inbound, value, actor)
            if inbound.text.strip().lower().strip(".!") in STOP_WORDS:
                consent_set(actor=actor, customer_id=customer.pk, channel=channel, purpose=Purpose.MARKETING,
                            granted=False, source=_("%(word)s reply in %(channel)s") % {
                                "word": inbound.text.strip()[:20], "channel": channel})
                effect = "unsubscribed"
            message = InboundMessage.objects.create(
                customer=customer, channel=channel, provider=provider,
                provider_message_id=inbound.provider_message_id[:200], sender=value[:255],
                sender_name=inbound.sender_name[:200], text=inbound.text, received_at=inbound.at, effect=effect)
            publish("message.received", subject_type="customer", subject_id=customer.pk,
                    payload={"customer_id": customer.pk, "summary": f"{channel_label(channel)}: {inbound.text[:120]}",
                             "inbound_id": message.pk, "channel": channel, "effect": effect},
                    actor=actor, occurred_at=inbound.at)
    except IntegrityError:  # the same webhook delivered twice at once: the first one recorded it
        return None
    return message


def reachability_apply(*, provider: str, update: Reachability) -> bool:
    """The customer closed a messenger to us: service and advertising messages are refused in that channel (queued
    ones are held back at send time and go in the next channel). Reopened: service messages are allowed again;
    advertising waits for a consent of its own. Returns whether a card knew the sender (no card is made for one)."""
    try:
        value = normalize_contact(update.contact_kind, update.sender)
    except ValueError:
        return False
    holder = customer_lookup(kind=update.contact_kind, value=value)
    channel = CHANNEL_OF_KIND.get(update.contact_kind)  # type: ignore[call-overload]
    if holder is None or channel is None:
        return False
    actor = Actor.system(f"inbound:{provider}")
    label = channel_label(channel)
    with transaction.atomic():
        if update.allowed:
            refused = consents_current(holder.pk).get((channel, Purpose.SERVICE))
            if refused is None or refused.granted:
                return True  # nothing of ours was closed
            consent_set(actor=actor, customer_id=holder.pk, channel=channel, purpose=Purpose.SERVICE, granted=True,
                        source=_("%(channel)s opened again by the customer") % {"channel": label})
        else:
            for purpose in (Purpose.SERVICE, Purpose.MARKETING):
                consent_set(actor=actor, customer_id=holder.pk, channel=channel, purpose=purpose, granted=False,
                            source=_("%(channel)s closed by the customer") % {"channel": label})
    return True
