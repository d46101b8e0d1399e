"""The providers against local stand-ins, with the dispatcher played exactly as the worker plays it.

SMS.ru gateway: one send per message, the gateway's id kept, delivery reports applied forward only, retries with
back-off that end in the next channel, permanent refusals, timeouts, a worker killed after the gateway took the
message. SMTP: what reaches the server, RFC 8058 one-click unsubscribe for advertising only, a refused recipient."""

from __future__ import annotations

import datetime as dt
import time
import urllib.parse
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import resolve, reverse

from conftest import World
from regulars.customers.models import Customer, TimelineEntry
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set, customer_update
from regulars.messaging.dispatch import message_dispatch, messages_claim, messages_dispatch_due
from regulars.messaging.models import Message, ProviderAccount
from regulars.messaging.providers.base import Outgoing, Sent
from regulars.messaging.providers.sms_smsru import SmsRuProvider
from regulars.messaging.services import message_send
from regulars.platform.models import Event

from .helpers import NOON, drain, fresh
from .standins import SmsGateway, SmtpSink

pytestmark = pytest.mark.django_db

TEXT = "{{ customer.first_name }}, ваш заказ готов"
RENDERED = "Иван, ваш заказ готов"
FORM = "application/x-www-form-urlencoded"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def sms_account(gateway: SmsGateway) -> ProviderAccount:
    return ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru", sender="Regulars",
                                          config={"api_id": "k", "base_url": gateway.url, "timeout": 2})


def queue(world: World, customer: Customer, key: str = "order:1:ready", **options: Any) -> Message:
    options = {"channel": "sms", "text": TEXT, **options}
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk,
                                    idempotency_key=key, **options)
    assert created
    return message


def report(url: str, sms_id: str, code: int, at: dt.datetime) -> Any:
    """What the gateway POSTs to the callback URL: urlencoded `data[N]` lines."""
    body = urllib.parse.urlencode({"data[0]": f"sms_status\n{sms_id}\n{code}\n{int(at.timestamp())}"})
    return Client().post(url, body, content_type=FORM)


def test_a_message_is_sent_once_with_the_gateways_id(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     gateway: SmsGateway, sms_account: ProviderAccount) -> None:
    message = queue(world, ivan)
    assert (message.status, message.to, message.body) == ("queued", "+79160000001", RENDERED)

    assert drain() == 1
    assert gateway.requests == [{"api_id": "k", "to": "79160000001", "msg": RENDERED, "json": "1", "from": "Regulars"}]
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == ("sent", "sms_smsru", gateway.sms_ids[0])
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False,
                                                                                          sms_account.pk)
    assert Event.objects.filter(name="message.sent", payload__message_id=message.pk).count() == 1

    again, created = message_send(actor=world.actor(world.operator_a), customer_id=ivan.pk, channel="sms",
                                  text="Совсем другой текст", idempotency_key="order:1:ready")
    assert (again.pk, created) == (message.pk, False)
    assert drain() == 0
    assert len(gateway.requests) == 1 and Message.objects.count() == 1


def test_delivery_reports_move_the_status_forward_once(world: World, clock: time_machine.Traveller,
                                                       ivan: Customer, gateway: SmsGateway,
                                                       sms_account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain()
    sms_id = fresh(message).provider_message_id
    url = f"/api/v1/messaging/callbacks/{sms_account.pk}/{sms_account.callback_secret}"
    delivered_at = NOON + dt.timedelta(seconds=40)

    for wrong in (f"/api/v1/messaging/callbacks/{sms_account.pk}/not-the-secret",
                  f"/api/v1/messaging/callbacks/{sms_account.pk + 1}/{sms_account.callback_secret}"):
        assert report(wrong, sms_id, 103, delivered_at).status_code == 404
    assert fresh(message).status == "sent" and not Event.objects.filter(name="message.delivered").exists()

    response = report(url, sms_id, 103, delivered_at)
    assert (response.status_code, response.content) == (200, b"100")
    message = fresh(message)
    assert (message.status, message.delivered_at) == ("delivered", delivered_at)
    event = Event.objects.get(name="message.delivered")
    assert event.payload["message_id"] == message.pk and event.payload["status"] == "delivered"
    entry = TimelineEntry.objects.get(customer=ivan, kind="message.delivered")
    assert entry.event_id == event.pk

    again = report(url, sms_id, 103, delivered_at + dt.timedelta(seconds=5))  # the gateway repeats itself
    assert (again.status_code, again.content) == (200, b"100")
    late_sent = report(url, sms_id, 102, NOON + dt.timedelta(seconds=10))  # an older report arriving late
    assert late_sent.status_code == 200
    message = fresh(message)
    assert (message.status, message.delivered_at) == ("delivered", delivered_at)
    assert Event.objects.filter(name="message.delivered").count() == 1
    assert TimelineEntry.objects.filter(customer=ivan, kind="message.delivered").count() == 1


def test_gateway_errors_back_off_then_fail_over_to_email(world: World, clock: time_machine.Traveller,
                                                        ivan: Customer, gateway: SmsGateway,
                                                        sms_account: ProviderAccount,
                                                        mailoutbox: list[EmailMessage]) -> None:
    customer_update(actor=world.actor(world.admin), customer_id=ivan.pk, preferred_channels=["sms", "email"])
    gateway.fail_next = 5
    message = queue(world, ivan, key="promo:1", channel="")  # no channel: the card's order decides
    assert (message.channel, message.next_channels[0]) == ("sms", "email")

    now = NOON
    for attempt, delay in enumerate((15, 30, 60, 120), start=1):
        assert drain() == 1
        message = fresh(message)
        # A 5xx may come after the gateway queued the SMS, and SMS.ru takes no idempotency key: maybe sent twice.
        assert (message.status, message.attempts, message.ambiguous) == ("queued", attempt, True)
        assert (message.due_at, message.last_error) == (now + dt.timedelta(seconds=delay), "gateway HTTP 500")
        assert drain() == 0  # nothing before its time
        now = message.due_at
        clock.move_to(now)

    assert Message.objects.count() == 1
    assert messages_dispatch_due(worker_id="w1") == 1  # the fifth attempt, the last one
    message = fresh(message)
    assert (message.status, message.attempts) == ("failed", 5)
    assert message.status_reason == "gave up after 5 attempts: gateway HTTP 500"
    assert len(gateway.requests) == 5
    fallback = Message.objects.get(fallback_of=message)
    assert (fallback.channel, fallback.status, fallback.to, fallback.body) == ("email", "queued", "ivan@example.com",
                                                                               RENDERED)
    assert fallback.idempotency_key == "promo:1>email"

    assert drain() == 1  # no e-mail account: Django's own mail settings (the test outbox) carry it
    assert fresh(fallback).status == "sent"
    assert [(m.to, m.body) for m in mailoutbox] == [(["ivan@example.com"], RENDERED)]
    assert Event.objects.filter(name="message.failed", payload__message_id=message.pk).count() == 1


def test_a_wrong_api_id_fails_at_once(world: World, clock: time_machine.Traveller, ivan: Customer,
                                      gateway: SmsGateway, sms_account: ProviderAccount) -> None:
    sms_account.config = {**sms_account.config, "api_id": "wrong"}
    sms_account.save()
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.status_reason == "gateway error 200: Неправильный api_id"
    assert [r["api_id"] for r in gateway.requests] == ["wrong"]
    assert not Message.objects.filter(fallback_of=message).exists()  # the channel was asked for: nothing after it
    assert Event.objects.filter(name="message.failed").count() == 1


def test_a_gateway_slower_than_the_timeout_is_retried(world: World, clock: time_machine.Traveller,
                                                      ivan: Customer, gateway: SmsGateway,
                                                      sms_account: ProviderAccount) -> None:
    sms_account.config = {**sms_account.config, "timeout": 1}
    sms_account.save()
    gateway.delay = 3  # the gateway's thread is released when the stand-in stops; nobody waits for it
    message = queue(world, ivan)

    started = time.monotonic()
    assert drain() == 1
    assert time.monotonic() - started < 2.5  # the client gave up at its timeout, not when the gateway answered
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, True)
    assert message.last_error == "gateway did not answer in time"
    assert message.due_at == NOON + dt.timedelta(seconds=15)

    gateway.delay = 0
    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id) == ("sent", gateway.sms_ids[1])
    assert len(gateway.requests) == 2  # the slow one reached the gateway too: that is why it is flagged


class Killed(BaseException):
    """The worker process dies: no `except Exception` of the dispatcher sees it."""


def test_a_message_of_a_killed_worker_is_sent_again_and_flagged(world: World, clock: time_machine.Traveller,
                                                                ivan: Customer, gateway: SmsGateway,
                                                                sms_account: ProviderAccount,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    message = queue(world, ivan)
    claimed = messages_claim(worker_id="dead")
    assert [c.message.pk for c in claimed] == [message.pk]
    message = fresh(message)
    assert (message.status, message.locked_by, message.attempts) == ("sending", "dead", 1)

    real_send = SmsRuProvider.send

    def send_then_die(self: SmsRuProvider, outgoing: Outgoing, *, config: Any) -> Sent:
        real_send(self, outgoing, config=config)
        raise Killed

    with monkeypatch.context() as patch:  # the gateway takes the SMS, the worker dies before recording it
        patch.setattr(SmsRuProvider, "send", send_then_die)
        with pytest.raises(Killed):
            message_dispatch(claimed[0], worker_id="dead")
    assert len(gateway.requests) == 1 and fresh(message).status == "sending"

    assert drain("w2") == 0  # the dead worker's lease still holds
    clock.shift(settings.REGULARS_WORKER_LEASE_SECONDS + 1)
    assert drain("w2") == 1
    message = fresh(message)
    assert (message.status, message.ambiguous, message.attempts, message.locked_by) == ("sent", True, 2, "w2")
    assert message.provider_message_id == gateway.sms_ids[1]
    assert len(gateway.requests) == 2 and gateway.requests[0] == gateway.requests[1]
    assert Event.objects.filter(name="message.sent").count() == 1


def test_a_worker_dying_right_after_taking_it_back_does_not_erase_the_doubt(
        world: World, clock: time_machine.Traveller, ivan: Customer, gateway: SmsGateway,
        sms_account: ProviderAccount, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first worker hands the SMS to the gateway and dies; the second claims it back and dies before it decides
    anything; the third must still know the SMS may have gone."""
    message = queue(world, ivan)
    real_send = SmsRuProvider.send

    def send_then_die(self: SmsRuProvider, outgoing: Outgoing, *, config: Any) -> Sent:
        real_send(self, outgoing, config=config)
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(SmsRuProvider, "send", send_then_die)
        with pytest.raises(Killed):
            message_dispatch(messages_claim(worker_id="first")[0], worker_id="first")
    clock.shift(settings.REGULARS_WORKER_LEASE_SECONDS + 1)
    [taken_back] = messages_claim(worker_id="second")  # … and the second worker dies here
    assert taken_back.outcome_unknown
    clock.shift(settings.REGULARS_WORKER_LEASE_SECONDS + 1)
    assert drain("third") == 1
    message = fresh(message)
    assert (message.status, message.ambiguous, message.attempts) == ("sent", True, 3)
    assert len(gateway.requests) == 2  # sent twice, and flagged so


# E-mail over SMTP


@pytest.fixture
def smtp_account(sink: SmtpSink) -> ProviderAccount:
    return ProviderAccount.objects.create(
        channel="email", provider="email", name="SMTP", sender="shop@example.com",
        config={"backend": "django.core.mail.backends.smtp.EmailBackend", "host": "127.0.0.1", "port": sink.port,
                "timeout": 5})


def test_a_service_email_reaches_the_server_once_without_unsubscribe_headers(
        world: World, clock: time_machine.Traveller, ivan: Customer, sink: SmtpSink,
        smtp_account: ProviderAccount) -> None:
    message = queue(world, ivan, key="order:1:mail", channel="email", subject="Заказ №1 готов")

    assert drain() == 1
    assert len(sink.messages) == 1
    received = sink.messages[0]
    assert (received.mail_from, received.rcpt_to) == ("shop@example.com", ["ivan@example.com"])
    parsed = received.parsed
    assert (parsed["Subject"], parsed["From"], parsed["To"]) == ("Заказ №1 готов", "shop@example.com",
                                                                 "ivan@example.com")
    assert parsed.get_content().strip() == RENDERED
    assert "List-Unsubscribe" not in parsed and "List-Unsubscribe-Post" not in parsed
    message = fresh(message)
    assert (message.status, message.provider, message.account_id) == ("sent", "email", smtp_account.pk)
    assert message.provider_message_id == str(parsed["Message-ID"]) == "<order.1.mail@example.com>"
    assert drain() == 0 and len(sink.messages) == 1


def test_advertising_carries_a_one_click_unsubscribe_that_works(world: World, clock: time_machine.Traveller,
                                                                ivan: Customer, sink: SmtpSink,
                                                                smtp_account: ProviderAccount) -> None:
    marketing = ("email", "marketing")
    consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel="email", purpose="marketing",
                granted=True, source="test")
    queue(world, ivan, key="promo:mail", channel="email", purpose="marketing", subject="Скидка 10%")

    assert drain() == 1
    assert len(sink.messages) == 1
    parsed = sink.messages[0].parsed
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(parsed["List-Unsubscribe"]).strip()  # the generator folds the long header: " <…>" after unfolding
    assert link.startswith("<http://") and link.endswith(">")
    url = link[1:-1]
    assert url in parsed.get_content()  # the same link for people, under the text
    path = urllib.parse.urlsplit(url).path
    match = resolve(path)
    assert match.view_name == "messaging:unsubscribe"

    asked = Client().get(path)  # a link scanner opening the URL unsubscribes nobody
    assert asked.status_code == 200 and b'data-testid="unsubscribe-ask"' in asked.content
    assert consents_current(ivan.pk)[marketing].granted

    token = match.kwargs["token"]
    tampered = reverse("messaging:unsubscribe", args=[f"{token[:-1]}{'B' if token.endswith('A') else 'A'}"])
    refused = Client().post(tampered, ONE_CLICK, content_type=FORM)
    assert refused.status_code == 404 and b'data-testid="unsubscribe-bad"' in refused.content
    assert consents_current(ivan.pk)[marketing].granted

    done = Client().post(path, ONE_CLICK, content_type=FORM)  # what the mail client sends (RFC 8058)
    assert done.status_code == 200 and b'data-testid="unsubscribe-done"' in done.content
    current = consents_current(ivan.pk)[marketing]
    assert not current.granted and current.source.startswith("unsubscribe (one-click)")


def test_a_refused_recipient_fails_the_message_with_the_reason(world: World, clock: time_machine.Traveller,
                                                               ivan: Customer, sink: SmtpSink,
                                                               smtp_account: ProviderAccount) -> None:
    sink.refuse = {"ivan@example.com"}
    message = queue(world, ivan, key="order:1:mail", channel="email", subject="Заказ №1 готов")

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.status_reason == ("recipient refused: "
                                     "{'ivan@example.com': (550, b'5.1.1 <ivan@example.com>: mailbox unavailable')}")
    assert sink.messages == []
