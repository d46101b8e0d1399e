"""The orders pages: list, order page, journey settings, and the card section — who sees what."""

from __future__ import annotations

import json

import pytest

from conftest import World, client_for
from regulars.orders.models import Flow, Order, OrdersPolicy, OrderStatus
from regulars.platform.models import AuditEntry

from .conftest import Shop, order_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop: Shop) -> Order:
    shop.put("1", order_doc(branch="a", shipments=[{"carrier": "CDEK", "tracking_number": "T1",
                                                    "courier_name": "Пётр", "courier_phone": "+79990001122"}]))
    shop.status("1", "handed_to_courier")
    return Order.objects.get()


def test_the_order_page_shows_items_delivery_history_and_messages(world: World, order: Order) -> None:
    page = client_for(world.operator_a).get(f"/orders/{order.pk}/").content.decode()
    assert "Кроссовки" in page and "CDEK" in page and "+79990001122" in page
    assert page.count('data-testid="order-message"') == 2  # "new" (withdrawn) and "handed to courier"
    assert 'data-testid="status-form"' in page


def test_another_branchs_operator_gets_404_and_sees_it_neither_in_the_list_nor_on_the_card(
        world: World, order: Order) -> None:
    other = client_for(world.operator_b)
    assert other.get(f"/orders/{order.pk}/").status_code == 404
    assert "A-100" not in other.get("/orders/").content.decode()
    card = other.get(f"/customers/{order.customer_id}/").content.decode()
    assert 'data-testid="card-order"' not in card and "and 1 order in other branches" in card
    mine = client_for(world.operator_a).get(f"/customers/{order.customer_id}/").content.decode()
    assert 'data-testid="card-order"' in mine


def test_staff_move_an_order_from_its_page_only_forward(world: World, order: Order) -> None:
    operator = client_for(world.operator_a)
    assert operator.post(f"/orders/{order.pk}/status", {"status": "delivered"}).status_code == 302
    order.refresh_from_db()
    assert order.status.code == "delivered"
    operator.post(f"/orders/{order.pk}/status", {"status": "new"})
    order.refresh_from_db()
    assert order.status.code == "delivered"
    consultant = client_for(world.consultant_a)  # may look, may not change
    assert consultant.post(f"/orders/{order.pk}/status", {"status": "picked_up"}).status_code == 403


def test_the_journey_page_previews_each_message_and_a_manager_edits_a_step(world: World, order: Order) -> None:
    manager = client_for(world.manager_a)
    page = manager.get("/orders/journey/").content.decode()
    assert 'data-testid="preview-handed_to_courier"' in page and "+7 916 123-45-67" in page
    status = OrderStatus.objects.get(flow__key="eshop", code="assembled")
    refused = manager.post(f"/orders/journey/steps/{status.pk}/", {"name": "Собран", "notify": "on",
                                                                   "template_key": "", "delay_minutes": "0"})
    assert refused.status_code == 200 and "choose the template to send" in refused.content.decode()
    status.refresh_from_db()
    assert status.notify is False
    saved = manager.post(f"/orders/journey/steps/{status.pk}/", {
        "name": "Собран", "notify": "on", "template_key": "order-eshop-confirmed", "delay_minutes": "10",
        "send_within_minutes": "120"})
    assert saved.status_code == 302
    status.refresh_from_db()
    assert (status.notify, status.template_key, status.delay_minutes) == (True, "order-eshop-confirmed", 10)
    assert AuditEntry.objects.filter(action="orders.step_save").count() == 1
    assert client_for(world.operator_a).get(f"/orders/journey/steps/{status.pk}/").status_code == 403


def test_reminders_and_the_pickup_rule_are_set_on_their_pages(world: World) -> None:
    manager = client_for(world.manager_a)
    status = OrderStatus.objects.get(flow__key="eshop", code="delivered")
    url = f"/orders/journey/steps/{status.pk}/reminders/"
    assert manager.post(url, {"after_days": "3", "template_key": "order-eshop-delivered-reminder"}).status_code == 400
    assert manager.post(url, {"after_days": "4", "template_key": ""}).status_code == 400  # chosen, never guessed
    assert manager.post(url, {"after_days": "5", "template_key": "order-eshop-delivered-reminder"}).status_code == 302
    assert sorted(status.reminders.values_list("after_days", flat=True)) == [3, 5, 6]
    bad = manager.post("/orders/journey/rules/", {"flag_low_pickup": "on", "min_orders": "0", "min_rate": "50",
                                                  "keep_days": "7"})
    assert bad.status_code == 200 and OrdersPolicy.objects.get().min_orders == 3
    manager.post("/orders/journey/rules/", {"flag_low_pickup": "on", "min_orders": "4", "min_rate": "60",
                                            "keep_days": "5", "review_url": "https://r.example/x"})
    assert (OrdersPolicy.objects.get().min_orders, OrdersPolicy.objects.get().review_url) == (4, "https://r.example/x")


def test_the_orders_list_filters(world: World, order: Order, shop: Shop) -> None:
    shop.put("2", order_doc(number="B-2"))
    admin = client_for(world.admin)
    listed = admin.get("/orders/", {"status": "handed_to_courier"}).content.decode()
    assert "A-100" in listed and "B-2" not in listed
    assert "B-2" in admin.get("/orders/", {"q": "B-2"}).content.decode()
    assert admin.get("/orders/", {"since": "not-a-date"}).status_code == 200


def test_a_manager_adds_a_step_between_two_and_orders_use_it(world: World, shop: Shop) -> None:
    manager = client_for(world.manager_a)
    flow = Flow.objects.get(key="eshop")
    refused = manager.post(f"/orders/journey/flows/{flow.pk}/steps/", {"code": "Упакован", "name": "Упакован",
                                                                        "rank": "35"})
    assert refused.status_code == 400 and "lower-case Latin letters" in refused.content.decode()
    duplicate = manager.post(f"/orders/journey/flows/{flow.pk}/steps/", {"code": "assembled", "name": "x",
                                                                          "rank": "35"})
    assert duplicate.status_code == 400 and "already has this step" in duplicate.content.decode()
    added = manager.post(f"/orders/journey/flows/{flow.pk}/steps/", {"code": "packed", "name": "Упакован",
                                                                      "rank": "35"})
    assert added.status_code == 302
    assert list(flow.statuses.order_by("rank").values_list("code", flat=True))[2:5] == [
        "assembled", "packed", "handed_to_courier"]
    shop.put("1", order_doc(status="assembled"))
    assert shop.status("1", "packed").json()["status_applied"] is True
    assert shop.status("1", "assembled").json()["status_ignored"] == "stale"
    assert client_for(world.operator_a).post(f"/orders/journey/flows/{flow.pk}/steps/", {
        "code": "x", "name": "x", "rank": "1"}).status_code == 403


def test_the_default_flow_is_chosen_on_the_journey_page_and_through_the_api(world: World, shop: Shop) -> None:
    service = Flow.objects.get(key="service")
    assert client_for(world.manager_a).post(f"/orders/journey/flows/{service.pk}/default").status_code == 302
    shop.put("1", order_doc())
    assert Order.objects.get().flow.key == "service"
    answer = shop.client.post("/api/v1/orders/flows/optics/default")
    assert answer.status_code == 200 and answer.json()["is_default"] is True
    assert list(Flow.objects.filter(is_default=True).values_list("key", flat=True)) == ["optics"]
    step = shop.client.post("/api/v1/orders/flows/optics/statuses", json.dumps(
        {"code": "fitting", "name": "Примерка", "rank": 35, "outcome": "sideways"}), content_type="application/json")
    assert step.status_code == 400 and "outcome" in step.json()["error"]["fields"]
    assert shop.client.post("/api/v1/orders/flows/nope/default").status_code == 404
