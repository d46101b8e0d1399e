"""An operator's first minute, in a real browser: log in, find a customer by four digits of a phone, open the
card, add a vehicle, and see it on the timeline."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.customers.models import Asset, TimelineEntry
from regulars.customers.services import customer_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHIPPED_TYPES = importlib.import_module("regulars.customers.migrations.0003_search_index_and_asset_types")


@pytest.fixture(autouse=True)
def shipped_asset_types(db: None) -> None:
    """Transactional tests flush the tables after each test, data migrations included: put the shipped types back."""
    SHIPPED_TYPES.add_asset_types(django_apps, None)


def test_operator_finds_a_customer_by_phone_digits_and_adds_a_vehicle(page, live_server, world: World) -> None:
    actor = world.actor(world.admin)
    wanted = customer_create(actor=actor, first_name="Ольга", last_name="Смирнова", phones=["+7 916 555-43-21"],
                             home_branch_id=world.branch_a.pk)
    customer_create(actor=actor, first_name="Пётр", last_name="Кузнецов", phones=["+7 903 111-22-33"],
                    home_branch_id=world.branch_b.pk)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.operator_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))

    results = page.locator("#customer-results")
    expect(results).to_contain_text("Кузнецов")  # before searching, the list shows everyone
    page.fill("input[name=q]", "4321")
    expect(results).not_to_contain_text("Кузнецов")  # live search narrowed the list without a page load
    expect(results).to_contain_text("Смирнова")
    assert "q=4321" in page.url  # the search is in the address: reload or share keeps it

    page.click(f"a[href$='/customers/{wanted.pk}/']")
    page.wait_for_url(re.compile(rf"/customers/{wanted.pk}/$"))
    assert "Смирнова" in page.locator("h1").inner_text()

    page.click("[data-testid=add-asset]")
    page.select_option("select[name=type]", value="vehicle")
    page.wait_for_selector("input[name=make]")
    page.fill("input[name=make]", "Kia")
    page.fill("input[name=model]", "Rio")
    page.fill("input[name=year]", "2019")
    page.fill("input[name=plate]", "в 456 ор 799")
    page.fill("input[name=vin]", "Z94CB41AAGR323456")
    page.locator("[data-testid=asset-form] button[type=submit]").click()

    page.wait_for_url(re.compile(rf"/customers/{wanted.pk}/$"))
    page.wait_for_selector("[data-testid=timeline] >> text=Kia Rio 2019")
    assert page.locator("[data-testid=assets]").inner_text().count("Kia Rio") == 1
    page.screenshot(path="test-artifacts/card-after-vehicle.png", full_page=True)

    asset = Asset.objects.get(customer=wanted)
    assert asset.data["plate"] == "B456OP799"
    assert TimelineEntry.objects.filter(customer=wanted, kind="asset.added").count() == 1
    assert not Asset.objects.exclude(customer=wanted).exists()
