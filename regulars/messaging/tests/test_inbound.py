"""Messages customers send us: to the right card, once, STOP at once, strangers get a card to complete, and a
deep-link token ties a messenger chat to the card it was made for."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import World
from regulars.customers.models import ContactPoint, Customer, TimelineEntry
from regulars.customers.selectors import consents_current
from regulars.customers.services import consent_set, customer_create
from regulars.messaging.inbound import chat_link_token, message_receive
from regulars.messaging.models import InboundMessage
from regulars.messaging.providers.base import Inbound
from regulars.platform.actor import Actor

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _sms(text: str, sender: str = "8 916 000-00-01", pid: str = "in-1") -> Inbound:
    return Inbound(sender=sender, text=text, provider_message_id=pid, at=AT, contact_kind="phone")


def test_a_reply_lands_on_the_card_once(world: World) -> None:
    customer = customer_create(actor=SYSTEM, first_name="Иван", phones=["+79160000001"])
    first = message_receive(provider="sms_smsru", inbound=_sms("Буду в 10"))
    again = message_receive(provider="sms_smsru", inbound=_sms("Буду в 10"))  # the provider repeated its webhook
    assert first is not None and again is None
    assert (first.customer_id, first.channel, first.sender, first.effect) == (customer.pk, "sms", "+79160000001", "")
    entries = TimelineEntry.objects.filter(customer=customer, kind="message.received")
    assert [e.summary for e in entries] == ["SMS: Буду в 10"]


@pytest.mark.parametrize("word", ["STOP", "стоп", "Стоп!", "отписаться"])
def test_stop_revokes_advertising_in_that_channel_at_once(world: World, word: str) -> None:
    customer = customer_create(actor=SYSTEM, first_name="Иван", phones=["+79160000001"], emails=["i@example.com"])
    for channel in ("sms", "email"):
        consent_set(actor=SYSTEM, customer_id=customer.pk, channel=channel, purpose="marketing", granted=True,
                    source="form")
    message = message_receive(provider="sms_smsru", inbound=_sms(word))
    assert message is not None and message.effect == "unsubscribed"
    current = consents_current(customer.pk)
    assert current[("sms", "marketing")].granted is False
    assert current[("email", "marketing")].granted is True  # only the channel the customer wrote from


def test_a_stranger_gets_a_card_to_complete(world: World) -> None:
    message = message_receive(provider="telegram", inbound=Inbound(
        sender="555000111", text="Сколько стоит ТО?", provider_message_id="t-1", at=AT, contact_kind="telegram",
        sender_name="Анна Смирнова"))
    assert message is not None and message.effect == "new_card"
    card = Customer.objects.get(pk=message.customer_id)
    assert (card.status, card.first_name, card.last_name) == ("to_complete", "Анна", "Смирнова")
    assert list(card.contacts.values_list("kind", "value")) == [("telegram", "555000111")]


def test_a_deep_link_ties_the_chat_to_the_card_it_was_made_for(world: World) -> None:
    customer = customer_create(actor=SYSTEM, first_name="Иван", phones=["+79160000001"])
    token = chat_link_token(customer.pk)
    assert len(token) <= 64 and ":" not in token  # what Telegram allows in /start
    message = message_receive(provider="telegram", inbound=Inbound(
        sender="777", text="/start", provider_message_id="t-2", at=AT, contact_kind="telegram", start_token=token))
    assert message is not None and (message.customer_id, message.effect) == (customer.pk, "linked")
    assert ContactPoint.objects.filter(customer=customer, kind="telegram", value="777").exists()
    forged = message_receive(provider="telegram", inbound=Inbound(
        sender="888", text="/start", provider_message_id="t-3", at=AT, contact_kind="telegram",
        start_token=token[:-1] + ("A" if token[-1] != "A" else "B")))
    assert forged is not None and forged.effect == "new_card" and forged.customer_id != customer.pk


def test_a_sender_that_is_not_a_contact_is_ignored(world: World) -> None:
    assert message_receive(provider="sms_smsru", inbound=_sms("hi", sender="not a phone")) is None
    assert not InboundMessage.objects.exists() and not Customer.objects.exists()
