"""A manager sets up the "handed to courier" step in a real browser; the shop's program pushes that status through
the API; the customer's card shows the message on the timeline, with the courier's phone in it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.messaging.models import Message, MessagingPolicy
from regulars.orders.models import Order, OrderStatus
from regulars.orders.tests.shipped import restore_shipped
from regulars.org.services import apikey_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _shipped(db: None) -> None:
    restore_shipped()  # transactional tests flush what the migrations shipped
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))


def test_manager_configures_the_courier_step_and_the_shops_status_reaches_the_timeline(
        page, live_server, world: World, screenshot) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.manager_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))

    page.click("[data-nav=orders]")
    page.click("[data-testid=journey-link]")
    step = page.locator("[data-testid=step-handed_to_courier]")
    expect(step.locator("[data-testid=preview-handed_to_courier]")).to_contain_text("+7 916 123-45-67")
    screenshot("orders-journey")
    step.locator("[data-testid=edit-handed_to_courier]").click()
    page.fill("input[name=delay_minutes]", "-5")
    page.click("[data-testid=step-save]")
    expect(page.locator("[data-testid=step-form]")).to_contain_text("0")  # refused next to the field
    assert OrderStatus.objects.get(flow__key="eshop", code="handed_to_courier").delay_minutes == 0
    page.fill("input[name=name]", "Едет к вам")
    page.fill("input[name=delay_minutes]", "0")
    page.fill("input[name=send_within_minutes]", "60")
    page.click("[data-testid=step-save]")
    expect(page.locator("[data-testid=step-handed_to_courier]")).to_contain_text("Едет к вам")
    status = OrderStatus.objects.get(flow__key="eshop", code="handed_to_courier")
    assert (status.name, status.notify, status.send_within_minutes) == ("Едет к вам", True, 60)

    _key, token = apikey_create(actor=world.actor(world.admin), name="shop")
    shop = Client(headers={"authorization": f"Bearer {token}"})
    created = shop.put("/api/v1/orders/shop/77", json.dumps({
        "number": "A-77", "branch": "a", "customer": {"phone": "+79165550077", "first_name": "Ольга"},
        "items": [{"name": "Кроссовки", "price": "4990"}]}), content_type="application/json")
    assert created.status_code == 201, created.content
    moved = shop.post("/api/v1/orders/shop/77/status", json.dumps({"status": "handed_to_courier"}),
                      content_type="application/json")
    assert moved.json()["status_applied"] is True
    shop.put("/api/v1/orders/shop/77", json.dumps({"shipments": [{"courier_name": "Пётр",
                                                                   "courier_phone": "+79990001122"}]}),
             content_type="application/json")
    order = Order.objects.get()
    courier = Message.objects.get(idempotency_key=f"order:{order.pk}:status:handed_to_courier")
    assert "Заказ A-77 передан в доставку" in courier.body

    page.goto(f"{live_server.url}/customers/{order.customer_id}/")
    expect(page.locator("[data-testid=orders] [data-testid=card-order]")).to_contain_text("Едет к вам")
    timeline = page.locator("#card-timeline, [data-testid=timeline]").first
    expect(timeline).to_contain_text("Order A-77: Едет к вам")  # stored in the business's language: "en" in tests
    screenshot("orders-card")
    page.click("[data-testid=card-order] a")
    expect(page.locator("[data-testid=order-messages]")).to_contain_text("передан в доставку")
    expect(page.locator("[data-testid=order-history]")).to_contain_text("Едет к вам")
    screenshot("orders-detail")
