"""WhatsApp Cloud API against a local stand-in, with the dispatcher played exactly as the worker plays it, and
Meta's webhook (verification handshake, signed delivery reports and inbound messages) through the test client.

The dispatcher puts no `X-WhatsApp-Template` header on any Outgoing (dispatch._outgoing only adds e-mail
headers), so the template convention is tested on the provider's send() directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from conftest import World
from regulars.customers.models import ContactPoint, Customer, TimelineEntry
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set, customer_create
from regulars.messaging.models import InboundMessage, Message, ProviderAccount
from regulars.messaging.providers import provider
from regulars.messaging.providers.base import Outgoing, PermanentError, TemporaryError
from regulars.messaging.services import message_send
from regulars.platform.models import Event

from .helpers import NOON, drain, fresh
from .standin_whatsapp import WhatsAppCloud, notification, signed, status_value, text_value

pytestmark = pytest.mark.django_db

APP_SECRET = "app-secret-1"
VERIFY_TOKEN = "verify-me"
TEXT = "{{ customer.first_name }}, ваш заказ готов"
RENDERED = "Иван, ваш заказ готов"
T0 = int(NOON.timestamp())


@pytest.fixture
def cloud() -> Iterator[WhatsAppCloud]:
    with WhatsAppCloud() as server:
        yield server


@pytest.fixture
def account(cloud: WhatsAppCloud) -> ProviderAccount:
    return ProviderAccount.objects.create(
        channel="whatsapp", provider="whatsapp", name="WhatsApp",
        config={"access_token": cloud.token, "phone_number_id": cloud.phone_number_id, "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN, "base_url": cloud.url, "timeout": 2})


@pytest.fixture
def ivan(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Иван", last_name="Петров",
                           whatsapp=["+79160000001"])


def queue(world: World, customer: Customer, key: str = "order:1:ready") -> Message:
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk, channel="whatsapp",
                                    text=TEXT, idempotency_key=key)
    assert created
    return message


def url_of(account: ProviderAccount) -> str:
    return f"/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}"


def post(account: ProviderAccount, value: dict[str, Any], *, signature: str | None = None) -> Any:
    body, good = signed(notification(value), APP_SECRET)
    headers = {} if signature == "" else {"X-Hub-Signature-256": good if signature is None else signature}
    return Client().post(url_of(account), body, content_type="application/json", headers=headers)


def test_a_session_message_is_sent_once_with_the_wamid(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                       cloud: WhatsAppCloud, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    assert (message.status, message.to) == ("queued", "+79160000001")

    assert drain() == 1
    assert [(r.path, r.authorization) for r in cloud.requests] == [
        (f"/v21.0/{cloud.phone_number_id}/messages", f"Bearer {cloud.token}")]
    assert cloud.requests[0].json == {"messaging_product": "whatsapp", "to": "79160000001", "type": "text",
                                      "text": {"body": RENDERED}}
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == ("sent", "whatsapp", cloud.wamids[0])
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False, account.pk)
    assert Event.objects.filter(name="message.sent", payload__message_id=message.pk).count() == 1
    assert drain() == 0 and len(cloud.requests) == 1


def test_the_template_header_sends_an_approved_template(cloud: WhatsAppCloud, account: ProviderAccount) -> None:
    whatsapp = provider("whatsapp")
    outgoing = Outgoing(message_id=1, idempotency_key="promo:1", channel="whatsapp", purpose="marketing",
                        to="+79160000001", body="Иван, скидка 10% до пятницы",
                        headers={"X-WhatsApp-Template": "promo_discount"})
    sent = whatsapp.send(outgoing, config=account.config)
    assert sent.provider_message_id == cloud.wamids[0]
    assert cloud.requests[0].json == {
        "messaging_product": "whatsapp", "to": "79160000001", "type": "template",
        "template": {"name": "promo_discount", "language": {"code": "ru"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Иван, скидка 10% до пятницы"}]}]}}

    config = {**account.config, "template_language": "en_US"}
    whatsapp.send(outgoing, config=config)
    assert cloud.requests[1].json["template"]["language"] == {"code": "en_US"}


def test_errors_of_send_are_told_apart(cloud: WhatsAppCloud, account: ProviderAccount) -> None:
    whatsapp = provider("whatsapp")
    outgoing = Outgoing(message_id=1, idempotency_key="k", channel="whatsapp", purpose="service", to="+79160000001",
                        body="Привет")
    cloud.fail_next = 1
    with pytest.raises(TemporaryError) as server_error:
        whatsapp.send(outgoing, config=account.config)
    assert server_error.value.outcome_unknown
    assert str(server_error.value) == "WhatsApp error 1: An unknown error occurred"
    with pytest.raises(PermanentError, match=r"^WhatsApp error 190: Invalid OAuth access token"):
        whatsapp.send(outgoing, config={**account.config, "access_token": "stale"})
    cloud.delay = 3
    with pytest.raises(TemporaryError, match=r"^WhatsApp did not answer in time") as slow:
        whatsapp.send(outgoing, config={**account.config, "timeout": 0.5})
    assert slow.value.outcome_unknown
    assert len(cloud.requests) == 3


def test_a_rate_limit_puts_the_message_back_in_the_queue(world: World, clock: time_machine.Traveller,
                                                         ivan: Customer, cloud: WhatsAppCloud,
                                                         account: ProviderAccount) -> None:
    cloud.rate_limit_next = 1
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    # Refused before it was taken: sending it again cannot reach the customer twice.
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)
    assert message.last_error == "rate limit: WhatsApp error 130429: (#130429) Rate limit hit"
    assert message.due_at == NOON + dt.timedelta(seconds=15)
    assert drain() == 0

    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.attempts) == ("sent", cloud.wamids[0], 2)
    assert len(cloud.requests) == 2


def test_a_server_error_is_retried_and_flagged_ambiguous(world: World, clock: time_machine.Traveller,
                                                         ivan: Customer, cloud: WhatsAppCloud,
                                                         account: ProviderAccount) -> None:
    cloud.fail_next = 1
    message = queue(world, ivan)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.ambiguous, message.last_error) == (
        "queued", True, "WhatsApp error 1: An unknown error occurred")


def test_outside_the_24_hour_window_the_message_fails_with_the_reason(world: World, clock: time_machine.Traveller,
                                                                     ivan: Customer, cloud: WhatsAppCloud,
                                                                     account: ProviderAccount) -> None:
    cloud.reengagement_next = 1
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.status_reason == (
        "WhatsApp error 131047: (#131047) Re-engagement message (Message failed to send because more than 24 hours "
        "have passed since the customer last replied to this number.)")
    assert len(cloud.requests) == 1
    assert not Message.objects.filter(fallback_of=message).exists()  # the channel was asked for: nothing after it
    assert Event.objects.filter(name="message.failed", payload__message_id=message.pk).count() == 1


def test_the_verification_handshake(account: ProviderAccount) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answer = Client().get(url_of(account), query)
    assert (answer.status_code, answer.content) == (200, b"1158201444")

    assert Client().get(url_of(account), {**query, "hub.verify_token": "guess"}).status_code == 403
    assert Client().get(url_of(account), {**query, "hub.mode": "unsubscribe"}).status_code == 403
    assert Client().get(url_of(account), {"hub.challenge": "1"}).status_code == 403
    assert Client().get(f"/api/v1/messaging/callbacks/{account.pk}/wrong", query).status_code == 404


def test_unsigned_or_badly_signed_posts_change_nothing(world: World, clock: time_machine.Traveller,
                                                       ivan: Customer, cloud: WhatsAppCloud,
                                                       account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    wamid = fresh(message).provider_message_id
    delivered = status_value(wamid, "delivered", T0 + 30)
    inbound = text_value("79160000001", "СТОП", "wamid.IN1", T0 + 40)

    for value in (delivered, inbound):
        assert post(account, value, signature="").status_code == 403
        assert post(account, value, signature="sha256=" + "0" * 64).status_code == 403
        assert post(account, value, signature="sha1=deadbeef").status_code == 403
    assert fresh(message).status == "sent"
    assert not InboundMessage.objects.exists() and not Event.objects.filter(name="message.delivered").exists()
    assert ("whatsapp", "marketing") not in consents_current(ivan.pk)

    account.config = {**account.config, "app_secret": "", "verify_token": ""}  # nothing to check against
    account.save()
    body, with_empty_key = signed(notification(inbound), "")
    assert Client().post(url_of(account), body, content_type="application/json",
                         headers={"X-Hub-Signature-256": with_empty_key}).status_code == 403
    assert Client().get(url_of(account), {"hub.mode": "subscribe", "hub.verify_token": "",
                                          "hub.challenge": "1"}).status_code == 403
    assert not InboundMessage.objects.exists()


def test_delivery_reports_move_forward_only_and_once(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     cloud: WhatsAppCloud, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    wamid = fresh(message).provider_message_id

    answer = post(account, status_value(wamid, "delivered", T0 + 30))
    assert (answer.status_code, answer.content) == (200, b"ok")
    assert post(account, status_value(wamid, "sent", T0 + 1)).status_code == 200  # the older report, late
    message = fresh(message)
    assert (message.status, message.delivered_at) == ("delivered", NOON + dt.timedelta(seconds=30))

    assert post(account, status_value(wamid, "delivered", T0 + 35)).status_code == 200  # Meta repeats itself
    assert Event.objects.filter(name="message.delivered").count() == 1
    assert TimelineEntry.objects.filter(customer=ivan, kind="message.delivered").count() == 1

    assert post(account, status_value(wamid, "read", T0 + 60)).status_code == 200
    assert post(account, status_value(wamid, "failed", T0 + 70, error_title="Re-engagement message")).status_code \
        == 200  # a failure after delivery is stale
    assert fresh(message).status == "read"


def test_a_failed_status_carries_the_error_title(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                 cloud: WhatsAppCloud, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    wamid = fresh(message).provider_message_id
    assert post(account, status_value(wamid, "failed", T0 + 5, error_title="Re-engagement message")).status_code \
        == 200
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", "Re-engagement message")


def test_an_inbound_text_lands_on_the_customers_timeline_once(clock: time_machine.Traveller, ivan: Customer,
                                                              account: ProviderAccount) -> None:
    value = text_value("79160000001", "Когда можно забрать?", "wamid.IN1", T0 + 5, name="Ivan P")
    answer = post(account, value)
    assert (answer.status_code, answer.content) == (200, b"ok")
    assert post(account, value).status_code == 200  # a repeated webhook

    inbound = InboundMessage.objects.get()
    assert (inbound.customer_id, inbound.channel, inbound.provider, inbound.provider_message_id) == (
        ivan.pk, "whatsapp", "whatsapp", "wamid.IN1")
    assert (inbound.sender, inbound.sender_name, inbound.text, inbound.effect) == (
        "+79160000001", "Ivan P", "Когда можно забрать?", "")
    assert inbound.received_at == NOON + dt.timedelta(seconds=5)
    entry = TimelineEntry.objects.get(customer=ivan, kind="message.received")
    assert entry.summary.endswith(": Когда можно забрать?")  # after the channel's name
    assert (entry.data["inbound_id"], entry.data["channel"]) == (inbound.pk, "whatsapp")
    assert Customer.objects.count() == 1


def test_stop_refuses_whatsapp_advertising(world: World, clock: time_machine.Traveller, ivan: Customer,
                                          account: ProviderAccount) -> None:
    consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel="whatsapp", purpose="marketing",
                granted=True, source="test")
    assert consents_current(ivan.pk)[("whatsapp", "marketing")].granted

    clock.shift(60)
    assert post(account, text_value("79160000001", "СТОП", "wamid.IN2", T0 + 60)).status_code == 200
    assert not consents_current(ivan.pk)[("whatsapp", "marketing")].granted
    assert InboundMessage.objects.get().effect == "unsubscribed"


def test_an_unknown_number_gets_a_card_to_complete(clock: time_machine.Traveller, ivan: Customer,
                                                   account: ProviderAccount) -> None:
    value = text_value("79031234567", "Здравствуйте, есть запись на субботу?", "wamid.IN3", T0, name="Мария Иванова")
    assert post(account, value).status_code == 200

    card = Customer.objects.exclude(pk=ivan.pk).get()
    assert (card.status, card.first_name, card.last_name) == (Customer.Status.TO_COMPLETE, "Мария", "Иванова")
    assert list(ContactPoint.objects.filter(customer=card).values_list("kind", "value")) == [
        ("whatsapp", "+79031234567")]
    assert InboundMessage.objects.get().effect == "new_card"
    assert TimelineEntry.objects.filter(customer=card, kind="message.received").count() == 1


def test_a_message_naming_an_approved_template_goes_as_that_template(
        world: World, clock: time_machine.Traveller, ivan: Customer, cloud: WhatsAppCloud,
        account: ProviderAccount) -> None:
    message, _ = message_send(actor=world.actor(world.operator_a), customer_id=ivan.pk, channel="whatsapp",
                              text=TEXT, idempotency_key="tpl:1", context={"whatsapp_template": "order_ready"})
    assert drain() == 1
    assert cloud.requests[0].json["type"] == "template"
    assert cloud.requests[0].json["template"]["name"] == "order_ready"
    assert fresh(message).status == "sent"
