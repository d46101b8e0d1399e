"""E-mail composed by the provider itself (compose.py) and sent over SMTP with and without pipelining (wire.py):
what arrives is what the e-mail package reads back exactly; a deferred recipient is retried, not failed."""

from __future__ import annotations

import datetime as dt
import email
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from django.core import mail

from conftest import World
from regulars.customers.models import Customer
from regulars.messaging.models import Message, ProviderAccount
from regulars.messaging.providers.email.compose import compose
from regulars.messaging.services import message_send

from .helpers import drain, fresh
from .standins import SmtpSink

pytestmark = pytest.mark.django_db

LONG_SUBJECT = "Ваш заказ №1042 собран и ждёт вас в пункте выдачи на Ленинском проспекте, 12 — до пятницы"
BODY = "Здравствуйте!\n.Строка с точкой в начале\n..и с двумя\n\nСпасибо, что выбираете нас."


def account(sink: SmtpSink, sender: str) -> ProviderAccount:
    return ProviderAccount.objects.create(
        channel="email", provider="email", name="SMTP", sender=sender,
        config={"backend": "django.core.mail.backends.smtp.EmailBackend", "host": "127.0.0.1", "port": sink.port,
                "timeout": 5})


def send(world: World, customer: Customer, *, subject: str, text: str, key: str = "order:1042:mail") -> Message:
    message, created = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk, channel="email",
                                    subject=subject, text=text, idempotency_key=key)
    assert created
    return message


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_what_arrives_reads_back_exactly(world: World, clock: time_machine.Traveller, ivan: Customer,
                                         sink: SmtpSink) -> None:
    account(sink, "Автосервис «Колесо» <shop@example.com>")
    message = send(world, ivan, subject=LONG_SUBJECT, text=BODY)

    assert drain() == 1
    assert len(sink.messages) == 1
    received = sink.messages[0]
    assert (received.mail_from, received.rcpt_to) == ("shop@example.com", ["ivan@example.com"])
    got = received.parsed
    assert str(got["Subject"]) == LONG_SUBJECT
    assert (got["From"].addresses[0].display_name, got["From"].addresses[0].addr_spec) == (
        "Автосервис «Колесо»", "shop@example.com")
    assert str(got["To"]) == "ivan@example.com"
    assert got.get_content().replace("\r\n", "\n").rstrip("\n") == BODY  # the dots survive the dot-stuffing
    assert str(got["Message-ID"]) == fresh(message).provider_message_id == "<order.1042.mail@example.com>"
    assert all(len(line) <= 78 for line in received.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))


def test_a_deferred_recipient_is_tried_again_later_and_then_sent_once(world: World, clock: time_machine.Traveller,
                                                                      ivan: Customer, sink: SmtpSink) -> None:
    account(sink, "shop@example.com")
    sink.defer = {"ivan@example.com"}
    message = send(world, ivan, subject="Заказ готов", text="Заберите заказ")

    assert drain() == 1
    message = fresh(message)
    assert (message.status, message.attempts, message.ambiguous) == ("queued", 1, False)
    assert "450" in message.last_error and sink.messages == []

    sink.defer = set()
    clock.shift(dt.timedelta(minutes=1))  # past the first back-off (15 s)
    assert drain() == 1
    assert (fresh(message).status, len(sink.messages)) == ("sent", 1)
    assert drain() == 0 and len(sink.messages) == 1


def test_other_backends_still_get_a_django_email_message(world: World, clock: time_machine.Traveller,
                                                         ivan: Customer) -> None:
    ProviderAccount.objects.create(channel="email", provider="email", name="memory", sender="shop@example.com",
                                   config={"backend": "django.core.mail.backends.locmem.EmailBackend"})
    send(world, ivan, subject=LONG_SUBJECT, text=BODY)

    assert drain() == 1
    assert [(m.subject, m.body, m.to) for m in mail.outbox] == [(LONG_SUBJECT, BODY, ["ivan@example.com"])]


COMMON: dict[str, Any] = {"sender": "shop@example.com", "to": "ivan@example.com", "message_id": "<k@example.com>",
                          "now": 0.0}


def composed(**arguments: Any) -> bytes:
    message = compose(**arguments)
    assert message is not None
    return message.data


def test_compose_gives_the_envelope_of_a_named_sender() -> None:
    message = compose(**{**COMMON, "sender": "Автосервис «Колесо» <shop@example.com>"}, subject="s", body="b",
                      headers={})
    assert message is not None and (message.mail_from, message.rcpt_to) == ("shop@example.com", "ivan@example.com")


def test_compose_encodes_what_smtp_cannot_carry_as_is() -> None:
    long_line = "Очень длинная строка " * 60  # > 998 bytes: 8bit would break the line limit
    got = parsed(composed(subject="Первая\r\nвторая строка", body=long_line, headers={}, **COMMON))
    assert str(got["Subject"]) == "Первая вторая строка"  # a line break cannot start a header of its own
    assert got["Content-Transfer-Encoding"] == "base64" and got.get_content().rstrip() == long_line.rstrip()
    assert parsed(composed(subject="", body="Коротко", headers={}, eight_bit=False, **COMMON))[
        "Content-Transfer-Encoding"] == "base64"  # a server without 8BITMIME
    assert parsed(composed(subject="", body="Коротко", headers={}, **COMMON))[
        "Content-Transfer-Encoding"] == "8bit"


@pytest.mark.parametrize("changes", [
    {"to": "иван@пример.рф"},  # needs SMTPUTF8 or IDNA: Django's path
    {"sender": "Shop <>"},
    {"headers": {"X-Note": "one\r\nBcc: someone@example.com"}},  # header injection
    {"headers": {"X-Note": "заметка"}},
])
def test_compose_leaves_what_it_does_not_handle_to_django(changes: dict[str, object]) -> None:
    arguments: dict[str, Any] = {**COMMON, "subject": "s", "body": "b", "headers": {}, **changes}
    assert compose(**arguments) is None


def test_a_long_ascii_subject_is_folded_at_spaces() -> None:
    subject = " ".join(["Order"] + [f"item-{n}" for n in range(40)])
    raw = composed(subject=subject, body="b", headers={}, **COMMON)
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 78 for line in head) and len(head) > 9
    assert str(parsed(raw)["Subject"]) == subject
