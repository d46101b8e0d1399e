"""Orders in through the API: create/update by external id, forward-only statuses, batches, reads."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import World, client_for
from regulars.customers.models import ContactPoint, Customer, ExternalRef, TimelineEntry
from regulars.messaging.models import Message
from regulars.orders.models import Order, OrderItem, StatusChange
from regulars.platform.models import Event

from .conftest import Shop, order_doc

pytestmark = pytest.mark.django_db


def test_put_creates_the_order_and_its_customer_then_the_same_put_changes_nothing(shop: Shop, world: World) -> None:
    first = shop.put("100", order_doc(customer={"phone": "+79160000001", "external_id": "C-7", "first_name": "Иван"}))
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["created"], body["changed"], body["status"], body["number"]) == (True, True, "new", "A-100")
    order = Order.objects.get()
    assert order.total == 4990 and order.flow.key == "eshop"
    customer = Customer.objects.get()
    assert customer.first_name == "Иван"
    assert ExternalRef.objects.filter(customer=customer, source="shop", value="C-7").exists()
    events = Event.objects.count()

    again = shop.put("100", order_doc(customer={"phone": "+79160000001", "external_id": "C-7"}))
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["changed"]) == (False, False)
    assert Event.objects.count() == events
    assert Order.objects.count() == 1 and OrderItem.objects.count() == 1 and Customer.objects.count() == 1


def test_a_known_customer_is_matched_by_phone_written_another_way(shop: Shop, world: World) -> None:
    shop.put("1", order_doc())
    shop.put("2", order_doc(number="A-2", customer={"phone": "8 (916) 000-00-01"}))
    assert Customer.objects.count() == 1
    assert Order.objects.filter(customer=Customer.objects.get()).count() == 2


def test_statuses_move_only_forward_and_a_stale_one_sends_nothing(shop: Shop, world: World) -> None:
    shop.put("1", order_doc())
    assert shop.status("1", "delivered").json()["status_applied"] is True
    late = shop.status("1", "handed_to_courier")
    assert late.status_code == 200
    assert (late.json()["status_applied"], late.json()["status_ignored"], late.json()["status"]) == (
        False, "stale", "delivered")
    same = shop.status("1", "delivered").json()
    assert (same["status_applied"], same["status_ignored"]) == (False, "same")
    assert list(StatusChange.objects.values_list("status__code", flat=True)) == ["new", "delivered"]
    keys = set(Message.objects.values_list("idempotency_key", flat=True))
    order = Order.objects.get()
    assert keys == {f"order:{order.pk}:status:new", f"order:{order.pk}:status:delivered"}
    assert not any("handed_to_courier" in k for k in keys)


def test_a_status_change_is_on_the_timeline(shop: Shop, world: World) -> None:
    shop.put("1", order_doc())
    shop.status("1", "confirmed")
    kinds = list(TimelineEntry.objects.order_by("occurred_at", "id").values_list("kind", flat=True))
    assert kinds.count("order.status_changed") == 2 and "order.created" in kinds


def test_bad_orders_are_refused_with_every_reason_and_nothing_is_written(shop: Shop, world: World) -> None:
    response = shop.put("1", order_doc(items=[{"name": "", "quantity": 0, "price": "-1"}], status="flying",
                                       placed_at="2026-01-01T10:00:00"))
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["items[0].name"] == "required"
    assert "items[0].quantity" in fields and "items[0].price" in fields and "placed_at" in fields
    assert Order.objects.count() == 0 and Customer.objects.count() == 0
    unknown_status = shop.put("1", order_doc(status="flying"))
    assert unknown_status.status_code == 400 and "status" in unknown_status.json()["error"]["fields"]
    assert Order.objects.count() == 0 and Customer.objects.count() == 0
    no_customer = shop.put("2", {"number": "x"})
    assert no_customer.status_code == 400 and "customer" in no_customer.json()["error"]["fields"]
    assert shop.status("404", "confirmed").status_code == 404


def test_an_order_keeps_its_flow(shop: Shop, world: World) -> None:
    shop.put("1", order_doc())
    response = shop.put("1", {"flow": "optics"})
    assert response.status_code == 409 and "flow" in response.json()["error"]["fields"]
    assert Order.objects.get().flow.key == "eshop"


def test_a_batch_stores_the_good_orders_and_answers_the_bad_ones(shop: Shop, world: World) -> None:
    response = shop.batch([
        {"external_id": "1", **order_doc()},
        {"external_id": "2", **order_doc(items=[{"name": "x", "price": "abc"}])},
        {"external_id": "", **order_doc()},
        {"external_id": "3", **order_doc(number="A-3", status="confirmed")},
    ])
    assert response.status_code == 200
    results = response.json()
    assert [r["ok"] for r in results] == [True, False, False, True]
    assert results[1]["error"]["fields"] == {"items[0].price": "must be a number"}
    assert "external_id" in results[2]["error"]["fields"]
    assert set(Order.objects.values_list("external_id", flat=True)) == {"1", "3"}
    assert Order.objects.get(external_id="3").status.code == "confirmed"
    too_many = shop.batch([{"external_id": str(i)} for i in range(1001)])
    assert too_many.status_code == 400 and "orders" in too_many.json()["error"]["fields"]


def test_reads_through_the_api(shop: Shop, world: World) -> None:
    shop.put("1", order_doc(shipments=[{"carrier": "CDEK", "tracking_number": "T1", "courier_phone": "+79990001122"}]))
    shop.status("1", "handed_to_courier")
    order = Order.objects.get()
    one = shop.client.get(f"/api/v1/orders/{order.pk}").json()
    assert one["status"] == "handed_to_courier" and one["shipments"][0]["tracking_number"] == "T1"
    assert [h["status"] for h in one["history"]] == ["new", "handed_to_courier"]
    assert shop.client.get("/api/v1/orders/shop/1").json()["id"] == order.pk
    listed = shop.client.get("/api/v1/orders?status=handed_to_courier").json()
    assert [o["id"] for o in listed["items"]] == [order.pk]
    flows = {f["key"]: f for f in shop.client.get("/api/v1/orders/flows").json()}
    assert set(flows) == {"eshop", "service", "optics"}
    assert [s["code"] for s in flows["service"]["statuses"]] == ["booked", "in_repair", "ready", "issued",
                                                                  "cancelled"]


def test_another_branchs_operator_does_not_see_the_order(shop: Shop, world: World) -> None:
    shop.put("1", order_doc(branch="a"))
    order = Order.objects.get()
    assert client_for(world.operator_a).get(f"/api/v1/orders/{order.pk}").status_code == 200
    assert client_for(world.operator_b).get(f"/api/v1/orders/{order.pk}").status_code == 404
    assert client_for(world.operator_b).get("/api/v1/orders").json()["items"] == []
    consultant = client_for(world.consultant_a)
    refused = consultant.put("/api/v1/orders/shop/2", order_doc(), content_type="application/json")
    assert refused.status_code == 403
    assert ContactPoint.objects.count() == 1


def test_the_orders_list_costs_the_same_for_two_orders_or_ten(shop: Shop, world: World,
                                                               django_assert_max_num_queries: Any) -> None:
    for n in range(10):
        shop.put(str(n), order_doc(number=f"A-{n}", shipments=[{"carrier": "CDEK", "tracking_number": f"T{n}"}]))
        shop.status(str(n), "confirmed")
    with django_assert_max_num_queries(8):  # key, page, items, shipments, history (+ savepoints of the request)
        listed = shop.client.get("/api/v1/orders?limit=10").json()
    assert len(listed["items"]) == 10 and all(len(o["history"]) == 2 for o in listed["items"])
