"""POST /api/v1/events: custom events from programs, once per idempotency key, on the customer's timeline."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import World, client_for
from regulars.customers.models import ContactPoint, Customer, TimelineEntry
from regulars.customers.services import customer_create
from regulars.integrations.models import ReceivedEvent
from regulars.platform.models import Event

pytestmark = pytest.mark.django_db


def send(client: Client, body: dict[str, Any], key: str | None = "k-1") -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/events", json.dumps(body), content_type="application/json", headers=headers)


@pytest.fixture
def anna(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Анна", phones=["+79160000002"])


def test_the_first_request_is_201_the_same_key_again_200_with_the_same_event(erp: Client, anna: Customer) -> None:
    body = {"name": "visit.completed", "customer": {"id": anna.pk}, "summary": "Замена масла",
            "data": {"mileage": 48200}}
    first = send(erp, body)
    assert first.status_code == 201, first.content
    created = first.json()
    assert (created["name"], created["customer_id"], created["summary"], created["data"]) == (
        "visit.completed", anna.pk, "Замена масла", {"mileage": 48200})
    again = send(erp, body | {"summary": "other"})
    assert again.status_code == 200 and again.json() == created
    assert Event.objects.filter(name="visit.completed").count() == 1 and ReceivedEvent.objects.count() == 1
    assert erp.get(f"/api/v1/events/{created['id']}").json() == created
    entry = TimelineEntry.objects.get(customer=anna, kind="visit.completed")
    assert entry.summary == "Замена масла" and entry.data["data"] == {"mileage": 48200}


def test_the_key_is_required(erp: Client, anna: Customer) -> None:
    refused = send(erp, {"name": "visit.completed", "customer": {"id": anna.pk}}, key=None)
    assert refused.status_code == 400 and "Idempotency-Key" in refused.json()["error"]["fields"]
    assert not Event.objects.filter(name="visit.completed").exists()


@pytest.mark.parametrize("name", ["order.created", "customer.deleted", "message.sent", "webhook.x", "import.done"])
def test_names_the_product_owns_are_refused(erp: Client, anna: Customer, name: str) -> None:
    refused = send(erp, {"name": name, "customer": {"id": anna.pk}})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"name"}
    assert not ReceivedEvent.objects.exists() and not Event.objects.filter(name=name).exists()


@pytest.mark.parametrize("name", ["Visit.Completed", "visit", "visit..done", "visit.done!", "a." + "b" * 80])
def test_malformed_names_are_refused(erp: Client, anna: Customer, name: str) -> None:
    refused = send(erp, {"name": name, "customer": {"id": anna.pk}})
    assert refused.status_code == 400 and "name" in refused.json()["error"]["fields"]


def test_an_unknown_customer_with_a_phone_gets_a_card(erp: Client) -> None:
    response = send(erp, {"name": "eye_test.done", "summary": "Проверка зрения",
                          "customer": {"phone": "8 916 555-44-33", "first_name": "Олег"}})
    assert response.status_code == 201 and response.json()["customer_created"] is True
    customer = Customer.objects.get(pk=response.json()["customer_id"])
    assert customer.first_name == "Олег"
    assert ContactPoint.objects.filter(customer=customer, value="+79165554433").exists()
    assert TimelineEntry.objects.filter(customer=customer, kind="eye_test.done", summary="Проверка зрения").exists()


def test_a_known_phone_finds_the_card_and_creates_none(erp: Client, anna: Customer) -> None:
    response = send(erp, {"name": "visit.completed", "customer": {"phone": "+7 916 000-00-02"}})
    assert response.status_code == 201 and response.json()["customer_id"] == anna.pk
    assert Customer.objects.count() == 1


def test_a_malformed_phone_names_the_field_and_writes_nothing(erp: Client) -> None:
    refused = send(erp, {"name": "visit.completed", "customer": {"phone": "12", "first_name": "X"}})
    assert refused.status_code == 400 and "customer.phone" in refused.json()["error"]["fields"]
    assert not Customer.objects.exists() and not Event.objects.exists()


def test_time_data_and_summary_limits(erp: Client, anna: Customer) -> None:
    who = {"id": anna.pk}
    future = (timezone.now() + timedelta(minutes=6)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"occurred_at": future}, "occurred_at"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),  # no time zone
        ({"data": {"blob": "x" * 17000}}, "data"),
        ({"data": [1, 2]}, "data"),
        ({"summary": "x" * 301}, "summary"),
    ]
    for i, (extra, field) in enumerate(cases):
        refused = send(erp, {"name": "visit.completed", "customer": who} | extra, key=f"limit-{i}")
        assert refused.status_code == 400 and field in refused.json()["error"]["fields"], (extra, refused.content)
    assert not ReceivedEvent.objects.exists()
    past = (timezone.now() - timedelta(days=3)).replace(microsecond=0)
    ok = send(erp, {"name": "visit.completed", "customer": who, "occurred_at": past.isoformat()}, key="past")
    assert ok.status_code == 201
    assert Event.objects.get(name="visit.completed").occurred_at == past


def test_reading_needs_the_card(world: World, erp: Client, anna: Customer) -> None:
    created = send(erp, {"name": "visit.completed", "customer": {"id": anna.pk}}).json()
    assert client_for(world.operator_a).get(f"/api/v1/events/{created['id']}").status_code == 200
    assert erp.get("/api/v1/events/999999").status_code == 404
    assert Client().post("/api/v1/events", "{}", content_type="application/json").status_code == 401


def test_a_staff_member_without_edit_rights_cannot_record(world: World, anna: Customer) -> None:
    marketer = client_for(world.marketer)
    refused = send(marketer, {"name": "visit.completed", "customer": {"id": anna.pk}})
    assert refused.status_code == 403 and not ReceivedEvent.objects.exists()
