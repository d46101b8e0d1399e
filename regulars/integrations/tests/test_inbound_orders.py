"""An ERP's signed webhooks carrying orders: a new order, a status, a batch, acting as the endpoint's source; a
bad order inside a valid delivery is answered with its reasons and stores nothing."""

from __future__ import annotations

import json

import pytest
import time_machine

from conftest import World
from regulars.integrations.models import InboundEndpoint, InboundReceipt
from regulars.integrations.services import inbound_endpoint_save
from regulars.messaging.tests.helpers import NOON
from regulars.orders.models import Order

from .test_inbound import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(world: World) -> InboundEndpoint:
    return inbound_endpoint_save(actor=world.actor(world.admin), name="1C", source="erp")


def body(kind: str, data: dict[str, object]) -> bytes:
    return json.dumps({"type": kind, "data": data}).encode()


def test_orders_arrive_signed_from_the_erp_under_its_source(endpoint: InboundEndpoint) -> None:
    with time_machine.travel(NOON, tick=False):
        created = deliver(endpoint, body("order", {
            "external_id": "Z-1", "number": "Z-1", "customer": {"phone": "+79160000077", "first_name": "Олег"},
            "items": [{"name": "Шины", "price": "12000", "quantity": 4}]}), msg_id="msg_a")
        assert created.status_code == 200, created.content
        order = Order.objects.get()
        assert (order.source, order.external_id, order.total, order.status.code) == ("erp", "Z-1", 48000, "new")
        moved = deliver(endpoint, body("order.status", {"external_id": "Z-1", "status": "confirmed"}),
                        msg_id="msg_b")
        assert moved.status_code == 200 and moved.json()["result"]["status_applied"] is True
        batch = deliver(endpoint, body("orders.batch", {"orders": [
            {"external_id": "Z-2", "customer": {"phone": "+79160000078"}},
            {"external_id": "Z-3", "customer": {"phone": "+79160000079"}, "items": [{"name": "x", "price": "-5"}]},
        ]}), msg_id="msg_c")
        assert batch.status_code == 200, batch.content
        results = batch.json()["result"]
        assert [r["ok"] for r in results] == [True, False]
        assert results[1]["error"]["fields"] == {"items[0].price": "must be zero or more"}
    assert set(Order.objects.values_list("external_id", flat=True)) == {"Z-1", "Z-2"}
    assert Order.objects.get(external_id="Z-1").status.code == "confirmed"
    assert InboundReceipt.objects.count() == 3


def test_a_bad_single_order_is_refused_with_its_field_and_writes_nothing(endpoint: InboundEndpoint) -> None:
    refused = deliver(endpoint, body("order", {"external_id": "Z-9", "items": [{"name": ""}]}), msg_id="msg_x")
    assert refused.status_code == 400
    assert "items[0].name" in refused.json()["error"]["fields"]
    assert not Order.objects.exists() and not InboundReceipt.objects.exists()
