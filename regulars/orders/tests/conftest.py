"""Fixtures of the orders tests: the API as the shop's program, a fixed daytime clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client

from conftest import World
from regulars.messaging.tests.helpers import NOON
from regulars.org.services import apikey_create


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


class Shop:
    """The e-shop's program speaking to the API with its key."""

    def __init__(self, token: str) -> None:
        self.client = Client(headers={"authorization": f"Bearer {token}"})

    def put(self, external_id: str, body: dict[str, Any], source: str = "shop") -> Any:
        return self.client.put(f"/api/v1/orders/{source}/{external_id}", json.dumps(body),
                               content_type="application/json")

    def status(self, external_id: str, status: str, source: str = "shop", **extra: Any) -> Any:
        return self.client.post(f"/api/v1/orders/{source}/{external_id}/status",
                                json.dumps({"status": status, **extra}), content_type="application/json")

    def batch(self, orders: list[dict[str, Any]], source: str = "shop") -> Any:
        return self.client.post("/api/v1/orders/batch", json.dumps({"source": source, "orders": orders}),
                                content_type="application/json")


@pytest.fixture
def shop(world: World) -> Shop:
    _key, token = apikey_create(actor=world.actor(world.admin), name="shop")
    return Shop(token)


def order_doc(**extra: Any) -> dict[str, Any]:
    return {"number": "A-100", "customer": {"phone": "+7 916 000-00-01", "first_name": "Иван"},
            "items": [{"sku": "X1", "name": "Кроссовки", "category": "Обувь", "quantity": 1, "price": "4990.00"}],
            **extra}


def statuses(shop: Shop, items: list[dict[str, Any]], source: str = "shop") -> Any:
    return shop.client.post("/api/v1/orders/statuses", json.dumps({"source": source, "statuses": items}),
                            content_type="application/json")
