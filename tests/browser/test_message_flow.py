"""An operator sends a message from the card in a real browser: the text with a variable reaches the customer
rendered, once, and shows on the card, in the message log and on the timeline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.customers.models import TimelineEntry
from regulars.customers.services import customer_create
from regulars.messaging.dispatch import messages_dispatch_due
from regulars.messaging.models import Message, MessagingPolicy


@pytest.fixture(autouse=True)
def no_quiet_hours(db: None) -> None:
    """The worker's round runs at the wall clock: without this, a run at night would rightly wait for morning."""
    MessagingPolicy.objects.create(quiet_from=dt.time(0, 0), quiet_to=dt.time(0, 0))

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_sends_an_email_from_the_card_and_sees_it_everywhere(page, live_server, world: World,
                                                                       screenshot) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Ольга", last_name="Смирнова",
                               emails=["olga@example.com"], phones=["+79165554321"], preferred_channels=["email"],
                               home_branch_id=world.branch_a.pk)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.operator_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.goto(f"{live_server.url}/customers/{customer.pk}/")

    section = page.locator("[data-testid=messages]")
    section.locator("[data-testid=send-message]").click()
    page.select_option("[data-testid=send-channel]", value="email")
    # a bad variable is refused next to the text, and what was typed stays
    page.fill("[data-testid=send-text]", "Здравствуйте, {{ secret.key }}")
    page.click("[data-testid=send-submit]")
    expect(section).to_contain_text("неизвестная переменная")
    assert Message.objects.count() == 0
    page.fill("[data-testid=send-text]", "Здравствуйте, {{ customer.first_name }}! Машина готова.")
    page.click("[data-testid=send-submit]")
    expect(section.locator("[data-testid=message-queued]")).to_be_visible()
    expect(section.locator("[data-testid=message-row]")).to_have_count(1)
    expect(section).to_contain_text("Здравствуйте, Ольга! Машина готова.")

    assert messages_dispatch_due(worker_id="browser-test") == 1  # the worker's round
    assert [m.to for m in mail.outbox] == [["olga@example.com"]]
    assert mail.outbox[0].body == "Здравствуйте, Ольга! Машина готова."

    page.reload()
    expect(section.locator("[data-testid=message-row]").first).to_contain_text("Отправлено")
    expect(page.locator("#card-timeline, [data-testid=timeline]").first).to_contain_text("Машина готова")
    screenshot("messages-card")

    page.click("[data-nav=messages]")
    page.wait_for_url(re.compile(r"/messages/"))
    expect(page.locator("[data-testid=log-row]")).to_have_count(1)
    expect(page.locator("[data-testid=message-log]")).to_contain_text("olga@example.com")
    screenshot("messages-log")
    assert TimelineEntry.objects.filter(customer=customer, kind="message.sent").count() == 1
    assert Message.objects.get().status == "sent" and len(mail.outbox) == 1


def test_marketer_writes_a_template_previews_it_live_and_sends_it(page, live_server, world: World,
                                                                   screenshot) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Пётр", last_name="Кузнецов",
                               emails=["petr@example.com"], preferred_channels=["email"],
                               home_branch_id=world.branch_a.pk)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.marketer.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))

    page.goto(f"{live_server.url}/messages/templates/new/")
    page.fill("[data-testid=template-key]", "car_ready")
    page.fill("[data-testid=template-name]", "Машина готова")
    page.select_option("select[name=channel]", value="email")
    page.fill("[data-testid=preview-customer]", str(customer.pk))
    page.fill("[data-testid=template-body]", "{{ customer.first_name }}, машина готова. {{ branch.name }}")
    expect(page.locator("[data-testid=preview-text]")).to_have_text("Пётр, машина готова. Branch A")  # live
    screenshot("template-editor")
    page.click("[data-testid=template-save]")
    page.wait_for_url(re.compile(r"/messages/templates/$"))
    expect(page.locator("[data-testid=templates]")).to_contain_text("Машина готова")

    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("[data-testid=messages]")
    section.locator("[data-testid=send-message]").click()
    page.select_option("[data-testid=send-template]", value="car_ready")
    page.click("[data-testid=send-submit]")
    expect(section.locator("[data-testid=message-row]")).to_have_count(1)
    assert messages_dispatch_due(worker_id="browser-test") == 1
    message = Message.objects.get()
    assert (message.status, message.template_key, message.to) == ("sent", "car_ready", "petr@example.com")
    assert message.template_version is not None and message.template_version.version == 1
    assert mail.outbox[0].body == "Пётр, машина готова. Branch A"
    page.goto(f"{live_server.url}/messages/?customer={customer.pk}")
    expect(page.locator("[data-testid=log-row]")).to_have_count(1)
    assert TimelineEntry.objects.filter(customer=customer, kind="message.sent").count() == 1
