"""The webhooks API: create (the secret once), read, change, delete, deliveries, redeliver; inbound endpoints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from conftest import World, client_for
from regulars.customers.services import customer_create
from regulars.integrations.models import InboundEndpoint, WebhookDelivery, WebhookSubscription
from regulars.platform.events import publish
from regulars.platform.jobs import jobs_run_due
from regulars.platform.models import AuditEntry

from .conftest import Receiver

pytestmark = pytest.mark.django_db


def call(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def admin(world: World) -> Client:
    return client_for(world.admin)


def test_the_secret_is_returned_on_create_only(admin: Client) -> None:
    created = call(admin, "post", "/api/v1/webhooks", {"url": "https://erp.example.com/h", "event_types": ["order.*"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["order.*"] and body["is_active"]
    assert "secret" not in admin.get(f"/api/v1/webhooks/{body['id']}").json()
    assert "secret" not in admin.get("/api/v1/webhooks").json()[0]
    entry = AuditEntry.objects.get(action="webhook.save")
    assert body["secret"] not in json.dumps(entry.changes)
    rotated = admin.post(f"/api/v1/webhooks/{body['id']}/rotate-secret").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]
    assert WebhookSubscription.objects.get().secret == rotated["secret"]
    assert body["previous_secret_until"] is None and rotated["previous_secret_until"] is not None  # a day of grace


@pytest.mark.parametrize(("url", "field"), [
    ("ftp://erp.example.com/h", "url"), ("file:///etc/passwd", "url"), ("javascript:alert(1)", "url"),
    ("https://", "url"), ("", "url"),
])
def test_urls_that_are_not_http_are_refused(admin: Client, url: str, field: str) -> None:
    refused = call(admin, "post", "/api/v1/webhooks", {"url": url, "event_types": ["*"]})
    assert refused.status_code == 400 and field in refused.json()["error"]["fields"]
    assert not WebhookSubscription.objects.exists()


def test_bad_patterns_are_refused(admin: Client) -> None:
    for patterns in ([], ["Order.*"], ["order.**"], ["order*"]):
        refused = call(admin, "post", "/api/v1/webhooks", {"url": "https://x.example/h", "event_types": patterns})
        assert refused.status_code == 400 and "event_types" in refused.json()["error"]["fields"], patterns
    assert not WebhookSubscription.objects.exists()


def test_patch_delete_and_the_delivery_log(world: World, admin: Client, receiver: Receiver) -> None:
    anna = customer_create(actor=world.actor(world.admin), first_name="Анна")
    created = call(admin, "post", "/api/v1/webhooks", {"url": receiver.url, "event_types": ["*"]}).json()
    patched = call(admin, "patch", f"/api/v1/webhooks/{created['id']}", {"description": "ERP"})
    assert patched.status_code == 200 and patched.json()["description"] == "ERP"
    assert patched.json()["event_types"] == ["*"] and patched.json()["url"] == receiver.url
    with transaction.atomic():
        publish("visit.completed", subject_type="customer", subject_id=anna.pk, payload={"summary": "x"})
    jobs_run_due(worker_id="t")
    log = admin.get(f"/api/v1/webhooks/{created['id']}/deliveries").json()
    assert log["next_offset"] is None and len(log["items"]) == 1
    item = log["items"][0]
    assert (item["event_type"], item["status"], item["attempts"]) == ("visit.completed", "delivered", 1)
    assert [a["status_code"] for a in item["attempt_log"]] == [200]
    again = admin.post(f"/api/v1/webhooks/deliveries/{item['id']}/redeliver")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    jobs_run_due(worker_id="t")
    assert len(receiver.requests) == 2
    assert admin.post("/api/v1/webhooks/deliveries/999999/redeliver").status_code == 404
    assert admin.delete(f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()
    assert admin.get(f"/api/v1/webhooks/{created['id']}").status_code == 404


def test_inbound_endpoints_api(admin: Client) -> None:
    created = call(admin, "post", "/api/v1/inbound-endpoints", {"name": "Shop", "source": "shop"})
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["url"].endswith(f"/api/v1/inbound/{body['id']}")
    listed = admin.get("/api/v1/inbound-endpoints").json()
    assert [e["name"] for e in listed] == ["Shop"] and "secret" not in listed[0]
    refused = call(admin, "post", "/api/v1/inbound-endpoints", {"name": "", "source": "Not a slug"})
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"name", "source"}
    assert InboundEndpoint.objects.count() == 1


def test_an_operator_gets_403_everywhere_and_changes_nothing(world: World) -> None:
    operator = client_for(world.operator_a)
    subscription = WebhookSubscription.objects.create(url="https://x.example/h", event_types=["*"], secret="whsec_x")
    for method, url in (("get", "/api/v1/webhooks"), ("post", "/api/v1/webhooks"),
                        ("get", f"/api/v1/webhooks/{subscription.pk}"),
                        ("patch", f"/api/v1/webhooks/{subscription.pk}"),
                        ("delete", f"/api/v1/webhooks/{subscription.pk}"),
                        ("get", f"/api/v1/webhooks/{subscription.pk}/deliveries"),
                        ("post", "/api/v1/webhooks/deliveries/1/redeliver"),
                        ("get", "/api/v1/inbound-endpoints"), ("post", "/api/v1/inbound-endpoints")):
        response = call(operator, method, url, {"url": "https://evil.example", "event_types": ["*"], "name": "x",
                                                "source": "x"})
        assert response.status_code == 403, (method, url)
    assert WebhookSubscription.objects.get().url == "https://x.example/h"
    assert not InboundEndpoint.objects.exists()
