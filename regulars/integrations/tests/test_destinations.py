"""Webhooks never go into Regulars' own network: private, loopback and link-local destinations are refused when a
subscription is saved and again before each POST (a name may resolve to another address by then)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings

from conftest import World, client_for
from regulars.integrations import destinations, outbound
from regulars.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from regulars.integrations.services import webhook_subscription_save
from regulars.platform.errors import ValidationFailed
from regulars.platform.events import publish
from regulars.platform.jobs import jobs_run_due

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("guarded")]


@pytest.fixture
def guarded() -> Any:
    with override_settings(REGULARS_WEBHOOKS_PRIVATE_OK=False):
        yield


def resolving_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    def fake(host: str, *_args: Any, **_kwargs: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", fake)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hook", "http://10.1.2.3/hook", "https://192.168.0.10/", "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/", "http://[::ffff:10.0.0.1]/", "http://0.0.0.0/",
])
def test_a_private_or_local_address_is_refused_with_the_field(world: World, url: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_save(actor=world.actor(world.admin), url=url, event_types=["*"])
    assert set(refused.value.fields) == {"url"} and "private or local address" in refused.value.fields["url"]
    assert not WebhookSubscription.objects.exists()


def test_a_name_is_judged_by_the_addresses_it_resolves_to(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "10.0.0.7")
    with pytest.raises(ValidationFailed):
        webhook_subscription_save(actor=world.actor(world.admin), url="https://erp.internal/hook", event_types=["*"])
    resolving_to(monkeypatch, "93.184.216.34")
    saved = webhook_subscription_save(actor=world.actor(world.admin), url="https://erp.example/hook",
                                      event_types=["*"])
    assert saved.url == "https://erp.example/hook"


def test_the_api_refuses_it_with_the_field(world: World) -> None:
    response = client_for(world.admin).post("/api/v1/webhooks", json.dumps(
        {"url": "http://127.0.0.1:5432/", "event_types": ["*"]}), content_type="application/json")
    assert response.status_code == 400
    assert "private or local address" in response.json()["error"]["fields"]["url"]
    assert not WebhookSubscription.objects.exists()


def test_a_name_that_resolves_privately_by_delivery_time_is_not_called(world: World,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "93.184.216.34")
    webhook_subscription_save(actor=world.actor(world.admin), url="https://erp.example/hook", event_types=["*"])
    resolving_to(monkeypatch, "127.0.0.1")  # the name now points inside (DNS rebinding)
    monkeypatch.setattr(outbound, "post", lambda *args: pytest.fail("a private destination was called"))
    with transaction.atomic():
        publish("order.status_changed", subject_type="order", subject_id=7, payload={"status": "ready"})
    jobs_run_due(worker_id="t")
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "private or local address" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"  # retried on its schedule, as any failed attempt
