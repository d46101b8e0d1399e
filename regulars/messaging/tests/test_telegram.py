"""The Telegram Bot API provider against a local stand-in, with the dispatcher played exactly as the worker plays it,
and its webhook fed the Updates Telegram POSTs.

Sending: one sendMessage per message, our id "<chat>:<message id>", a rate limit waited out to the second, 5xx and
timeouts retried and flagged, a blocked bot failing over to SMS, a @username that a bot cannot write to. Webhook:
the secret token checked, replies on the card once, a deep link tying a new chat to its card, STOP, strangers."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from conftest import World
from regulars.customers.models import ContactPoint, Customer, TimelineEntry
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set, customer_create, customer_update
from regulars.messaging.inbound import chat_link_token
from regulars.messaging.models import InboundMessage, Message, ProviderAccount
from regulars.messaging.providers import provider
from regulars.messaging.providers.base import WebhookRequest
from regulars.messaging.providers.telegram import NOT_STARTED, deep_link, set_webhook
from regulars.messaging.services import message_send
from regulars.platform.models import Event

from .helpers import NOON, drain, fresh
from .standin_telegram import TOKEN, TelegramBotApi, update
from .standins import SmsGateway

pytestmark = pytest.mark.django_db

TEXT = "{{ customer.first_name }}, ваш заказ готов"
RENDERED = "Иван, ваш заказ готов"
SECRET = "webhook-secret_42"
CHAT = 123456789
AT = int(NOON.timestamp()) - 30  # when the customer wrote, by Telegram's clock
Hook = Callable[..., Any]


@pytest.fixture
def api() -> Iterator[TelegramBotApi]:
    with TelegramBotApi() as server:
        yield server


@pytest.fixture
def account(api: TelegramBotApi) -> ProviderAccount:
    return ProviderAccount.objects.create(channel="telegram", provider="telegram", name="Bot", config={
        "bot_token": TOKEN, "bot_username": "RegularsShopBot", "secret_token": SECRET, "base_url": api.url,
        "timeout": 2})


@pytest.fixture
def ivan(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Иван", last_name="Петров",
                           phones=["+79160000001"], telegram=[str(CHAT)])


def queue(world: World, customer: Customer, key: str = "order:1:ready", **options: Any) -> Message:
    options = {"channel": "telegram", "text": TEXT, **options}
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk,
                                    idempotency_key=key, **options)
    assert created
    return message


def test_a_message_goes_to_the_chat_once_with_telegrams_id(world: World, clock: time_machine.Traveller,
                                                           ivan: Customer, api: TelegramBotApi,
                                                           account: ProviderAccount) -> None:
    message = queue(world, ivan)
    assert (message.status, message.to) == ("queued", str(CHAT))

    assert drain() == 1
    assert api.requests == [{"chat_id": CHAT, "text": RENDERED}]
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == ("sent", "telegram", f"{CHAT}:1")
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False, account.pk)
    assert Event.objects.filter(name="message.sent", payload__message_id=message.pk).count() == 1
    assert drain() == 0 and len(api.requests) == 1


def test_a_rate_limit_is_waited_out_exactly(world: World, clock: time_machine.Traveller, ivan: Customer,
                                            api: TelegramBotApi, account: ProviderAccount) -> None:
    api.retry_after_next = 7
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)  # 429: nothing was sent
    assert (message.due_at, message.last_error) == (NOON + dt.timedelta(seconds=7),
                                                    "Telegram: Too Many Requests: retry after 7")
    clock.move_to(NOON + dt.timedelta(seconds=6))
    assert drain() == 0

    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.attempts) == ("sent", f"{CHAT}:1", 2)
    assert api.requests == [{"chat_id": CHAT, "text": RENDERED}] * 2


@pytest.mark.parametrize("trouble", ["500", "timeout"])
def test_a_server_error_or_a_timeout_is_retried_and_flagged(world: World, clock: time_machine.Traveller,
                                                            ivan: Customer, api: TelegramBotApi,
                                                            account: ProviderAccount, trouble: str) -> None:
    if trouble == "500":
        api.fail_next = 1
    else:
        account.config = {**account.config, "timeout": 1}
        account.save()
        api.delay = 3  # the stand-in's thread is released when it stops; nobody waits for it
    message = queue(world, ivan)

    started = time.monotonic()
    assert drain() == 1
    assert time.monotonic() - started < 2.5
    message = fresh(message)
    # Telegram may have delivered it, and the Bot API takes no idempotency key: maybe twice.
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, True)
    assert message.due_at == NOON + dt.timedelta(seconds=15)
    assert message.last_error == {"500": "Telegram HTTP 500: Internal Server Error",
                                  "timeout": "Telegram did not answer in time"}[trouble]
    assert TOKEN not in message.last_error

    api.delay = 0
    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id) == ("sent", f"{CHAT}:{api.message_ids[-1]}")
    assert len(api.requests) == 2


@pytest.mark.parametrize(("refusal", "reason"), [
    ("blocked", "Forbidden: bot was blocked by the user"),
    ("missing", "Bad Request: chat not found"),
    ("token", "the bot token was refused: Unauthorized"),
])
def test_a_refusal_fails_the_message_and_falls_back_to_sms(world: World, clock: time_machine.Traveller,
                                                          ivan: Customer, api: TelegramBotApi,
                                                          account: ProviderAccount, gateway: SmsGateway,
                                                          refusal: str, reason: str) -> None:
    ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru",
                                   config={"api_id": "k", "base_url": gateway.url, "timeout": 2})
    customer_update(actor=world.actor(world.admin), customer_id=ivan.pk, preferred_channels=["telegram", "sms"])
    if refusal == "blocked":
        api.block_next = True
    elif refusal == "missing":
        api.missing_chats = {CHAT}
    else:
        account.config = {**account.config, "bot_token": "123456:revoked"}
        account.save()
    message = queue(world, ivan, channel="")  # the card's order: Telegram, then SMS

    assert drain() == 2  # the Telegram message, then its SMS
    message = fresh(message)
    assert (message.status, message.status_reason, message.attempts) == ("failed", reason, 1)
    assert len(api.requests) == (0 if refusal == "token" else 1)
    assert Event.objects.filter(name="message.failed", payload__message_id=message.pk).count() == 1
    fallback = Message.objects.get(fallback_of=message)
    assert (fallback.channel, fallback.status, fallback.to, fallback.body) == ("sms", "sent", "+79160000001",
                                                                               RENDERED)
    assert [(r["to"], r["msg"]) for r in gateway.requests] == [("79160000001", RENDERED)]


def test_a_bot_cannot_write_to_a_username(world: World, clock: time_machine.Traveller, api: TelegramBotApi,
                                          account: ProviderAccount) -> None:
    anna = customer_create(actor=world.actor(world.admin), first_name="Анна", telegram=["@Anna_Smirnova"])
    message = queue(world, anna)
    assert message.to == "anna_smirnova"

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", NOT_STARTED)
    assert NOT_STARTED == "the customer has not started a chat with the bot; send them the link"
    assert api.requests == []
    assert not Message.objects.filter(fallback_of=message).exists()  # the channel was asked for: nothing after it


def test_the_deep_link_and_the_webhook_registration(api: TelegramBotApi, account: ProviderAccount) -> None:
    token = chat_link_token(42)
    assert deep_link(account.config, token) == f"https://t.me/RegularsShopBot?start={token}"
    assert deep_link({"bot_username": "@RegularsShopBot"}, "abc_-1") == "https://t.me/RegularsShopBot?start=abc_-1"
    with pytest.raises(ValueError, match="no bot username"):
        deep_link({}, token)
    with pytest.raises(ValueError, match="deep-link token"):
        deep_link(account.config, "has space")

    url = f"https://crm.example.com/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}"
    set_webhook(account.config, url)
    assert api.webhook == {"url": url, "secret_token": SECRET, "allowed_updates": ["message"]}
    with pytest.raises(ValueError, match="secret token"):
        set_webhook({**account.config, "secret_token": ""}, url)


# The webhook


@pytest.fixture
def hook(account: ProviderAccount) -> Hook:
    """POST an Update to the account's webhook URL as Telegram does, with this secret token (None: no header)."""
    url = f"/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}"

    def post(body: dict[str, Any] | bytes, secret: str | None = SECRET) -> Any:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
        return Client().post(url, data, content_type="application/json", headers=headers)

    return post


def test_the_webhook_refuses_a_wrong_or_missing_secret_token(world: World, ivan: Customer,
                                                             account: ProviderAccount, hook: Hook) -> None:
    for secret in (None, "", "wrong", SECRET + "x"):
        assert hook(update(CHAT, "Буду в 10", date=AT), secret=secret).status_code == 403
    account.config = {k: v for k, v in account.config.items() if k != "secret_token"}
    account.save()
    for secret in (None, "", SECRET):  # no secret configured: nobody can prove to be Telegram
        assert hook(update(CHAT, "Буду в 10", date=AT), secret=secret).status_code == 403
    assert not InboundMessage.objects.exists() and Customer.objects.count() == 1


def test_a_message_from_a_known_chat_lands_on_its_card_once(world: World, ivan: Customer, hook: Hook) -> None:
    body = update(CHAT, "Буду в 10", message_id=42, date=AT, first_name="Иван", last_name="Петров")
    for _ in range(2):  # Telegram repeats an update it is not sure we got
        response = hook(body)
        assert (response.status_code, response.content) == (200, b"ok")
    received = InboundMessage.objects.get()
    assert (received.customer_id, received.channel, received.provider, received.provider_message_id) == (
        ivan.pk, "telegram", "telegram", f"{CHAT}:42")
    assert (received.sender, received.sender_name, received.text, received.effect) == (
        str(CHAT), "Иван Петров", "Буду в 10", "")
    assert received.received_at == dt.datetime.fromtimestamp(AT, tz=dt.UTC)
    entry = TimelineEntry.objects.get(customer=ivan, kind="message.received")
    assert entry.summary.endswith(": Буду в 10") and entry.occurred_at == received.received_at
    assert Customer.objects.count() == 1


def test_a_start_link_ties_a_new_chat_to_its_card(world: World, clock: time_machine.Traveller, api: TelegramBotApi,
                                                  account: ProviderAccount, hook: Hook) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Иван", phones=["+79160000001"])
    assert hook(update(555000111, f"/start {chat_link_token(customer.pk)}", date=AT)).status_code == 200
    received = InboundMessage.objects.get()
    assert (received.customer_id, received.effect, received.text) == (customer.pk, "linked", "/start")
    assert list(ContactPoint.objects.filter(customer=customer, kind="telegram").values_list("value", flat=True)) == [
        "555000111"]
    assert Customer.objects.count() == 1

    message = queue(world, customer)  # the card can be written to in Telegram now
    assert drain() == 1
    assert api.requests == [{"chat_id": 555000111, "text": RENDERED}]
    assert fresh(message).status == "sent"


@pytest.mark.parametrize("word", ["STOP", "стоп"])
def test_stop_refuses_advertising_in_telegram(world: World, ivan: Customer, hook: Hook, word: str) -> None:
    for channel in ("telegram", "sms"):
        consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel=channel, purpose="marketing",
                    granted=True, source="form")
    assert hook(update(CHAT, word, date=AT)).status_code == 200
    assert InboundMessage.objects.get().effect == "unsubscribed"
    current = consents_current(ivan.pk)
    assert current[("telegram", "marketing")].granted is False
    assert current[("sms", "marketing")].granted is True


def test_an_unknown_chat_gets_a_card_to_complete(world: World, ivan: Customer, hook: Hook) -> None:
    assert hook(update(987654321, "Сколько стоит ТО?", date=AT, first_name="Анна", last_name="Смирнова")
                ).status_code == 200
    received = InboundMessage.objects.get()
    card = Customer.objects.get(pk=received.customer_id)
    assert card.pk != ivan.pk and received.effect == "new_card"
    assert (card.status, card.first_name, card.last_name) == ("to_complete", "Анна", "Смирнова")
    assert list(card.contacts.values_list("kind", "value")) == [("telegram", "987654321")]


def test_what_is_not_a_private_message_is_answered_and_dropped(world: World, ivan: Customer, hook: Hook) -> None:
    edited = update(CHAT, "Буду в 11", date=AT)
    edited["edited_message"] = edited.pop("message")
    no_chat = update(CHAT, "hi", date=AT)
    no_chat["message"]["chat"] = {"type": "private"}
    for body in (b"not json", b"\xff\xfe", b"[]", b"{}", edited, no_chat, update(-100200300, "всем привет",
                                                                                  chat_type="supergroup")):
        response = hook(body)
        assert (response.status_code, response.content) == (200, b"ok")
    assert not InboundMessage.objects.exists() and Customer.objects.count() == 1


def test_updates_are_parsed_as_the_bot_api_documents_them() -> None:
    telegram = provider("telegram")

    def parsed(message: dict[str, Any]) -> Any:
        body = json.dumps({"update_id": 9, "message": {"message_id": 3, "chat": {"id": 77, "type": "private"},
                                                       "date": AT, **message}}).encode()
        request = WebhookRequest(method="POST", query={}, headers={"x-telegram-bot-api-secret-token": "s"},
                                 body=body, content_type="application/json")
        [inbound] = telegram.handle_webhook(request, config={"secret_token": "s"}).inbound
        return (inbound.text, inbound.start_token, inbound.sender_name)

    assert parsed({"text": "/start@RegularsShopBot abc-1_2"}) == ("/start", "abc-1_2", "")
    assert parsed({"text": "/start"}) == ("/start", "", "")
    assert parsed({"text": "/start not*a*token"}) == ("/start", "", "")
    assert parsed({"photo": [{"file_id": "x"}], "caption": "Вот царапина"}) == ("Вот царапина", "", "")
    assert parsed({"voice": {"file_id": "x"}, "from": {"first_name": " Анна "}}) == ("[voice]", "", "Анна")



def test_a_link_makes_a_card_with_a_username_reachable(world: World, clock: time_machine.Traveller,
                                                       api: TelegramBotApi, account: ProviderAccount,
                                                       hook: Hook) -> None:
    anna = customer_create(actor=world.actor(world.admin), first_name="Анна", telegram=["@anna_s"])
    assert hook(update(555000111, f"/start {chat_link_token(anna.pk)}", date=AT)).status_code == 200
    message = queue(world, anna)
    assert drain() == 1
    assert api.requests == [{"chat_id": 555000111, "text": "Анна, ваш заказ готов"}]
    assert fresh(message).status == "sent"


def member_update(status: str, chat_type: str = "private") -> dict[str, Any]:
    """What Telegram sends when the user blocks ("kicked") or restarts ("member") the bot."""
    return {"update_id": 7, "my_chat_member": {
        "chat": {"id": CHAT, "type": chat_type}, "from": {"id": CHAT, "first_name": "Иван"}, "date": AT,
        "old_chat_member": {"status": "member" if status == "kicked" else "kicked", "user": {"id": 1, "is_bot": True}},
        "new_chat_member": {"status": status, "user": {"id": 1, "is_bot": True}}}}


def test_blocking_the_bot_refuses_telegram_until_the_chat_is_started_again(world: World, ivan: Customer,
                                                                          hook: Hook) -> None:
    assert hook(member_update("kicked", chat_type="group")).status_code == 200  # a group is not the customer
    assert consents_current(ivan.pk) == {}
    assert hook(member_update("kicked"), secret="wrong").status_code == 403
    assert consents_current(ivan.pk) == {}

    assert hook(member_update("kicked")).status_code == 200
    current = consents_current(ivan.pk)
    assert (current[("telegram", "service")].granted, current[("telegram", "marketing")].granted) == (False, False)
    assert hook(member_update("member")).status_code == 200
    current = consents_current(ivan.pk)
    assert (current[("telegram", "service")].granted, current[("telegram", "marketing")].granted) == (True, False)
    assert not InboundMessage.objects.exists()  # a change of membership is no message
