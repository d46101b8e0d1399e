"""A message sent through a provider that reports delivery, still not delivered after the policy's minutes, goes
out in the customer's next channel too; a delivered one does not."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.services import customer_update
from regulars.messaging.models import Message, MessagingPolicy, ProviderAccount
from regulars.messaging.services import message_send
from regulars.platform.jobs import jobs_run_due
from regulars.platform.models import Job

from .helpers import drain, fresh
from .standins import SmsGateway

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_and_email(world: World, ivan: Customer, gateway: SmsGateway) -> Customer:
    ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru", config={
        "api_id": "k", "base_url": gateway.url, "timeout": 2})
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0), fallback_after_minutes=30)
    customer_update(actor=world.actor(world.admin), customer_id=ivan.pk, emails=["ivan@example.com"],
                    preferred_channels=["sms", "email"])
    return ivan


def _send(world: World, customer: Customer) -> Message:
    message, _ = message_send(actor=world.actor(world.operator_a), customer_id=customer.pk, text="Машина готова",
                              idempotency_key="ready:1")
    return message


def test_not_delivered_in_time_goes_out_in_the_next_channel(world: World, clock: time_machine.Traveller,
                                                            sms_and_email: Customer) -> None:
    sms = _send(world, sms_and_email)
    assert drain() == 1 and fresh(sms).status == "sent"
    assert Job.objects.get(kind="messaging.delivery_check").payload == {"message_id": sms.pk}
    clock.shift(dt.timedelta(minutes=29))
    assert jobs_run_due(worker_id="w") == 0  # not yet
    clock.shift(dt.timedelta(minutes=2))
    assert jobs_run_due(worker_id="w") == 1
    fallback = Message.objects.get(fallback_of=sms)
    assert (fallback.channel, fallback.body) == ("email", "Машина готова")
    drain()
    assert [m.to for m in mail.outbox] == [["ivan@example.com"]]
    assert fresh(sms).status == "sent"  # the SMS keeps its own status; the card shows both


def test_a_delivered_message_needs_no_second_channel(world: World, clock: time_machine.Traveller,
                                                     sms_and_email: Customer) -> None:
    sms = _send(world, sms_and_email)
    drain()
    Message.objects.filter(pk=sms.pk).update(status="delivered")
    clock.shift(dt.timedelta(minutes=31))
    assert jobs_run_due(worker_id="w") == 1
    assert not Message.objects.filter(fallback_of=sms).exists() and mail.outbox == []


def test_no_check_for_providers_that_report_nothing_or_when_switched_off(world: World, clock: time_machine.Traveller,
                                                                        sms_and_email: Customer) -> None:
    MessagingPolicy.objects.update(fallback_after_minutes=0)
    _send(world, sms_and_email)
    drain()
    assert not Job.objects.filter(kind="messaging.delivery_check").exists()
    MessagingPolicy.objects.update(fallback_after_minutes=30)
    customer_update(actor=world.actor(world.admin), customer_id=sms_and_email.pk, preferred_channels=["email", "sms"])
    email, _ = message_send(actor=world.actor(world.operator_a), customer_id=sms_and_email.pk, text="Счёт",
                            idempotency_key="bill:1")
    drain()
    assert fresh(email).status == "sent" and fresh(email).channel == "email"
    assert not Job.objects.filter(kind="messaging.delivery_check").exists()  # SMTP reports no delivery
