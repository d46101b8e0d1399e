"""A manager reviews likely duplicates and merges two cards in the browser (Russian UI); screenshots for docs."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.customers.models import Customer
from regulars.customers.services import customer_create
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_merges_duplicates(page, live_server, world: World) -> None:  # type: ignore[no-untyped-def]
    actor = world.actor(world.admin)
    a = customer_create(actor=actor, first_name="Ольга", last_name="Смирнова", birthday=dt.date(1985, 3, 4),
                        phones=["+7 916 555-43-21"], tags=["vip"])
    b = customer_create(actor=actor, first_name="Ольга", last_name="Смирнова", birthday=dt.date(1985, 3, 4),
                        emails=["olga@mail.ru"], language="en", middle_name="Петровна")
    page.context.add_cookies([{"name": "django_language", "value": "ru", "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.manager_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.goto(f"{live_server.url}/customers/duplicates/")
    expect(page.locator("[data-testid=duplicate-group]")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "duplicates.png"), full_page=True)
    page.click("[data-testid=merge-group]")
    expect(page.locator("[data-testid=conflict-language]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "merge.png"), full_page=True)
    page.click("[data-testid=merge-confirm]")
    expect(page.locator("[data-testid=merge-error]")).to_be_visible()
    page.check(f"input[name='choice:language'][value='{b.pk}']")
    page.click("[data-testid=merge-confirm]")
    page.wait_for_url(re.compile(rf"/customers/{a.pk}/$"))
    assert Customer.objects.get(pk=b.pk).merged_into_id == a.pk
