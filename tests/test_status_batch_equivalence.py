"""A batch of order statuses leaves exactly what the same statuses one by one leave — order, history, messages,
timeline, webhook deliveries — because one status is a batch of one (regulars/orders/services/statuses.py)."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
import time_machine

from conftest import World
from regulars.customers.models import TimelineEntry
from regulars.integrations.models import WebhookDelivery, WebhookSubscription
from regulars.messaging.models import Message
from regulars.messaging.tests.helpers import NOON
from regulars.orders.models import Order, StatusChange
from regulars.orders.services import order_status_set, order_upsert, orders_status_batch
from regulars.orders.tests.conftest import order_doc
from regulars.platform.actor import Actor

pytestmark = pytest.mark.django_db
SHOP = Actor.system("shop")
STEPS = ["confirmed", "assembled", "handed_to_courier", "delivered", "picked_up", "not_picked_up", "cancelled"]


def _order(external_id: str) -> Order:
    order_upsert(actor=SHOP, source="shop", external_id=external_id,
                 data=order_doc(number=f"N-{external_id}", customer={"phone": f"+7916000{int(external_id):04d}"}))
    return Order.objects.get(external_id=external_id)


def _trace(order: Order) -> dict[str, Any]:
    """What the order left behind, with its own id taken out, to compare two orders."""
    def strip(key: str) -> str:
        return key.replace(f"order:{order.pk}:", "order:#:")
    customer = order.customer_id
    return {
        "status": Order.objects.get(pk=order.pk).status.code,
        "history": list(StatusChange.objects.filter(order=order).order_by("id").values_list("status__code",
                                                                                          flat=True)),
        "messages": sorted((strip(m.idempotency_key), m.status, m.status_reason, m.body.replace(order.number, "#"))
                           for m in Message.objects.filter(customer_id=customer)),
        "timeline": Counter(TimelineEntry.objects.filter(customer_id=customer).values_list("kind", flat=True)),
        "webhooks": WebhookDelivery.objects.filter(event__payload__order_id=order.pk).count(),
    }


@pytest.mark.parametrize("seed", range(6))
def test_a_batch_leaves_exactly_what_the_same_statuses_one_by_one_leave(world: World, seed: int) -> None:
    WebhookSubscription.objects.create(url="http://127.0.0.1:9/hook", event_types=["order.*"], secret="whsec_eA==",
                                       created_at=NOON)
    rng = random.Random(seed)
    sequence = [rng.choice(STEPS) for _ in range(rng.randint(1, 8))]
    with time_machine.travel(NOON, tick=False):
        one, other = _order("1"), _order("2")
        for status in sequence:
            order_status_set(actor=SHOP, source="shop", external_id="1", status=status)
        answers = orders_status_batch(actor=SHOP, source="shop",
                                      statuses=[{"external_id": "2", "status": s} for s in sequence])
    assert all(a["ok"] for a in answers)
    assert _trace(one) == _trace(other), sequence
