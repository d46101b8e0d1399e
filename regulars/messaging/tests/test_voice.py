"""Robocalls through the HTTP voice-call contract (providers/voice_http) against a local stand-in, with the
dispatcher played exactly as the worker plays it, and the signed webhook (call events, the answer key) through the
Django test client."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from conftest import World
from regulars.customers.models import Customer, TimelineEntry
from regulars.messaging.dispatch import message_dispatch, messages_claim
from regulars.messaging.models import InboundMessage, Message, ProviderAccount
from regulars.messaging.providers.base import Outgoing, Sent
from regulars.messaging.providers.voice_http import GATHER_PROMPT, HttpVoiceProvider, signature
from regulars.messaging.services import message_send
from regulars.platform.models import Event

from .helpers import NOON, drain, fresh
from .standin_voice import VoiceApi, voice_signature

pytestmark = pytest.mark.django_db

KEY, SECRET, CALLER = "voice-key", "hook-secret", "+74950000000"
TEXT = "Здравствуйте, {{ customer.first_name }}! Напоминаем о записи завтра."
RENDERED = "Здравствуйте, Иван! Напоминаем о записи завтра."
PHONE = "+79160000001"


class Killed(BaseException):
    """The worker process dies: no `except Exception` of the dispatcher sees it."""


@pytest.fixture
def voice() -> Iterator[VoiceApi]:
    with VoiceApi(api_key=KEY) as server:
        yield server


@pytest.fixture
def account(voice: VoiceApi) -> ProviderAccount:
    return ProviderAccount.objects.create(channel="voice", provider="voice_http", name="Robocall", sender=CALLER,
                                          config={"api_key": KEY, "caller_id": CALLER, "base_url": voice.url,
                                                  "webhook_secret": SECRET, "timeout": 2})


def queue(world: World, customer: Customer, key: str = "visit:1:reminder") -> Message:
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk, channel="voice",
                                    text=TEXT, idempotency_key=key)
    assert created
    return message


def post(account: ProviderAccount, event: dict[str, Any], *, sign: str | None = SECRET) -> Any:
    body = json.dumps(event).encode()
    headers = {} if sign is None else {"X-Signature": voice_signature(sign, body)}
    path = reverse("api:provider_callback", args=[account.pk, account.callback_secret])
    return Client().post(path, body, content_type="application/json", headers=headers)


def at(seconds: int) -> str:
    return (NOON + dt.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_the_signature_is_hmac_sha256_in_hex() -> None:
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    body = b"what do ya want for nothing?"
    expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert signature("Jefe", body) == voice_signature("Jefe", body) == expected


def test_a_reminder_call_is_placed_once_with_our_key(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     voice: VoiceApi, account: ProviderAccount) -> None:
    message = queue(world, ivan)

    assert drain("w") == 1
    assert [(r.path, r.authorization, r.idempotency_key) for r in voice.requests] == [
        ("/api/v1/calls", f"Bearer {KEY}", message.idempotency_key)]
    assert voice.requests[0].document == {
        "to": PHONE, "caller_id": CALLER, "tts": {"text": RENDERED, "voice": "alena"},
        "gather": {"keys": "12", "prompt": GATHER_PROMPT}}
    assert len(voice.calls) == 1
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == (
        "sent", "voice_http", voice.calls[0].call_id)
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False, account.pk)
    assert drain("w") == 0 and len(voice.requests) == 1


def test_the_voice_and_callback_url_are_sent_when_configured(world: World, clock: time_machine.Traveller,
                                                             ivan: Customer, voice: VoiceApi,
                                                             account: ProviderAccount) -> None:
    account.config = {**account.config, "voice": "filipp", "callback_url": "https://crm.example/cb"}
    del account.config["caller_id"]  # the account's sender is the caller number
    account.save()
    queue(world, ivan)

    assert drain("w") == 1
    document = voice.requests[0].document
    assert (document["tts"]["voice"], document["callback_url"], document["caller_id"]) == (
        "filipp", "https://crm.example/cb", CALLER)


def test_a_killed_worker_s_call_is_asked_again_with_the_same_key(world: World, clock: time_machine.Traveller,
                                                                  ivan: Customer, voice: VoiceApi,
                                                                  account: ProviderAccount,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    message = queue(world, ivan)
    claimed = messages_claim(worker_id="dead")
    assert [c.message.pk for c in claimed] == [message.pk]
    real_send = HttpVoiceProvider.send

    def send_then_die(self: HttpVoiceProvider, outgoing: Outgoing, *, config: Any) -> Sent:
        real_send(self, outgoing, config=config)
        raise Killed

    with monkeypatch.context() as patch:  # the service places the call, the worker dies before recording it
        patch.setattr(HttpVoiceProvider, "send", send_then_die)
        with pytest.raises(Killed):
            message_dispatch(claimed[0], worker_id="dead")
    assert len(voice.calls) == 1 and fresh(message).status == "sending"

    assert drain("w2") == 0  # the dead worker's lease still holds
    clock.shift(settings.REGULARS_WORKER_LEASE_SECONDS + 1)
    assert drain("w2") == 1
    message = fresh(message)
    assert (message.status, message.ambiguous, message.attempts, message.locked_by) == ("sent", False, 2, "w2")
    assert [r.idempotency_key for r in voice.requests] == [message.idempotency_key] * 2
    assert len(voice.calls) == 1 and message.provider_message_id == voice.calls[0].call_id
    assert Event.objects.filter(name="message.sent", payload__message_id=message.pk).count() == 1


def test_a_rate_limit_queues_the_call_again_after_retry_after(world: World, clock: time_machine.Traveller,
                                                              ivan: Customer, voice: VoiceApi,
                                                              account: ProviderAccount) -> None:
    voice.rate_limit_next, voice.retry_after = 1, "42"
    message = queue(world, ivan)

    assert drain("w") == 1
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)
    assert message.due_at == NOON + dt.timedelta(seconds=42)
    assert "429" in message.last_error and voice.calls == []

    clock.move_to(message.due_at)
    assert drain("w") == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.attempts) == ("sent", voice.calls[0].call_id, 2)


def test_a_timeout_is_retried_with_the_key_and_places_one_call(world: World, clock: time_machine.Traveller,
                                                                ivan: Customer, voice: VoiceApi,
                                                                account: ProviderAccount) -> None:
    account.config = {**account.config, "timeout": 0.5}
    account.save()
    voice.delay = 3.0  # the call is placed, the answer comes after the client gave up
    message = queue(world, ivan)

    assert drain("w") == 1
    message = fresh(message)
    assert (message.status, message.ambiguous, len(voice.calls)) == ("queued", False, 1)
    assert message.last_error.startswith("voice API did not answer in time")

    voice.delay = 0.0
    clock.move_to(message.due_at)
    assert drain("w") == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.ambiguous) == ("sent", voice.calls[0].call_id, False)
    assert len(voice.requests) == 2 and len(voice.calls) == 1


def test_a_refused_request_fails_the_message(world: World, clock: time_machine.Traveller, ivan: Customer,
                                             voice: VoiceApi, account: ProviderAccount) -> None:
    voice.reject_next = 1
    message = queue(world, ivan)

    assert drain("w") == 1
    message = fresh(message)
    assert (message.status, message.status_reason, message.attempts) == (
        "failed", "voice API HTTP 400: request rejected", 1)
    assert voice.calls == [] and drain("w") == 0


def test_signed_call_events_move_the_status_forward_only(world: World, clock: time_machine.Traveller,
                                                         ivan: Customer, voice: VoiceApi,
                                                         account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain("w")
    call_id = fresh(message).provider_message_id
    answered = {"event": "call.answered", "call_id": call_id, "at": at(40)}

    for sign in (None, "not-the-secret"):
        assert post(account, answered, sign=sign).status_code == 403
    assert fresh(message).status == "sent" and not Event.objects.filter(name="message.delivered").exists()

    answer = post(account, answered)
    assert (answer.status_code, answer.content) == (200, b"ok")
    message = fresh(message)
    assert (message.status, message.delivered_at) == ("delivered", NOON + dt.timedelta(seconds=40))

    late = {"event": "call.failed", "call_id": call_id, "at": at(50), "reason": "busy"}
    assert post(account, late).status_code == 200
    assert post(account, {"event": "call.completed", "call_id": call_id, "at": at(90)}).status_code == 200
    assert fresh(message).status == "delivered"
    assert Event.objects.filter(name="message.delivered", payload__message_id=message.pk).count() == 1


def test_no_answer_fails_the_call_with_the_reason(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                  voice: VoiceApi, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain("w")
    call_id = fresh(message).provider_message_id

    assert post(account, {"event": "call.no_answer", "call_id": call_id, "at": at(60)}).status_code == 200
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", "voice call: no answer")


def test_the_answer_key_lands_on_the_timeline_once(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                   voice: VoiceApi, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    drain("w")
    call_id = fresh(message).provider_message_id
    digits = {"event": "call.digits", "call_id": call_id, "from": PHONE, "digits": "1", "at": at(30)}

    assert post(account, digits, sign="not-the-secret").status_code == 403
    assert not InboundMessage.objects.exists()

    assert post(account, digits).status_code == 200
    assert post(account, digits).status_code == 200  # the service repeated its webhook
    inbound = InboundMessage.objects.get()
    assert (inbound.customer_id, inbound.provider, inbound.provider_message_id, inbound.sender, inbound.text) == (
        ivan.pk, "voice_http", f"{call_id}:digits", PHONE, "1")
    assert inbound.received_at == NOON + dt.timedelta(seconds=30)
    entry = TimelineEntry.objects.get(customer=ivan, kind="message.received")
    assert entry.summary == "Voice call: 1" and entry.data["inbound_id"] == inbound.pk
    assert inbound.channel == "voice"  # the key was pressed during the call, not sent by SMS
    assert Customer.objects.count() == 1
