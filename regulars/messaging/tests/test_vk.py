"""The VK community messages provider against a local stand-in of messages.send, with the dispatcher played exactly
as the worker plays it, and its Callback API endpoint fed the events VK POSTs.

Sending: one messages.send per message with a random_id derived from our key, VK's own deduplication keeping a
killed worker's message to one delivery (and so not flagged), rate limits and internal errors retried, refusals and
screen names failing with the reason. Callback API: the confirmation string, the secret key, replies on the card,
STOP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from conftest import World
from regulars.customers.models import Consent, Customer, TimelineEntry
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set, customer_create
from regulars.messaging.dispatch import message_dispatch, messages_claim
from regulars.messaging.models import InboundMessage, Message, ProviderAccount
from regulars.messaging.providers.base import Outgoing, Sent
from regulars.messaging.providers.vk import NOT_NUMERIC, VkProvider, random_id
from regulars.messaging.services import message_send
from regulars.platform.models import Event

from .helpers import NOON, drain, fresh
from .standin_vk import GROUP, TOKEN, VkApi, event, message_new

pytestmark = pytest.mark.django_db

TEXT = "{{ customer.first_name }}, ваш заказ готов"
RENDERED = "Иван, ваш заказ готов"
SECRET = "vk-callback-secret_42"
CONFIRMATION = "a1b2c3d4"
USER = 123456
AT = int(NOON.timestamp()) - 30  # when the customer wrote, by VK's clock
KEY = "order:1:ready"
Hook = Callable[..., Any]


@pytest.fixture
def api() -> Iterator[VkApi]:
    with VkApi() as server:
        yield server


@pytest.fixture
def account(api: VkApi) -> ProviderAccount:
    return ProviderAccount.objects.create(channel="vk", provider="vk", name="Community", config={
        "access_token": TOKEN, "group_id": GROUP, "confirmation": CONFIRMATION, "secret_key": SECRET,
        "base_url": api.url, "timeout": 2})


@pytest.fixture
def ivan(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Иван", last_name="Петров",
                           phones=["+79160000001"], vk=[str(USER)])


def queue(world: World, customer: Customer, key: str = KEY, **options: Any) -> Message:
    options = {"channel": "vk", "text": TEXT, **options}
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk,
                                    idempotency_key=key, **options)
    assert created
    return message


def test_random_id_is_a_positive_int32_fixed_by_the_key() -> None:
    ids = {random_id(f"order:{n}:ready") for n in range(2000)}
    assert len(ids) == 2000 and all(1 <= i < 2**31 for i in ids)
    assert random_id(KEY) == random_id(KEY) != random_id(KEY + "x")


def test_a_message_goes_to_the_user_once_with_vks_id(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     api: VkApi, account: ProviderAccount) -> None:
    message = queue(world, ivan)
    assert (message.status, message.to) == ("queued", str(USER))

    assert drain() == 1
    [sent] = api.requests
    assert sent == {"user_id": str(USER), "message": RENDERED, "random_id": str(random_id(KEY)),
                    "access_token": TOKEN, "v": "5.199"}
    assert api.delivered == [(USER, RENDERED, random_id(KEY))]
    message = fresh(message)
    assert (message.status, message.provider, message.provider_message_id) == ("sent", "vk", "1001")
    assert (message.sent_at, message.attempts, message.ambiguous, message.account_id) == (NOON, 1, False, account.pk)
    assert Event.objects.filter(name="message.sent", payload__message_id=message.pk).count() == 1
    assert drain() == 0 and len(api.requests) == 1


class Killed(BaseException):
    """The worker process dies: no `except Exception` of the dispatcher sees it."""


def test_a_killed_workers_message_is_sent_again_and_delivered_once(world: World, clock: time_machine.Traveller,
                                                                   ivan: Customer, api: VkApi,
                                                                   account: ProviderAccount,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    message = queue(world, ivan)
    claimed = messages_claim(worker_id="dead")
    assert [c.message.pk for c in claimed] == [message.pk]
    real_send = VkProvider.send

    def send_then_die(self: VkProvider, outgoing: Outgoing, *, config: Any) -> Sent:
        real_send(self, outgoing, config=config)
        raise Killed

    with monkeypatch.context() as patch:  # VK takes the message, the worker dies before recording it
        patch.setattr(VkProvider, "send", send_then_die)
        with pytest.raises(Killed):
            message_dispatch(claimed[0], worker_id="dead")
    assert len(api.requests) == 1 and fresh(message).status == "sending"

    assert drain("w") == 0  # the dead worker's lease still holds
    clock.shift(settings.REGULARS_WORKER_LEASE_SECONDS + 1)
    assert drain("w") == 1
    message = fresh(message)
    # VK deduplicates by random_id: the second send delivered nothing new, so the row is not "maybe twice".
    assert (message.status, message.ambiguous, message.attempts, message.locked_by) == ("sent", False, 2, "w")
    assert message.provider_message_id == "1001"
    assert len(api.requests) == 2 and api.requests[0] == api.requests[1]
    assert api.requests[0]["random_id"] == str(random_id(KEY))
    assert api.delivered == [(USER, RENDERED, random_id(KEY))]
    assert Event.objects.filter(name="message.sent").count() == 1


@pytest.mark.parametrize(("trouble", "error", "wait"), [
    ("too_many", "VK: Too many requests per second", 1),  # error 6: nothing was sent, try again in a second
    ("internal", "VK: Internal server error", 15),  # error 10 and HTTP 500 after VK delivered it
    ("500", "VK HTTP 500", 15),
])
def test_a_rate_limit_or_an_error_is_retried_and_delivered_once(world: World, clock: time_machine.Traveller,
                                                                ivan: Customer, api: VkApi, account: ProviderAccount,
                                                                trouble: str, error: str, wait: int) -> None:
    api.deliver_anyway = True  # for errors 10 and 500; error 6 never delivers
    api.too_many_next, api.internal_next, api.fail_next = trouble == "too_many", trouble == "internal", int(
        trouble == "500")
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)  # queued again, not flagged
    assert (message.due_at, message.last_error) == (NOON + dt.timedelta(seconds=wait), error)
    assert len(api.delivered) == (0 if trouble == "too_many" else 1)
    clock.move_to(message.due_at)
    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.provider_message_id, message.ambiguous) == ("sent", "1001", False)
    assert len(api.requests) == 2 and len(api.delivered) == 1


@pytest.mark.parametrize(("refusal", "reason"), [
    ("901", "Can't send messages for users without permission"),
    ("token", "the community access token was refused: User authorization failed: invalid access_token (4)."),
])
def test_a_refusal_fails_the_message_with_the_reason(world: World, clock: time_machine.Traveller, ivan: Customer,
                                                     api: VkApi, account: ProviderAccount, refusal: str,
                                                     reason: str) -> None:
    if refusal == "901":
        api.refused_users = {USER}
    else:
        account.config = {**account.config, "access_token": "vk1.a.revoked"}
        account.save()
    message = queue(world, ivan)

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.status_reason, message.attempts) == ("failed", reason, 1)
    assert api.delivered == [] and len(api.requests) == 1
    assert "revoked" not in message.status_reason
    assert Event.objects.filter(name="message.failed", payload__message_id=message.pk).count() == 1


def test_a_screen_name_cannot_be_written_to_an_id_link_can(world: World, clock: time_machine.Traveller, api: VkApi,
                                                            account: ProviderAccount) -> None:
    actor = world.actor(world.admin)
    anna = customer_create(actor=actor, first_name="Анна", vk=["https://vk.com/Anna.Smirnova"])
    olga = customer_create(actor=actor, first_name="Ольга", vk=["https://vk.com/id777"])
    message, linked = queue(world, anna), queue(world, olga, key="order:2:ready")
    assert (message.to, linked.to) == ("anna.smirnova", "777")  # the card keeps vk.com/id777 as user 777

    assert drain() == 2
    message = fresh(message)
    assert (message.status, message.status_reason) == ("failed", NOT_NUMERIC)
    assert "numeric user id" in NOT_NUMERIC
    assert fresh(linked).status == "sent"
    assert [r["user_id"] for r in api.requests] == ["777"]


# The Callback API


@pytest.fixture
def hook(account: ProviderAccount) -> Hook:
    url = f"/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}"

    def post(body: dict[str, Any] | bytes) -> Any:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False)
        return Client().post(url, data, content_type="application/json")

    return post


def test_confirmation_is_answered_other_events_need_the_secret_key(world: World, ivan: Customer,
                                                                   account: ProviderAccount, hook: Hook) -> None:
    response = hook(event("confirmation"))  # VK's confirmation carries no secret: answered with the string
    assert (response.status_code, response.content) == (200, CONFIRMATION.encode())
    assert hook(event("confirmation", group_id=GROUP + 1)).status_code == 403  # another community
    for secret in ("", "wrong", SECRET + "x"):
        assert hook(message_new(USER, "Буду в 10", secret=secret, date=AT)).status_code == 403
    body = message_new(USER, "Буду в 10", secret=SECRET, date=AT)
    del body["secret"]
    assert hook(body).status_code == 403
    assert hook(b"not json").status_code == 403
    account.config = {k: v for k, v in account.config.items() if k != "secret_key"}
    account.save()
    assert hook(message_new(USER, "Буду в 10", secret=SECRET, date=AT)).status_code == 403
    assert not InboundMessage.objects.exists() and Customer.objects.count() == 1
    assert not TimelineEntry.objects.filter(kind="message.received").exists()


def test_a_message_lands_on_its_card_once(world: World, ivan: Customer, hook: Hook) -> None:
    body = message_new(USER, "Буду в 10", secret=SECRET, message_id=42, date=AT)
    for _ in range(2):  # VK repeats an event it got no "ok" for
        response = hook(body)
        assert (response.status_code, response.content) == (200, b"ok")
    received = InboundMessage.objects.get()
    assert (received.customer_id, received.channel, received.provider, received.provider_message_id) == (
        ivan.pk, "vk", "vk", f"{GROUP}:42")
    assert (received.sender, received.text) == (str(USER), "Буду в 10")
    assert received.received_at == dt.datetime.fromtimestamp(AT, tz=dt.UTC)
    entry = TimelineEntry.objects.get(customer=ivan, kind="message.received")
    assert entry.summary.endswith(": Буду в 10")
    assert Customer.objects.count() == 1


def test_stop_refuses_advertising_in_vk(world: World, ivan: Customer, hook: Hook) -> None:
    for channel in ("vk", "sms"):
        consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel=channel, purpose="marketing",
                    granted=True, source="form")
    assert hook(message_new(USER, "стоп", secret=SECRET, date=AT)).status_code == 200
    assert InboundMessage.objects.get().effect == "unsubscribed"
    current = consents_current(ivan.pk)
    assert current[("vk", "marketing")].granted is False
    assert current[("sms", "marketing")].granted is True


def test_other_events_are_answered_ok_and_dropped(world: World, ivan: Customer, hook: Hook) -> None:
    for body in (event("message_reply", {"id": 5, "from_id": -GROUP, "text": "x"}, secret=SECRET),
                 event("message_allow", {"user_id": USER, "key": ""}, secret=SECRET),
                 message_new(USER, "всем привет", secret=SECRET, peer_id=2000000001),
                 message_new(-GROUP, "от сообщества", secret=SECRET)):
        response = hook(body)
        assert (response.status_code, response.content) == (200, b"ok")
    assert not InboundMessage.objects.exists()
    assert hook(message_new(USER, "", secret=SECRET, attachments=[{"type": "photo"}])).status_code == 200
    assert InboundMessage.objects.get().text == "[photo]"


def test_a_denied_dialog_holds_vk_messages_back_and_falls_back_until_allowed(
        world: World, clock: time_machine.Traveller, ivan: Customer, api: VkApi, hook: Hook) -> None:
    consent_set(actor=world.actor(world.admin), customer_id=ivan.pk, channel="vk", purpose="marketing",
                granted=True, source="form")
    for _ in range(2):  # VK repeats events: the second changes nothing
        assert hook(event("message_deny", {"user_id": USER}, secret=SECRET)).status_code == 200
    current = consents_current(ivan.pk)
    assert (current[("vk", "service")].granted, current[("vk", "marketing")].granted) == (False, False)
    assert current[("vk", "service")].source == "VK closed by the customer"
    assert Consent.objects.filter(customer=ivan, channel="vk").count() == 3  # the form's grant, then two refusals

    Customer.objects.filter(pk=ivan.pk).update(preferred_channels=["vk", "sms"])
    message, _created = message_send(actor=world.actor(world.operator_a), customer_id=ivan.pk, text=TEXT,
                                     idempotency_key=KEY)
    drain()
    held = fresh(message)
    assert (held.status, held.status_reason) == ("suppressed", "service messages refused in this channel")
    assert api.requests == []  # nothing reached VK
    assert Message.objects.get(fallback_of=held).channel == "sms"

    assert hook(event("message_allow", {"user_id": USER, "key": ""}, secret=SECRET)).status_code == 200
    current = consents_current(ivan.pk)
    assert (current[("vk", "service")].granted, current[("vk", "marketing")].granted) == (True, False)
    assert hook(event("message_deny", {"user_id": 999}, secret=SECRET)).status_code == 200  # no card: nothing
    assert Customer.objects.count() == 1 and Consent.objects.filter(channel="vk").count() == 4
