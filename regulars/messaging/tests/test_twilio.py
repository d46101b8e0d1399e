"""Twilio SMS against a local stand-in of its Messages API, with the dispatcher played exactly as the worker plays
it, and Twilio's signed webhooks (status callbacks and incoming messages) through the Django test client."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set
from regulars.messaging.models import InboundMessage, Message, ProviderAccount
from regulars.messaging.providers import provider
from regulars.messaging.providers.base import WebhookRefused, WebhookRequest
from regulars.messaging.providers.sms_twilio import EMPTY_TWIML, signature
from regulars.messaging.services import message_send

from .helpers import NOON, drain, fresh
from .standin_twilio import TwilioApi, twilio_signature
from .standins import SmsGateway

pytestmark = pytest.mark.django_db

SID, TOKEN, FROM = "AC" + "0" * 32, "tok", "+15005550006"
TEXT = "{{ customer.first_name }}, ваш заказ готов"
RENDERED = "Иван, ваш заказ готов"
FORM = "application/x-www-form-urlencoded"
PHONE = "+79160000001"


@pytest.fixture
def twilio() -> Iterator[TwilioApi]:
    with TwilioApi(account_sid=SID, auth_token=TOKEN) as server:
        yield server


@pytest.fixture
def account(twilio: TwilioApi) -> ProviderAccount:
    account = ProviderAccount.objects.create(channel="sms", provider="sms_twilio", name="Twilio", config={
        "account_sid": SID, "auth_token": TOKEN, "from": FROM, "base_url": twilio.url, "timeout": 2})
    # The URL Twilio is given (the settings page shows it): the one the test client calls, so signatures match.
    account.config["webhook_url"] = "http://testserver" + path_of(account)
    account.save()
    return account


def path_of(account: ProviderAccount) -> str:
    return reverse("api:provider_callback", args=[account.pk, account.callback_secret])


def queue(world: World, customer: Customer, key: str = "order:1:ready") -> Message:
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk, channel="sms",
                                    text=TEXT, idempotency_key=key)
    assert created
    return message


def post(account: ProviderAccount, params: dict[str, str], *, sign: str | None = "right") -> Any:
    """What Twilio POSTs to the account's URL, signed with the auth token (or not, or with the wrong one)."""
    headers = {}
    if sign is not None:
        token = TOKEN if sign == "right" else "not-the-token"
        headers["X-Twilio-Signature"] = twilio_signature(token, account.config["webhook_url"], params)
    return Client().post(path_of(account), urllib.parse.urlencode(params), content_type=FORM, headers=headers)


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "AccountSid": SID,
            "From": FROM, "To": PHONE, "ApiVersion": "2010-04-01", **extra}


def incoming(sender: str, body: str, sid: str = "SM" + "f" * 32) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": SID, "From": sender, "To": FROM,
            "Body": body, "NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


def test_the_signature_is_the_one_twilio_documents() -> None:
    # Twilio's own example (twilio-python's RequestValidator tests): token 12345, this URL, these parameters.
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309",
              "To": "+18005551212"}
    assert signature("12345", url, params.items()) == twilio_signature("12345", url, params) == (
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    twilio = provider("sms_twilio")
    body = urllib.parse.urlencode(params).encode()
    config = {"auth_token": "12345", "webhook_url": url}
    signed = WebhookRequest(method="POST", query={}, headers={"x-twilio-signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8="},
                            body=body, content_type=FORM)
    assert twilio.handle_webhook(signed, config=config).body == EMPTY_TWIML
    with_port = {**config, "webhook_url": "https://mycompany.com:443/myapp.php?foo=1&bar=2"}
    assert twilio.handle_webhook(signed, config=with_port).status == 200  # Twilio may sign without the port
    for refused in ({**config, "auth_token": "54321"}, {"auth_token": "12345"}):  # wrong token; no URL known
        with pytest.raises(WebhookRefused):
            twilio.handle_webhook(signed, config=refused)


def test_a_message_is_sent_once_with_twilios_sid(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                 twilio: TwilioApi, account: ProviderAccount) -> None:
    message = queue(world, ivan)

    assert drain() == 1
    assert [(r.path, r.auth, r.fields) for r in twilio.requests] == [(
        f"/2010-04-01/Accounts/{SID}/Messages.json", (SID, TOKEN),
        {"To": PHONE, "Body": RENDERED, "From": FROM, "StatusCallback": account.config["webhook_url"]})]
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == ("sent", "sms_twilio", twilio.sids[0])
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False, account.pk)
    assert twilio.sids[0].startswith("SM") and len(twilio.sids[0]) == 34
    assert drain() == 0 and len(twilio.requests) == 1


def test_a_messaging_service_sends_without_a_from_number(world: World, clock: time_machine.Traveller,
                                                         ivan: Customer, twilio: TwilioApi,
                                                         account: ProviderAccount) -> None:
    service = "MG" + "1" * 32
    account.config = {**account.config, "from": service}
    del account.config["webhook_url"]  # no status callback configured: none is asked for
    account.save()
    queue(world, ivan)

    assert drain() == 1
    assert twilio.requests[0].fields == {"To": PHONE, "Body": RENDERED, "MessagingServiceSid": service}


def test_a_rate_limit_queues_the_message_again(world: World, clock: time_machine.Traveller, ivan: Customer,
                                               twilio: TwilioApi, account: ProviderAccount) -> None:
    twilio.rate_limit_next = 1
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    # Twilio refused before queueing the SMS: nothing may have gone out, so not ambiguous.
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)
    assert message.last_error == "Twilio HTTP 429 (rate limit): Twilio error 20429: Too Many Requests"
    assert message.due_at == NOON + dt.timedelta(seconds=15)

    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.attempts) == ("sent", twilio.sids[0], 2)
    assert len(twilio.requests) == 2


def test_a_server_error_is_retried_and_flagged(world: World, clock: time_machine.Traveller, ivan: Customer,
                                               twilio: TwilioApi, account: ProviderAccount) -> None:
    twilio.fail_next = 1
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, True)  # it may have been queued
    assert message.last_error == "Twilio HTTP 500: Twilio error 20500: Internal Server Error"


def test_an_invalid_number_fails_with_twilios_reason(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     twilio: TwilioApi, account: ProviderAccount) -> None:
    twilio.invalid_numbers = {PHONE}
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.status_reason == f"Twilio error 21211: The 'To' number {PHONE} is not a valid phone number."
    assert len(twilio.requests) == 1 and drain() == 0


def test_wrong_credentials_fail_at_once(world: World, clock: time_machine.Traveller, ivan: Customer,
                                        twilio: TwilioApi, account: ProviderAccount) -> None:
    account.config = {**account.config, "auth_token": "wrong"}
    account.save()
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", "bad credentials")
    assert twilio.requests[0].auth == (SID, "wrong") and twilio.sids == []


def test_the_account_with_the_lower_priority_number_sends(world: World, clock: time_machine.Traveller,
                                                          ivan: Customer, twilio: TwilioApi, gateway: SmsGateway,
                                                          account: ProviderAccount) -> None:
    smsru = ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru", priority=5,
                                           config={"api_id": "k", "base_url": gateway.url, "timeout": 2})
    assert account.priority == 10
    first = queue(world, ivan, key="k1")
    assert drain() == 1
    assert (fresh(first).provider, fresh(first).account_id) == ("sms_smsru", smsru.pk)
    assert len(gateway.requests) == 1 and twilio.requests == []

    ProviderAccount.objects.filter(pk=account.pk).update(priority=1)
    second = queue(world, ivan, key="k2")
    assert drain() == 1
    assert (fresh(second).provider, fresh(second).provider_message_id) == ("sms_twilio", twilio.sids[0])
    assert len(gateway.requests) == 1 and len(twilio.requests) == 1


def test_signed_status_callbacks_move_the_status_forward_only(world: World, clock: time_machine.Traveller,
                                                              ivan: Customer, twilio: TwilioApi,
                                                              account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    sid = fresh(message).provider_message_id

    for sign in (None, "wrong"):
        assert post(account, callback(sid, "delivered"), sign=sign).status_code == 403
    tampered = callback(sid, "delivered")
    headers = {"X-Twilio-Signature": twilio_signature(TOKEN, account.config["webhook_url"], tampered)}
    changed = urllib.parse.urlencode({**tampered, "MessageStatus": "failed"})
    assert Client().post(path_of(account), changed, content_type=FORM, headers=headers).status_code == 403
    assert fresh(message).status == "sent" and fresh(message).delivered_at is None

    clock.shift(40)
    answer = post(account, callback(sid, "delivered"))
    assert (answer.status_code, answer["Content-Type"], answer.content) == (200, "text/xml", EMPTY_TWIML)
    message = fresh(message)
    assert (message.status, message.delivered_at) == ("delivered", NOON + dt.timedelta(seconds=40))

    assert post(account, callback(sid, "sent")).status_code == 200  # an older report arriving late
    assert post(account, callback(sid, "undelivered", ErrorCode="30005")).status_code == 200  # stale after delivery
    assert fresh(message).status == "delivered"


def test_undelivered_after_sent_fails_with_the_error_code(world: World, clock: time_machine.Traveller,
                                                          ivan: Customer, twilio: TwilioApi,
                                                          account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    sid = fresh(message).provider_message_id

    assert post(account, callback(sid, "sent")).status_code == 200
    assert fresh(message).status == "sent"
    assert post(account, callback(sid, "undelivered", ErrorCode="30005")).status_code == 200
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", "Twilio error 30005: unknown destination handset")


def test_a_signed_stop_reply_refuses_sms_advertising(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     account: ProviderAccount) -> None:
    consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel="sms", purpose="marketing",
                granted=True, source="form")

    assert post(account, incoming(PHONE, "STOP"), sign="wrong").status_code == 403
    assert consents_current(ivan.pk)[("sms", "marketing")].granted and not InboundMessage.objects.exists()

    answer = post(account, incoming(PHONE, "STOP"))
    assert (answer.status_code, answer.content) == (200, EMPTY_TWIML)
    assert consents_current(ivan.pk)[("sms", "marketing")].granted is False
    inbound = InboundMessage.objects.get()
    assert (inbound.customer_id, inbound.provider, inbound.sender, inbound.text, inbound.effect) == (
        ivan.pk, "sms_twilio", PHONE, "STOP", "unsubscribed")
    assert inbound.provider_message_id == "SM" + "f" * 32 and inbound.received_at == NOON


def test_a_message_from_an_unknown_number_makes_a_card_to_complete(world: World, clock: time_machine.Traveller,
                                                                   ivan: Customer, account: ProviderAccount) -> None:
    stranger = "+79169998877"
    assert post(account, incoming(stranger, "Сколько стоит ТО?")).status_code == 200
    assert post(account, incoming(stranger, "Сколько стоит ТО?")).status_code == 200  # Twilio retried its webhook
    inbound = InboundMessage.objects.get()
    card = Customer.objects.get(pk=inbound.customer_id)
    assert card.pk != ivan.pk and (card.status, inbound.effect) == ("to_complete", "new_card")
    assert list(card.contacts.values_list("kind", "value")) == [("phone", stranger)]
