"""Statuses in batches: two steps of one order, bad items answered alone (tests/test_status_batch_equivalence.py
proves a batch leaves exactly what the same statuses one by one leave)."""

from __future__ import annotations

import pytest
import time_machine

from conftest import World
from regulars.messaging.models import Message
from regulars.messaging.tests.helpers import NOON
from regulars.orders.models import Order
from regulars.orders.services import order_upsert, orders_status_batch
from regulars.platform.actor import Actor

from .conftest import Shop, order_doc, statuses

pytestmark = pytest.mark.django_db
SHOP = Actor.system("shop")
STEPS = ["confirmed", "assembled", "handed_to_courier", "delivered", "picked_up", "not_picked_up", "cancelled"]


def _order(external_id: str) -> Order:
    order_upsert(actor=SHOP, source="shop", external_id=external_id,
                 data=order_doc(number=f"N-{external_id}", customer={"phone": f"+7916000{int(external_id):04d}"}))
    return Order.objects.get(external_id=external_id)


def test_two_steps_of_one_order_in_a_batch_send_only_the_newer(world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        order = _order("1")
        orders_status_batch(actor=SHOP, source="shop", statuses=[
            {"external_id": "1", "status": "confirmed"}, {"external_id": "1", "status": "handed_to_courier"}])
    by_key = {m.idempotency_key.rsplit(":", 1)[1]: m for m in Message.objects.filter(source=f"order:{order.pk}")}
    assert {k: m.status for k, m in by_key.items()} == {"new": "suppressed", "confirmed": "suppressed",
                                                         "handed_to_courier": "queued"}
    assert by_key["confirmed"].status_reason == "the order moved on to Передан курьеру"


def test_bad_items_are_answered_alone_and_the_good_ones_applied(shop: Shop, world: World) -> None:
    with time_machine.travel(NOON, tick=False):
        shop.put("1", order_doc())
        shop.put("2", order_doc(number="A-2"))
        response = statuses(shop, [
            {"external_id": "1", "status": "confirmed"},
            {"external_id": "404", "status": "confirmed"},
            {"external_id": "2", "status": "flying"},
            {"external_id": "2", "status": "delivered", "changed_at": "yesterday"},
            "nonsense",  # type: ignore[list-item]
            {"external_id": "2", "status": "delivered"},
            {"external_id": "1", "status": "new"},
        ])
    assert response.status_code == 200
    answers = response.json()
    assert [a["ok"] for a in answers] == [True, False, False, False, False, True, True]
    assert answers[1]["error"]["code"] == "not_found"
    assert "status" in answers[2]["error"]["fields"] and "changed_at" in answers[3]["error"]["fields"]
    assert (answers[6]["status_applied"], answers[6]["status_ignored"], answers[6]["status"]) == (
        False, "stale", "confirmed")
    assert dict(Order.objects.values_list("external_id", "status__code")) == {"1": "confirmed", "2": "delivered"}
    assert statuses(shop, []).status_code == 400
    assert statuses(shop, [{"external_id": "1", "status": "x"}] * 1001).status_code == 400
