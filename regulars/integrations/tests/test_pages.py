"""The settings pages: subscriptions, their delivery log with redelivery, the secret rotation, inbound endpoints."""

from __future__ import annotations

import pytest
from django.db import transaction

from conftest import World, client_for
from regulars.integrations.models import InboundEndpoint, WebhookAttempt, WebhookDelivery, WebhookSubscription
from regulars.integrations.services import webhook_subscription_save
from regulars.platform.events import publish
from regulars.platform.jobs import jobs_run_due

from .conftest import Receiver

pytestmark = pytest.mark.django_db


def test_an_admin_creates_a_subscription_and_sees_its_log(world: World, receiver: Receiver) -> None:
    admin = client_for(world.admin)
    assert admin.get("/integrations/").status_code == 200
    assert admin.get("/integrations/webhooks/new/").status_code == 200
    refused = admin.post("/integrations/webhooks/new/", {"url": "ftp://x", "event_types": "order.*"})
    assert refused.status_code == 200 and b"http:// or https://" in refused.content
    both = admin.post("/integrations/webhooks/new/", {"url": "ftp://x", "event_types": ""})  # both told at once
    assert b"http:// or https://" in both.content and b"at least one event name or pattern" in both.content
    assert not WebhookSubscription.objects.exists()
    saved = admin.post("/integrations/webhooks/new/", {"url": receiver.url, "event_types": "order.*\nvisit.completed",
                                                       "is_active": "on"})
    subscription = WebhookSubscription.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/integrations/webhooks/{subscription.pk}/"
    assert subscription.event_types == ["order.*", "visit.completed"]
    listing = admin.get("/integrations/")
    assert listing.status_code == 200 and receiver.url.encode() in listing.content
    receiver.statuses = [500]
    with transaction.atomic():
        publish("order.created", subject_type="order", subject_id=3)
    jobs_run_due(worker_id="t")
    page = admin.get(f"/integrations/webhooks/{subscription.pk}/")
    assert page.status_code == 200
    for text in (receiver.url, "order.created", subscription.secret, "HTTP 500", "Redeliver"):
        assert text.encode() in page.content, text
    delivery = WebhookDelivery.objects.get()
    receiver.statuses = [200]
    redelivered = admin.post(f"/integrations/deliveries/{delivery.pk}/redeliver/")
    assert redelivered.status_code == 302
    jobs_run_due(worker_id="t")
    assert WebhookAttempt.objects.count() == 2 and WebhookDelivery.objects.get().status == "delivered"
    old_secret = subscription.secret
    assert admin.post(f"/integrations/webhooks/{subscription.pk}/rotate/").status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret != old_secret
    edit = admin.get(f"/integrations/webhooks/{subscription.pk}/edit/")
    assert b"visit.completed" in edit.content
    assert admin.post(f"/integrations/webhooks/{subscription.pk}/delete/").status_code == 302
    assert not WebhookSubscription.objects.exists()


def test_the_pages_speak_russian(world: World) -> None:
    webhook_subscription_save(actor=world.actor(world.admin), url="https://erp.example.com/h", event_types=["*"])
    page = client_for(world.admin, language="ru").get("/integrations/")
    assert page.status_code == 200 and "Новая подписка".encode() in page.content
    assert b"https://erp.example.com/h" in page.content


def test_inbound_endpoints_page_shows_url_secret_and_how_to_sign(world: World) -> None:
    admin = client_for(world.admin)
    refused = admin.post("/integrations/inbound/", {"name": "1C", "source": "Bad Source"})
    assert refused.status_code == 200 and not InboundEndpoint.objects.exists()
    assert admin.post("/integrations/inbound/", {"name": "1C", "source": "erp"}).status_code == 302
    endpoint = InboundEndpoint.objects.get()
    page = admin.get("/integrations/inbound/")
    assert page.status_code == 200
    for text in (f"/api/v1/inbound/{endpoint.pk}", endpoint.secret, "HMAC-SHA256"):
        assert text.encode() in page.content, text
    settings_page = admin.get("/settings/")
    assert b'href="/integrations/"' in settings_page.content


def test_operators_get_403_on_every_page(world: World) -> None:
    subscription = webhook_subscription_save(actor=world.actor(world.admin), url="https://x.example/h",
                                             event_types=["*"])
    operator = client_for(world.operator_a)
    for url in ("/integrations/", "/integrations/webhooks/new/", f"/integrations/webhooks/{subscription.pk}/",
                "/integrations/inbound/"):
        assert operator.get(url).status_code == 403, url
    base = f"/integrations/webhooks/{subscription.pk}"
    for url in (f"{base}/rotate/", f"{base}/delete/", "/integrations/inbound/"):
        assert operator.post(url, {"name": "x", "source": "x"}).status_code == 403, url
    assert WebhookSubscription.objects.get().secret == subscription.secret and not InboundEndpoint.objects.exists()
    assert b'href="/integrations/"' not in operator.get("/settings/").content


def test_rotating_an_endpoints_secret_or_a_missing_subscriptions_says_what_happened(world: World) -> None:
    from regulars.integrations.models import InboundEndpoint
    from regulars.integrations.services import inbound_endpoint_save

    admin = client_for(world.admin)
    endpoint = inbound_endpoint_save(actor=world.actor(world.admin), name="1C", source="erp")
    before = endpoint.secret
    done = admin.post(f"/integrations/inbound/{endpoint.pk}/rotate/", follow=True)
    assert done.redirect_chain == [("/integrations/inbound/", 302)]
    assert InboundEndpoint.objects.get(pk=endpoint.pk).secret != before
    missing = admin.post("/integrations/webhooks/999999/rotate/", follow=True)
    assert missing.redirect_chain == [("/integrations/", 302)]
    assert b"No such subscription" in missing.content
