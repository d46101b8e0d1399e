"""Outbound webhooks: which events make deliveries, what the receiver gets, retries, failure and redelivery."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import transaction

from conftest import World
from regulars.customers.services import customer_create
from regulars.integrations import outbound
from regulars.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from regulars.integrations.services import webhook_redeliver, webhook_subscription_save
from regulars.platform import signing
from regulars.platform.events import Consumer, publish
from regulars.platform.jobs import jobs_run_due
from regulars.platform.models import AuditEntry, Job

from .conftest import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every retry is due at once, so each jobs_run_due() makes the next attempt."""
    monkeypatch.setattr(outbound, "RETRY_SCHEDULE", (timedelta(0),) * 3)


def subscribe(world: World, url: str, *patterns: str, active: bool = True) -> WebhookSubscription:
    return webhook_subscription_save(actor=world.actor(world.admin), url=url, event_types=list(patterns),
                                     is_active=active)


def order_event(name: str = "order.status_changed", order_id: int = 7) -> None:
    with transaction.atomic():
        publish(name, subject_type="order", subject_id=order_id, payload={"status": "ready", "customer_id": None})


def test_the_star_pattern_matches_every_event_name() -> None:
    everything = Consumer(name="t", events=("*",), handler=lambda e: None)
    orders = Consumer(name="o", events=("order.*",), handler=lambda e: None)
    assert everything.wants("order.status_changed") and everything.wants("eye_test.done")
    assert orders.wants("order.created") and not orders.wants("customer.created")
    assert not orders.wants("orders.batch")


def test_a_signed_webhook_reaches_the_receiver_once_and_is_logged(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world, receiver.url, "order.*")
    order_event()
    delivery = WebhookDelivery.objects.get()
    assert delivery.msg_id.startswith("msg_") and delivery.status == "pending"
    assert Job.objects.filter(kind="webhook.deliver", key=f"webhook:{delivery.pk}:1").count() == 1
    assert jobs_run_due(worker_id="t") == 1
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    # the receiver checks the signature itself, with the subscription's secret
    signing.verify(subscription.secret, got.headers, got.body)
    assert got.headers["webhook-id"] == delivery.msg_id
    assert got.headers["content-type"] == "application/json"
    document = json.loads(got.body)
    assert document["type"] == "order.status_changed"
    assert document["data"] == {"status": "ready", "customer_id": None, "subject_type": "order", "subject_id": 7,
                                "event_id": delivery.event_id}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    attempt = WebhookAttempt.objects.get()
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert jobs_run_due(worker_id="t") == 0 and len(receiver.requests) == 1  # nothing more is sent


def test_500_then_200_is_two_attempts_and_delivered(world: World, receiver: Receiver, no_waiting: None) -> None:
    subscribe(world, receiver.url, "*")
    receiver.statuses = [500, 200]
    order_event()
    jobs_run_due(worker_id="t")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    failed = WebhookAttempt.objects.get()
    assert failed.status_code == 500 and len(failed.response_excerpt) == 1024  # only 1 KB of the answer is kept
    jobs_run_due(worker_id="t")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert list(WebhookAttempt.objects.values_list("number", "status_code")) == [(1, 500), (2, 200)]
    # the same message id on both attempts, a fresh signature each time
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert receiver.requests[0].body == receiver.requests[1].body


def test_the_schedule_is_standard_webhooks(world: World, receiver: Receiver) -> None:
    assert [int(d.total_seconds()) for d in outbound.RETRY_SCHEDULE] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    subscribe(world, receiver.url, "*")
    receiver.statuses = [503]
    order_event()
    jobs_run_due(worker_id="t")
    delivery = WebhookDelivery.objects.get()
    retry = Job.objects.get(key=f"webhook:{delivery.pk}:2")
    assert retry.status == "pending" and retry.due_at == delivery.next_attempt_at
    assert timedelta(seconds=4) < retry.due_at - WebhookAttempt.objects.get().attempted_at < timedelta(seconds=7)
    assert jobs_run_due(worker_id="t") == 0  # not due yet


def test_after_the_last_attempt_the_delivery_failed(world: World, receiver: Receiver, no_waiting: None) -> None:
    subscribe(world, receiver.url, "*")
    receiver.statuses = [500]
    order_event()
    for _ in range(10):
        jobs_run_due(worker_id="t")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 4, None)  # 1 + 3 retries
    assert WebhookAttempt.objects.count() == 4 and len(receiver.requests) == 4
    assert not Job.objects.filter(status="pending").exists()
    assert set(Job.objects.values_list("status", flat=True)) == {"done"}  # the jobs did not fail: the attempts did


def test_an_unreachable_receiver_is_an_attempt_with_the_error(world: World, no_waiting: None) -> None:
    subscribe(world, "http://127.0.0.1:9/nothing-listens", "*")
    order_event()
    jobs_run_due(worker_id="t")
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "refused" in attempt.error.lower()
    assert WebhookDelivery.objects.get().status == "pending"


def test_redeliver_makes_a_new_attempt_for_delivered_and_failed(world: World, receiver: Receiver,
                                                                no_waiting: None) -> None:
    subscribe(world, receiver.url, "*")
    order_event()
    jobs_run_due(worker_id="t")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    webhook_redeliver(actor=world.actor(world.admin), delivery_id=delivery.pk)
    assert WebhookDelivery.objects.get().status == "pending"
    jobs_run_due(worker_id="t")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2 and WebhookAttempt.objects.count() == 2
    # a manual attempt that fails is not retried on its own
    receiver.statuses = [500]
    webhook_redeliver(actor=world.actor(world.admin), delivery_id=delivery.pk)
    jobs_run_due(worker_id="t")
    jobs_run_due(worker_id="t")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    receiver.statuses = [200]
    webhook_redeliver(actor=world.actor(world.admin), delivery_id=delivery.pk)
    jobs_run_due(worker_id="t")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 4)
    assert AuditEntry.objects.filter(action="webhook.redeliver", object_id=str(delivery.pk)).count() == 3


def test_patterns_choose_the_events(world: World, receiver: Receiver) -> None:
    orders = subscribe(world, receiver.url, "order.*")
    exact = subscribe(world, receiver.url, "customer.created")
    off = subscribe(world, receiver.url, "*", active=False)
    order_event("order.status_changed")
    customer_create(actor=world.actor(world.admin), first_name="Анна", phones=["+79160000002"])
    by_subscription = {s: sorted(WebhookDelivery.objects.filter(subscription=s).values_list("event__name", flat=True))
                       for s in (orders, exact, off)}
    assert by_subscription[orders] == ["order.status_changed"]
    assert by_subscription[exact] == ["customer.created"]
    assert by_subscription[off] == []  # an inactive subscription gets nothing, not even a queued job
    assert Job.objects.filter(kind="webhook.deliver").count() == 2


def test_an_event_that_rolls_back_leaves_no_delivery(world: World, receiver: Receiver) -> None:
    subscribe(world, receiver.url, "*")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("order.created", subject_type="order", subject_id=1)
        raise RuntimeError("the change failed")
    assert not WebhookDelivery.objects.exists() and not Job.objects.filter(kind="webhook.deliver").exists()


def test_a_subscription_switched_off_later_sends_nothing(world: World, receiver: Receiver) -> None:
    subscription = subscribe(world, receiver.url, "*")
    order_event()
    webhook_subscription_save(actor=world.actor(world.admin), subscription_id=subscription.pk, url=receiver.url,
                              event_types=["*"], is_active=False)
    jobs_run_due(worker_id="t")
    assert receiver.requests == [] and not WebhookAttempt.objects.exists()
    assert WebhookDelivery.objects.get().status == "failed"


def test_after_a_rotation_both_secrets_sign_for_a_day_then_only_the_new_one(world: World, receiver: Receiver) -> None:
    import time_machine
    from django.utils import timezone

    from regulars.integrations.services import webhook_secret_rotate

    subscription = subscribe(world, receiver.url, "order.*")
    old = subscription.secret
    new = webhook_secret_rotate(actor=world.actor(world.admin), subscription_id=subscription.pk).secret
    assert new != old
    order_event(order_id=1)
    jobs_run_due(worker_id="t")
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # a receiver still on the old secret and one already on the new both accept it
        signing.verify(secret, during.headers, during.body)

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        order_event(order_id=2)
        jobs_run_due(worker_id="t")
        after = receiver.requests[-1]
        signing.verify(new, after.headers, after.body)
        with pytest.raises(signing.SignatureError):
            signing.verify(old, after.headers, after.body)
    assert len(receiver.requests) == 2
