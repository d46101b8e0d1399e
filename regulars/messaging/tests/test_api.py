"""The messaging API: sending with an Idempotency-Key, refusals naming their field, listing and reading messages,
versioned templates, previews with SMS length, and who may write templates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import World, client_for
from regulars.customers.models import Customer
from regulars.customers.services import customer_create
from regulars.messaging.models import Message, Template, TemplateVersion
from regulars.org.services import apikey_create

pytestmark = pytest.mark.django_db

GREETING = "Здравствуйте, {{ customer.first_name }}"


@pytest.fixture
def api(world: World) -> Client:
    _, secret = apikey_create(actor=world.actor(world.admin), name="erp")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client: Client, url: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def put(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")


def test_the_same_idempotency_key_answers_the_first_message(api: Client, ivan: Customer) -> None:
    body = {"customer_id": ivan.pk, "channel": "email", "text": GREETING}
    first = post(api, "/api/v1/messages", body, **{"Idempotency-Key": "abc"})
    assert first.status_code == 201
    created = first.json()
    assert (created["body"], created["channel"], created["to"], created["status"]) == (
        "Здравствуйте, Иван", "email", "ivan@example.com", "queued")
    assert created["template"] == "" and created["template_version"] is None

    repeated = post(api, "/api/v1/messages", {**body, "text": "Другой текст"}, **{"Idempotency-Key": "abc"})
    assert repeated.status_code == 200 and repeated.json() == created
    assert Message.objects.count() == 1

    unkeyed = [post(api, "/api/v1/messages", body) for _ in range(2)]
    assert [r.status_code for r in unkeyed] == [201, 201]
    ids = {created["id"], *(r.json()["id"] for r in unkeyed)}
    assert len(ids) == 3 and Message.objects.count() == 3


def test_keys_of_different_clients_do_not_collide(world: World, api: Client, ivan: Customer) -> None:
    _, other_secret = apikey_create(actor=world.actor(world.admin), name="shop")
    other = Client(HTTP_AUTHORIZATION=f"Bearer {other_secret}")
    body = {"customer_id": ivan.pk, "channel": "sms", "text": "Заказ готов"}
    ours = post(api, "/api/v1/messages", body, **{"Idempotency-Key": "1"})
    theirs = post(other, "/api/v1/messages", body, **{"Idempotency-Key": "1"})
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize(("change", "field"), [
    ({"channel": "fax"}, "channel"),
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "Привет {% debug %}"}, "text"),
    ({"text": "{% load static %}{% static 'x.css' %}"}, "text"),
    ({"text": "Пароль: {{ secret.x }}"}, "text"),
    ({"text": "{% if customer.first_name %}незакрытый if"}, "text"),
    ({"text": "Привет, {{ customer.first_name"}, "text"),
    ({"purpose": "spam"}, "purpose"),
    ({"subject": "{{ settings.SECRET_KEY }}"}, "subject"),
    ({"customer_id": "not-a-number"}, "customer_id"),
])
def test_bad_input_is_refused_naming_the_field(api: Client, ivan: Customer, change: dict[str, Any],
                                               field: str) -> None:
    body = {"customer_id": ivan.pk, "channel": "email", "text": GREETING, **change}
    response = post(api, "/api/v1/messages", body, **{"Idempotency-Key": "bad"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"], error
    assert not Message.objects.exists()


def test_an_unknown_customer_or_message_is_404(api: Client, ivan: Customer) -> None:
    response = post(api, "/api/v1/messages", {"customer_id": ivan.pk + 1000, "channel": "email", "text": "Привет"})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert not Message.objects.exists()
    assert api.get("/api/v1/messages/999999").status_code == 404


def test_list_filters_exactly_and_get_reads_one(world: World, api: Client, ivan: Customer) -> None:
    maria = customer_create(actor=world.actor(world.admin), first_name="Мария", phones=["+79160000002"],
                            emails=["maria@example.com"])

    def send(customer: Customer, channel: str) -> int:
        response = post(api, "/api/v1/messages", {"customer_id": customer.pk, "channel": channel, "text": GREETING})
        assert response.status_code == 201
        return int(response.json()["id"])

    queued_email = send(ivan, "email")
    sent_sms = send(ivan, "sms")
    queued_sms = send(ivan, "sms")
    marias = send(maria, "email")
    Message.objects.filter(pk=sent_sms).update(status="sent")

    def ids(**query: Any) -> list[int]:
        response = api.get("/api/v1/messages", query)
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert ids(customer_id=ivan.pk, status="queued") == [queued_sms, queued_email]
    assert ids(customer_id=ivan.pk, status="sent") == [sent_sms]
    assert ids(customer_id=ivan.pk, channel="sms") == [queued_sms, sent_sms]
    assert ids(customer_id=maria.pk) == [marias]
    assert ids(status="queued", channel="email") == [marias, queued_email]
    assert ids(status="delivered") == []
    page = api.get("/api/v1/messages", {"customer_id": ivan.pk, "limit": 2}).json()
    assert (len(page["items"]), page["next_offset"]) == (2, 2)
    assert api.get("/api/v1/messages", {"limit": 0}).status_code == 400

    one = api.get(f"/api/v1/messages/{marias}")
    assert one.status_code == 200
    assert (one.json()["id"], one.json()["customer_id"], one.json()["body"]) == (marias, maria.pk,
                                                                                 "Здравствуйте, Мария")


def test_editing_a_template_makes_a_new_version_that_new_messages_record(api: Client, ivan: Customer) -> None:
    created = post(api, "/api/v1/templates", {"key": "order-ready", "name": "Заказ готов", "channel": "sms",
                                              "body": "{{ customer.first_name }}, заказ готов"})
    assert created.status_code == 201
    template = created.json()
    assert (template["key"], template["channel"], template["version"]) == ("order-ready", "sms", 1)
    before = post(api, "/api/v1/messages", {"customer_id": ivan.pk, "channel": "sms", "template": "order-ready"})
    assert before.status_code == 201
    assert (before.json()["body"], before.json()["template_version"]) == ("Иван, заказ готов", 1)

    edited = put(api, f"/api/v1/templates/{template['id']}", {"name": "Заказ готов",
                                                              "body": "{{ customer.first_name }}, ваш заказ готов!"})
    assert edited.status_code == 200
    assert (edited.json()["id"], edited.json()["version"]) == (template["id"], 2)
    assert list(TemplateVersion.objects.filter(template_id=template["id"]).values_list("version", flat=True)) == [2, 1]

    after = post(api, "/api/v1/messages", {"customer_id": ivan.pk, "channel": "sms", "template": "order-ready"})
    assert after.status_code == 201
    got = api.get(f"/api/v1/messages/{after.json()['id']}").json()
    assert (got["body"], got["template"], got["template_version"]) == ("Иван, ваш заказ готов!", "order-ready", 2)
    assert api.get(f"/api/v1/messages/{before.json()['id']}").json()["template_version"] == 1  # kept its version

    assert put(api, "/api/v1/templates/999999", {"body": "x"}).status_code == 404
    bad = post(api, "/api/v1/templates", {"key": "bad", "channel": "sms", "body": "{% debug %}"})
    assert bad.status_code == 400 and "body" in bad.json()["error"]["fields"]
    no_such = post(api, "/api/v1/messages", {"customer_id": ivan.pk, "channel": "sms", "template": "nope"})
    assert no_such.status_code == 400 and "template" in no_such.json()["error"]["fields"]


@pytest.mark.parametrize(("body", "expected"), [
    ("Ж" * 70, (70, 1, "UCS-2")),
    ("Ж" * 71, (71, 2, "UCS-2")),
    ("a" * 160, (160, 1, "GSM-7")),
    ("a" * 161, (161, 2, "GSM-7")),
])
def test_preview_counts_sms_segments(api: Client, ivan: Customer, body: str, expected: tuple[int, int, str]) -> None:
    response = post(api, "/api/v1/templates/preview", {"customer_id": ivan.pk, "body": body})
    assert response.status_code == 200
    got = response.json()
    assert (got["body"], (got["characters"], got["sms_segments"], got["encoding"])) == (body, expected)


def test_preview_renders_for_a_real_customer_and_writes_nothing(api: Client, ivan: Customer) -> None:
    body = {"customer_id": ivan.pk, "subject": "Для {{ customer.last_name }}", "body": GREETING + "!"}
    response = post(api, "/api/v1/templates/preview", body)
    assert response.status_code == 200
    assert response.json() == {"subject": "Для Петров", "body": "Здравствуйте, Иван!", "characters": 19,
                               "sms_segments": 1, "encoding": "UCS-2"}
    assert post(api, "/api/v1/templates/preview", {"customer_id": ivan.pk + 1000, "body": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_who_may_write_templates(world: World, ivan: Customer) -> None:
    template = {"key": "promo", "channel": "email", "purpose": "marketing", "subject": "Скидка", "body": GREETING}
    marketer = post(client_for(world.marketer), "/api/v1/templates", template)
    assert marketer.status_code == 201 and marketer.json()["version"] == 1

    operator = client_for(world.operator_a)
    refused = post(operator, "/api/v1/templates", {**template, "key": "promo-2"})
    assert refused.status_code == 403 and refused.json()["error"]["fields"] == {"permission": "templates.manage"}
    assert put(operator, f"/api/v1/templates/{marketer.json()['id']}", {"body": "взлом"}).status_code == 403
    assert list(Template.objects.filter(key__startswith="promo").values_list("key", "version")) == [("promo", 1)]
    # The operator may still send and read messages, and preview.
    assert post(operator, "/api/v1/messages", {"customer_id": ivan.pk, "channel": "sms", "text": "Привет"}
                ).status_code == 201
    assert operator.get("/api/v1/templates").status_code == 200


def test_a_session_write_needs_the_csrf_token(world: World) -> None:
    marketer = Client(enforce_csrf_checks=True)
    marketer.force_login(world.marketer)
    template = {"key": "promo", "channel": "email", "body": GREETING}
    assert post(marketer, "/api/v1/templates", template).status_code == 403
    assert not Template.objects.exclude(key__startswith="order-").exists()
    secret = "a" * 32
    marketer.cookies["csrftoken"] = secret
    assert post(marketer, "/api/v1/templates", template, **{"X-CSRFToken": secret}).status_code == 201
    assert Client().post("/api/v1/templates", json.dumps(template), content_type="application/json"
                         ).status_code == 401
