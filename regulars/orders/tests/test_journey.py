"""The customer told at every step: one message per step, none stale, reminders while a parcel waits, the pickup
rule, and the whole e-shop journey through the stand-in SMS gateway ending in a review request."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import World
from regulars.customers.models import Flag, TimelineEntry
from regulars.messaging.models import Message, MessagingPolicy, ProviderAccount
from regulars.messaging.services import template_save
from regulars.messaging.tests.helpers import NOON, drain
from regulars.messaging.tests.standins import SmsGateway
from regulars.orders.models import Order, OrderStatus, PickupStats
from regulars.orders.services import order_status_set, order_upsert, orders_policy_save, step_save
from regulars.platform.actor import Actor
from regulars.platform.jobs import jobs_run_due
from regulars.platform.models import Job

from .conftest import order_doc

pytestmark = pytest.mark.django_db
SHOP = Actor.system("shop")
ESHOP = ["new", "confirmed", "assembled", "handed_to_courier", "delivered", "picked_up"]


def _order(external_id: str = "1", **extra: object) -> Order:
    order_upsert(actor=SHOP, source="shop", external_id=external_id, data=order_doc(**extra))
    return Order.objects.get(source="shop", external_id=external_id)


def _keys(order: Order) -> list[str]:
    return list(Message.objects.filter(source=f"order:{order.pk}").order_by("id")
                .values_list("idempotency_key", flat=True))


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def test_each_notifying_step_queues_one_message_with_the_orders_details(world: World, clock: object) -> None:
    order = _order(shipments=[{"carrier": "CDEK", "tracking_number": "CD1", "courier_name": "Пётр",
                               "courier_phone": "+79990001122"}])
    for status in ESHOP[1:4]:
        order_status_set(actor=SHOP, source="shop", external_id="1", status=status)
    keys = _keys(order)
    assert keys == [f"order:{order.pk}:status:{s}" for s in ("new", "confirmed", "handed_to_courier")]
    courier = Message.objects.get(idempotency_key=f"order:{order.pk}:status:handed_to_courier")
    assert "Пётр" in courier.body and "+79990001122" in courier.body and "CD1" in courier.body
    assert courier.purpose == "service" and courier.send_by is not None


def test_the_same_status_five_times_makes_one_change_and_one_message(world: World, clock: object) -> None:
    order = _order()
    results = [order_status_set(actor=SHOP, source="shop", external_id="1", status="confirmed") for _ in range(5)]
    assert [r["status_applied"] for r in results] == [True, False, False, False, False]
    assert order.history.filter(status__code="confirmed").count() == 1
    assert _keys(order).count(f"order:{order.pk}:status:confirmed") == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.permutations(ESHOP[1:]))  # one order per example: the shared world is fine
def test_shuffled_statuses_end_right_and_send_nothing_stale(world: World, shuffled: list[str]) -> None:
    with time_machine.travel(NOON, tick=False):
        external_id = "-".join(shuffled)
        order = _order(external_id)
        applied = []
        for status in shuffled:
            if order_status_set(actor=SHOP, source="shop", external_id=external_id, status=status)["status_applied"]:
                applied.append(status)
        order.refresh_from_db()
        ranks = [ESHOP.index(s) for s in applied]
        assert ranks == sorted(ranks)  # only ever forward
        assert order.status.code == max(shuffled, key=ESHOP.index)
        for message in Message.objects.filter(source=f"order:{order.pk}"):
            step = message.idempotency_key.rsplit(":", 1)[1]
            assert step in ["new", *applied]
            # a message of an older step never stays queued behind a newer one
            if message.status == "queued":
                assert step == order.status.code


def test_a_delayed_message_is_withdrawn_when_the_order_moves_on(world: World, clock: object) -> None:
    order = _order()
    status = OrderStatus.objects.get(flow__key="eshop", code="confirmed")
    step_save(actor=SHOP, status_id=status.pk, name=status.name, notify=True, template_key=status.template_key,
              delay_minutes=30, send_within_minutes=None)
    order_status_set(actor=SHOP, source="shop", external_id="1", status="confirmed")
    confirmed = Message.objects.get(idempotency_key=f"order:{order.pk}:status:confirmed")
    assert confirmed.due_at == NOON + dt.timedelta(minutes=30)
    order_status_set(actor=SHOP, source="shop", external_id="1", status="handed_to_courier")
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.status_reason) == ("suppressed", "the order moved on to Передан курьеру")


def test_a_status_reported_too_late_to_be_news_sends_nothing(world: World, clock: object) -> None:
    order = _order()
    order_status_set(actor=SHOP, source="shop", external_id="1", status="confirmed",
                     changed_at=NOON - dt.timedelta(days=2))
    assert order.history.filter(status__code="confirmed").exists()
    assert f"order:{order.pk}:status:confirmed" not in _keys(order)


def test_a_silent_step_sends_nothing_and_a_switched_off_one_neither(world: World, clock: object) -> None:
    order = _order()
    order_status_set(actor=SHOP, source="shop", external_id="1", status="assembled")
    assert _keys(order) == [f"order:{order.pk}:status:new"]


def test_a_message_that_cannot_be_said_is_on_the_timeline_and_the_order_still_moves(world: World,
                                                                                   clock: object) -> None:
    _order()
    status = OrderStatus.objects.get(flow__key="eshop", code="confirmed")
    template_save(actor=SHOP, key="needs-courier", name="x", channel="sms", body="Курьер {{ order.courier_phone }}")
    step_save(actor=SHOP, status_id=status.pk, name=status.name, notify=True, template_key="needs-courier",
              delay_minutes=0, send_within_minutes=None)
    result = order_status_set(actor=SHOP, source="shop", external_id="1", status="confirmed")
    assert result["status_applied"] is True
    skipped = TimelineEntry.objects.get(kind="order.notification_skipped")
    assert "order.courier_phone" in skipped.summary


def test_reminders_while_the_parcel_waits_and_none_once_it_is_picked_up(world: World, clock: time_machine.Traveller
                                                                        ) -> None:
    order = _order(pickup_point="ул. Ленина, 1")
    order_status_set(actor=SHOP, source="shop", external_id="1", status="delivered")
    assert Job.objects.filter(kind="order.reminder").count() == 2
    clock.shift(dt.timedelta(days=3, minutes=1))
    jobs_run_due(worker_id="t")
    first = [k for k in _keys(order) if ":reminder:" in k]
    assert len(first) == 1
    assert "ул. Ленина, 1" in Message.objects.get(idempotency_key=first[0]).body
    order_status_set(actor=SHOP, source="shop", external_id="1", status="picked_up")
    clock.shift(dt.timedelta(days=4))
    jobs_run_due(worker_id="t")
    assert [k for k in _keys(order) if ":reminder:" in k] == first  # the last reminder never went
    assert Job.objects.filter(kind="order.reminder", status="done").count() == 2


def test_low_pickup_flags_the_card_and_a_recovery_clears_it(world: World, clock: object) -> None:
    outcomes = ["not_picked_up", "not_picked_up", "picked_up"]
    for n, outcome in enumerate(outcomes):
        _order(str(n), number=f"A-{n}")
        order_status_set(actor=SHOP, source="shop", external_id=str(n), status="delivered")
        order_status_set(actor=SHOP, source="shop", external_id=str(n), status=outcome)
    customer_id = Order.objects.first().customer_id  # type: ignore[union-attr]
    stats = PickupStats.objects.get(customer_id=customer_id)
    assert (stats.orders, stats.picked_up, stats.not_picked_up, stats.rate) == (3, 1, 2, 33)
    flag = Flag.objects.get(customer_id=customer_id, kind="risk", cleared_at=None)
    assert flag.reason == "Low pickup: 1 of 3 picked up (33%)"
    for n in (3, 4):
        _order(str(n), number=f"A-{n}")
        order_status_set(actor=SHOP, source="shop", external_id=str(n), status="picked_up")
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert not Flag.objects.filter(customer_id=customer_id, cleared_at=None).exists()


def test_the_rule_needs_enough_orders_and_can_be_switched_off(world: World, clock: object) -> None:
    orders_policy_save(actor=SHOP, flag_low_pickup=False, min_orders=2, min_rate=50, keep_days=7, review_url="")
    for n in range(2):
        _order(str(n), number=f"A-{n}")
        order_status_set(actor=SHOP, source="shop", external_id=str(n), status="not_picked_up")
    assert not Flag.objects.exists()


def test_the_whole_eshop_journey_through_the_sms_gateway_ends_with_a_review_request(world: World,
                                                                                     clock: time_machine.Traveller
                                                                                     ) -> None:
    MessagingPolicy.objects.update_or_create(pk=1, defaults={"quiet_from": dt.time(0, 0), "quiet_to": dt.time(0, 0)})
    orders_policy_save(actor=SHOP, flag_low_pickup=True, min_orders=3, min_rate=50, keep_days=7,
                       review_url="https://reviews.example/shop")
    with SmsGateway(api_id="k") as gateway:
        ProviderAccount.objects.create(channel="sms", provider="sms_smsru", name="SMS.ru", sender="Shop",
                                       config={"api_id": "k", "base_url": gateway.url, "timeout": 2})
        order = _order(customer={"phone": "+79160000001", "first_name": "Иван"}, pickup_point="ПВЗ на Тверской",
                       shipments=[{"courier_name": "Пётр", "courier_phone": "+79990001122"}])
        rng = random.Random(5)
        for status in ESHOP[1:]:
            order_status_set(actor=SHOP, source="shop", external_id="1", status=status)
            if rng.random() < 0.8:
                drain()
            # the shop's system resends a status it already sent
            order_status_set(actor=SHOP, source="shop", external_id="1", status=ESHOP[1])
        clock.shift(dt.timedelta(hours=2, minutes=1))  # the thank-you waits two hours after the pickup
        drain()
        texts = [r["msg"] for r in gateway.requests]
    assert len(texts) == len(set(texts))  # nothing twice
    assert texts[-1] == "Спасибо, что выбрали нас, Иван! Оцените нас, пожалуйста: https://reviews.example/shop"
    assert any("Пётр" in t and "+79990001122" in t for t in texts)
    assert all(r["to"] == "79160000001" for r in gateway.requests)
    sent = Message.objects.filter(source=f"order:{order.pk}", status="sent")
    assert sent.count() == len(texts)
    kinds = list(TimelineEntry.objects.filter(customer_id=order.customer_id).values_list("kind", flat=True))
    assert kinds.count("order.status_changed") == len(ESHOP) and "message.sent" in kinds


def test_timeline_text_is_written_in_the_businesss_language_whoever_asked(world: World, clock: object,
                                                                          settings: object) -> None:
    settings.LANGUAGE_CODE = "ru"  # type: ignore[attr-defined]
    try:
        order = _order()
        order_status_set(actor=SHOP, source="shop", external_id="1", status="confirmed")
    finally:
        translation.deactivate()  # the override inside restored "ru" as the thread's language: leave none
    summaries = set(TimelineEntry.objects.filter(kind__startswith="order.").values_list("summary", flat=True))
    assert summaries == {"Заказ A-100 принят, 4990.00 RUB", "Заказ A-100: Новый", "Заказ A-100: Подтверждён"}
    withdrawn = Message.objects.get(idempotency_key=f"order:{order.pk}:status:new")
    assert withdrawn.status_reason == "заказ уже на шаге «Подтверждён»"
