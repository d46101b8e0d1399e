"""Tying a Telegram chat to a card from the card page, and telling Telegram where to deliver the bot's updates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import World, client_for
from regulars.customers.services import customer_create
from regulars.messaging.inbound import chat_link_token
from regulars.messaging.models import Message, ProviderAccount

from .standin_telegram import TOKEN, TelegramBotApi

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_api() -> Iterator[TelegramBotApi]:
    with TelegramBotApi() as api:
        yield api


def _account(bot_api: TelegramBotApi, **config: str) -> ProviderAccount:
    return ProviderAccount.objects.create(channel="telegram", provider="telegram", name="Bot", config={
        "bot_token": TOKEN, "bot_username": "regulars_demo_bot", "base_url": bot_api.url, **config})


def test_the_card_offers_the_link_and_sends_it_by_sms_once(world: World, bot_api: TelegramBotApi) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Ольга", phones=["+79160000005"])
    operator = client_for(world.operator_a)
    assert b"telegram-link" not in operator.get(f"/customers/{customer.pk}/").content  # no bot configured yet
    _account(bot_api)
    link = f"https://t.me/regulars_demo_bot?start={chat_link_token(customer.pk)}"
    assert link.encode() in operator.get(f"/customers/{customer.pk}/").content
    for _ in range(2):  # a double click sends one SMS
        answer = operator.post(f"/messages/send/{customer.pk}/telegram-link/", {"request_id": "r1"},
                               headers={"HX-Request": "true"})
        assert answer.status_code == 200 and b'data-testid="message-queued"' in answer.content
    message = Message.objects.get()
    # in the customer's language (Russian by default), whoever pressed the button
    assert (message.channel, message.to, message.body) == ("sms", "+79160000005",
                                                            f"Получайте наши сообщения в Telegram: {link}")


def test_an_admin_registers_the_webhook_with_telegram(world: World, bot_api: TelegramBotApi) -> None:
    without_secret = _account(bot_api)
    admin = client_for(world.admin)
    refused = admin.post(f"/messages/channels/{without_secret.pk}/register-webhook/", follow=True)
    assert b"did not accept the webhook" in refused.content and bot_api.webhook is None
    account = _account(bot_api, secret_token="s3cret")
    done = admin.post(f"/messages/channels/{account.pk}/register-webhook/", follow=True)
    assert b"will deliver the bot" in done.content
    assert bot_api.webhook == {
        "url": f"http://testserver/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}",
        "secret_token": "s3cret", "allowed_updates": ["message"]}
    assert client_for(world.manager_a).post(f"/messages/channels/{account.pk}/register-webhook/").status_code == 403
