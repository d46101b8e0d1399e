"""The settings pages: channel accounts with write-only credentials, and the template editor with its preview."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import World, client_for
from regulars.customers.services import customer_create
from regulars.messaging.models import MessagingPolicy, ProviderAccount, Template
from regulars.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_admin_adds_an_sms_gateway_and_its_secret_is_never_shown_back(world: World) -> None:
    admin = client_for(world.admin)
    page = admin.get("/messages/channels/new/?provider=sms_smsru")
    assert page.status_code == 200 and b'name="config_api_id"' in page.content
    refused = admin.post("/messages/channels/new/", {"provider": "sms_smsru", "channel": "sms", "name": "SMS.ru",
                                                     "config_api_id": "", "is_active": "on"})
    assert refused.status_code == 200 and b"required" in refused.content and not ProviderAccount.objects.exists()
    bad_priority = admin.post("/messages/channels/new/", {"provider": "sms_smsru", "channel": "sms", "name": "SMS.ru",
                                                          "config_api_id": "x", "priority": "first"})
    assert b"a whole number from 0 to 1000" in bad_priority.content and not ProviderAccount.objects.exists()
    saved = admin.post("/messages/channels/new/", {"provider": "sms_smsru", "channel": "sms", "name": "SMS.ru",
                                                   "sender": "Regulars", "config_api_id": "SECRET-123",
                                                   "config_base_url": "", "priority": "5", "is_active": "on"})
    assert saved.status_code == 302
    account = ProviderAccount.objects.get()
    assert (account.config, account.sender, account.priority) == ({"api_id": "SECRET-123"}, "Regulars", 5)
    edit = admin.get(f"/messages/channels/{account.pk}/")
    assert b"SECRET-123" not in edit.content and b"leave empty to keep" in edit.content
    listing = admin.get("/messages/channels/")
    assert b"SECRET-123" not in listing.content
    assert f"/api/v1/messaging/callbacks/{account.pk}/{account.callback_secret}".encode() in listing.content
    # an empty secret keeps the stored one; the audit log names what changed, never the value
    admin.post(f"/messages/channels/{account.pk}/", {"channel": "sms", "name": "SMS.ru main", "config_api_id": "",
                                                     "config_base_url": "http://127.0.0.1:9", "is_active": "on"})
    account.refresh_from_db()
    assert account.config == {"api_id": "SECRET-123", "base_url": "http://127.0.0.1:9"}
    assert account.name == "SMS.ru main"
    assert not any("SECRET-123" in str(e.changes) for e in AuditEntry.objects.filter(action="channel.save"))


def test_channel_settings_are_for_administrators_only(world: World) -> None:
    assert client_for(world.manager_a).get("/messages/channels/").status_code == 403
    assert client_for(world.operator_a).post("/messages/channels/new/", {
        "provider": "sms_smsru", "channel": "sms", "name": "x", "config_api_id": "y"}).status_code == 403
    assert not ProviderAccount.objects.exists()


def test_the_template_editor_refuses_bad_text_keeps_it_and_versions_edits(world: World) -> None:
    marketer = client_for(world.marketer)
    bad = marketer.post("/messages/templates/new/", {"key": "ready", "name": "Ready", "channel": "sms",
                                                     "purpose": "service", "body": "Hi {{ settings.SECRET_KEY }}"})
    assert bad.status_code == 200 and b"unknown variable" in bad.content
    assert b"Hi {{ settings.SECRET_KEY }}" in bad.content  # what was typed stays
    assert not Template.objects.exclude(key__startswith="order-").exists()
    ok = marketer.post("/messages/templates/new/", {"key": "ready", "name": "Ready", "channel": "sms",
                                                    "purpose": "service", "body": "{{ customer.first_name }}, готово"})
    assert ok.status_code == 302
    template = Template.objects.get(key="ready")
    marketer.post(f"/messages/templates/{template.pk}/", {"name": "Ready", "purpose": "service",
                                                          "body": "{{ customer.first_name }}, заказ готов"})
    template.refresh_from_db()
    assert (template.version, template.body) == (2, "{{ customer.first_name }}, заказ готов")
    assert client_for(world.operator_a).get("/messages/templates/").status_code == 403


def test_the_preview_renders_for_a_real_customer_with_the_sms_length(world: World) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Ольга", phones=["+79160000009"])
    marketer = client_for(world.marketer)
    body = "{{ customer.first_name }}, заказ {{ order.number }}"
    html = marketer.post("/messages/templates/preview/", {"customer": customer.pk, "body": body})
    text = html.content.decode()
    assert "Ольга, заказ A-1024" in text and "19 characters · 1 SMS (UCS-2)" in text
    error = marketer.post("/messages/templates/preview/", {"customer": customer.pk, "body": "{% debug %}"})
    assert b"Invalid block tag" in error.content


def test_the_log_says_why_a_message_was_held_back_in_the_readers_language(world: World) -> None:
    from regulars.messaging.dispatch import messages_dispatch_due
    from regulars.messaging.services import message_send

    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))  # whatever the wall clock
    customer = customer_create(actor=world.actor(world.admin), first_name="Ольга", phones=["+79160000008"])
    message, _ = message_send(actor=world.actor(world.admin), customer_id=customer.pk, channel="sms", text="Привет",
                              idempotency_key="why")
    while messages_dispatch_due(worker_id="t"):
        pass
    message.refresh_from_db()
    assert message.status_reason == "no provider configured for this channel"  # programs read stable English
    russian = client_for(world.operator_a, language="ru").get("/messages/").content.decode()
    assert "для этого канала не настроен провайдер" in russian and "Не отправлено" in russian
    english = client_for(world.operator_a).get("/messages/").content.decode()
    assert "no provider configured for this channel" in english


def test_an_admin_sets_the_sending_rules_and_bad_numbers_are_refused(world: World) -> None:
    admin = client_for(world.admin)
    page = admin.get("/messages/channels/")
    assert b'name="quiet_from" value="21:00"' in page.content  # the defaults, before anything is saved
    bad = admin.post("/messages/channels/", {"quiet_from": "22:00", "quiet_to": "08:00", "marketing_per_day": "3",
                                             "marketing_per_week": "2", "fallback_after_minutes": "15"})
    assert bad.status_code == 200 and b"at least the number per day" in bad.content
    assert not MessagingPolicy.objects.exists()
    ok = admin.post("/messages/channels/", {"quiet_from": "22:00", "quiet_to": "08:00", "marketing_per_day": "1",
                                            "marketing_per_week": "2", "fallback_after_minutes": "15"})
    assert ok.status_code == 302
    policy = MessagingPolicy.objects.get()
    assert (policy.quiet_from, policy.quiet_to, policy.marketing_per_week, policy.fallback_after_minutes) == (
        dt.time(22, 0), dt.time(8, 0), 2, 15)
    assert AuditEntry.objects.get(action="messaging_policy.save").changes["quiet_from"] == ["21:00:00", "22:00:00"]
