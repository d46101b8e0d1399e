"""Tying a customer's Telegram chat to their card: the deep link, and sending it by SMS from the card.

A bot can write only to chats that were started with it. The link t.me/<bot>?start=<token> starts one; the token
(`inbound.chat_link_token`) tells the webhook which card the chat belongs to."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from regulars.customers.models import Customer
from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from .inbound import chat_link_token
from .models import Message, ProviderAccount
from .providers.telegram import deep_link, set_webhook
from .services import message_send


def telegram_account() -> ProviderAccount | None:
    return (ProviderAccount.objects.filter(channel="telegram", provider="telegram", is_active=True)
            .order_by("priority", "id").first())


def telegram_link(customer_id: int) -> str:
    """The customer's deep link, or "" when no Telegram bot with a username is configured."""
    account = telegram_account()
    if account is None:
        return ""
    try:
        return deep_link(account.config, chat_link_token(customer_id))
    except ValueError:
        return ""


def telegram_link_send(*, actor: Actor, customer_id: int, request_id: str) -> Message:
    """The link by SMS (a service message: the customer asked to be told in Telegram). Sent once per request id."""
    link = telegram_link(customer_id)
    if not link:
        raise ValidationFailed(_("No Telegram bot is configured"), fields={"telegram": _(
            "add a Telegram account with the bot's username under Messages → Channels")})
    language = Customer.objects.filter(pk=customer_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):  # in the customer's language
        text = _("Get our messages in Telegram: %(link)s") % {"link": link}
    message, _created = message_send(actor=actor, customer_id=customer_id, channel="sms", source="card:telegram-link",
                                     text=text, idempotency_key=f"telegram-link:{customer_id}:{request_id}")
    return message


def telegram_webhook_register(*, account: ProviderAccount, url: str) -> None:
    """Ask Telegram to deliver the bot's updates to this installation (ValueError or a provider error on refusal)."""
    set_webhook(account.config, url)
