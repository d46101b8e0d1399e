"""Real `regulars worker` processes send messages through the local stand-ins (the worker runs the messaging poller
of settings.REGULARS_WORKER_POLLERS on every tick).

- Two workers on PostgreSQL share 200 e-mails: each reaches the SMTP sink exactly once, one attempt each.
- One worker at a time, SIGKILLed at random moments while it sends a burst of SMS: nothing is lost, and a message
  the gateway got twice (SMS.ru takes no idempotency key) is always one the dispatcher flagged `ambiguous`.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.services import customer_create
from regulars.messaging.addressing import address_for
from regulars.messaging.models import Message, MessagingPolicy, ProviderAccount
from regulars.messaging.services import message_send
from regulars.platform.actor import Actor
from regulars.platform.models import Event
from regulars.platform.tests.test_worker_kill import TIMEOUT, Worker, wait_for

from .standins import SmsGateway, SmtpSink

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

UNFINISHED = (Message.Status.QUEUED, Message.Status.SENDING)
# The kill test: the burst of 2,000 SMS and 10 SIGKILLs. The gateway answers in GATEWAY_SECONDS, as a real
# one takes a few milliseconds: the burst then lasts about as long as the ten workers live, so the kills land while
# messages are being sent (a worker sends in batches, a few hundred a second to an instant stand-in).
MESSAGES = 2000
KILLS = 10
GATEWAY_SECONDS = 0.004
LEASE = 2  # REGULARS_WORKER_LEASE_SECONDS of those workers: how long a dead worker's messages wait to be taken back


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """Start `regulars worker` processes on this test's database; all are SIGKILLed at the end."""
    running: list[Worker] = []

    def start(name: str, *, lease_seconds: int) -> Worker:
        worker = Worker(tmp_path / f"worker-{name}.log", lease_seconds=lease_seconds)
        running.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in running:
            worker.kill()


def no_quiet_hours() -> None:
    """Quiet hours from 00:00 to 00:00 are none: the wall clock of the run never postpones a message."""
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))


def started(worker: Worker) -> bool:
    return " started" in worker.output()


def unfinished() -> bool:
    return Message.objects.filter(status__in=UNFINISHED).exists()


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_send_the_same_message(
    world: World, sink: SmtpSink, workers: Callable[..., Worker]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED and truly concurrent writers need PostgreSQL; SQLite serialises writers")
    no_quiet_hours()
    ProviderAccount.objects.create(
        channel="email", provider="email", name="sink", sender="shop@example.com",
        config={"backend": "django.core.mail.backends.smtp.EmailBackend", "host": "127.0.0.1", "port": sink.port,
                "timeout": 5})
    actor = world.actor(world.operator_a)
    customer = customer_create(actor=actor, first_name="Иван", emails=["ivan@example.com"])
    a = workers("a", lease_seconds=120)
    b = workers("b", lease_seconds=120)
    wait_for(lambda: started(a) and started(b), "both workers to start", a, b)

    for i in range(200):  # queued while both workers poll: they take them as they come
        _, created = message_send(actor=actor, customer_id=customer.pk, purpose="service", channel="email",
                                  subject=f"Заказ №{i}", text=f"Письмо №{i}", idempotency_key=f"k{i}")
        assert created
    wait_for(lambda: not unfinished(), "200 e-mails to be sent", a, b)

    messages = Message.objects.all()
    assert len(sink.messages) == 200
    message_ids = [str(received.parsed["Message-ID"]) for received in sink.messages]
    assert len(set(message_ids)) == 200
    assert set(message_ids) == set(messages.values_list("provider_message_id", flat=True))
    assert sorted(str(r.parsed["Subject"]) for r in sink.messages) == sorted(f"Заказ №{i}" for i in range(200))
    assert Counter(messages.values_list("status", "attempts", "ambiguous")) == {("sent", 1, False): 200}
    assert Event.objects.filter(name="message.sent").count() == 200
    by_worker = {pid: messages.filter(locked_by__endswith=f":{pid}").count() for pid in (a.pid, b.pid)}
    assert sum(by_worker.values()) == 200
    assert all(by_worker.values()), f"both workers should have sent messages: {by_worker}"


def queue_burst(actor: Actor, customers: list[Customer], texts: list[str]) -> None:
    """The first message through message_send; the others bulk-inserted as copies of its row (the same fields
    message_send sets, only the customer, address, text and key differ): 2,000 calls would take ~7 s of the budget."""
    first, created = message_send(actor=actor, customer_id=customers[0].pk, purpose="service", channel="sms",
                                  text=texts[0], idempotency_key="k0")
    assert created and (first.status, first.to, first.body) == ("queued", customers[0].contacts.get().value,
                                                                  texts[0])
    row = {f.attname: getattr(first, f.attname) for f in Message._meta.concrete_fields if not f.primary_key}
    phones = {c.pk: address_for(c.pk, "sms") for c in customers}
    now = timezone.now()
    copies = []
    for i, text in enumerate(texts[1:], start=1):
        customer_id = customers[i % len(customers)].pk
        copies.append(Message(**{**row, "customer_id": customer_id, "to": phones[customer_id], "body": text,
                                 "idempotency_key": f"k{i}", "due_at": now, "created_at": now}))
    Message.objects.bulk_create(copies, batch_size=500)


def test_killed_workers_lose_nothing_and_flag_any_possible_duplicate(
    world: World, gateway: SmsGateway, workers: Callable[..., Worker]
) -> None:
    no_quiet_hours()
    gateway.delay = GATEWAY_SECONDS
    ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru", sender="Regulars",
                                   config={"api_id": "k", "base_url": gateway.url, "timeout": 2})
    actor = world.actor(world.operator_a)
    customers = [customer_create(actor=actor, first_name=f"Клиент{n}", phones=[f"+7916{3_000_000 + n:07d}"])
                 for n in range(20)]
    texts = [f"Сообщение №{i}" for i in range(MESSAGES)]  # how the gateway's requests are told apart
    queue_burst(actor, customers, texts)
    messages = Message.objects.all()
    assert messages.count() == MESSAGES

    # One worker at a time: started, left to send for a random while, SIGKILLed (no cleanup code runs; the
    # messages it had claimed stay `sending` until their lease runs out and the next worker takes them back).
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    kills: list[tuple[float, int, int]] = []  # (seconds of sending, sent so far, left `sending` by the dead worker)
    every: list[Worker] = []
    for number in range(KILLS):
        worker = workers(f"killed-{number}", lease_seconds=LEASE)
        every.append(worker)
        wait_for(partial(started, worker), "the worker to start", worker)
        moment = rng.uniform(0.2, 1.5)
        time.sleep(moment)
        worker.kill()
        assert worker.process.returncode == -signal.SIGKILL, worker.output()
        kills.append((round(moment, 2), messages.filter(status=Message.Status.SENT).count(),
                      messages.filter(status=Message.Status.SENDING, locked_by__endswith=f":{worker.pid}").count()))
    final = workers("final", lease_seconds=LEASE)
    every.append(final)
    wait_for(lambda: not unfinished(), f"the last worker to send all {MESSAGES} messages", final,
             timeout=3 * TIMEOUT)  # ~30 s here; a generous bound for a busier machine
    story = f"seed {seed}, kills (seconds, sent, left sending): {kills}"
    assert sum(left for _, _, left in kills) > 0, f"no kill caught a worker holding messages: {story}"

    # None lost, none failed, each recorded once.
    assert messages.count() == MESSAGES, "no fallback or extra message was queued"
    assert dict(Counter(messages.values_list("status", flat=True))) == {Message.Status.SENT: MESSAGES}, story
    assert Event.objects.filter(name="message.sent").count() == MESSAGES, story
    assert len(set(messages.values_list("provider_message_id", flat=True))) == MESSAGES
    assert set(messages.values_list("provider_message_id", flat=True)) <= set(gateway.sms_ids)

    # The gateway got every text at least once, at the right number, and nothing else.
    received = Counter(request["msg"] for request in gateway.requests)
    assert set(received) == set(texts), story
    to_of = dict(messages.values_list("body", "to"))
    assert all(request["to"] == to_of[request["msg"]].lstrip("+") for request in gateway.requests)

    # SMS.ru takes no idempotency key: a kill between the gateway's answer and the recording sends the message
    # again. That is allowed only for a message flagged `ambiguous`, and no claim sends a message twice.
    twice = {text for text, count in received.items() if count > 1}
    ambiguous = set(messages.filter(ambiguous=True).values_list("body", flat=True))
    attempts = dict(messages.values_list("body", "attempts"))
    assert all(count <= attempts[text] for text, count in received.items()), f"{received.most_common(3)}; {story}"
    assert twice <= ambiguous, f"received twice but not flagged: {sorted(twice - ambiguous)}; {story}"
    # No send failed and no dispatch broke (the dispatcher logs both), so a message is flagged only when it was
    # taken back from a dead worker: claimed more than once. One the dead worker had not yet handed over is not.
    assert not [w.pid for w in every if " regulars.messaging.dispatch " in w.output()], story
    assert ambiguous <= set(messages.filter(attempts__gt=1).values_list("body", flat=True)), story
    print(f"\n{len(gateway.requests)} requests, {len(twice)} received twice, {len(ambiguous)} ambiguous; {story}")
