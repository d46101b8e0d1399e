"""A manager imports a messy spreadsheet in a real browser: upload, map columns, see the problems in the preview,
confirm, watch the progress bar finish, download the report of rejected rows."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.exchange.models import ImportBatch
from regulars.exchange.services import import_run_chunk
from regulars.exchange.tests.helpers import existing_customers, messy_csv, run_jobs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@override_settings(REGULARS_IMPORT_CHUNK=4)
def test_manager_imports_a_file_and_downloads_the_report(page, live_server, world: World, screenshot) -> None:
    existing_customers(world)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.manager_a.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.click("[data-testid=import-customers]")

    page.set_input_files("input[name=file]", files=[{"name": "клиенты.csv", "mimeType": "text/csv",
                                                    "buffer": messy_csv()}])
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/mapping/$"))
    expect(page.locator("[data-testid=map-1]")).to_have_value("last_name")  # guessed from «Фамилия»
    expect(page.locator("[data-testid=map-3]")).to_have_value("phone")
    page.select_option("[data-testid=map-8]", value="consent:sms:marketing")
    page.fill("input[name=source]", "erp")
    page.fill("input[name=consent_source]", "Анкета 2019")
    screenshot("import-mapping")
    page.click("[data-testid=to-preview]")

    page.wait_for_url(re.compile(r"/preview/$"))
    problems = page.locator("[data-testid=preview-problems]")
    expect(problems).to_contain_text("Филиал (по названию): неизвестный филиал Филиал Х")
    expect(problems).to_contain_text("31.02.1990")
    expect(page.locator("[data-testid=preview-rows]")).to_contain_text("+79160000001")
    assert ImportBatch.objects.get().created_count == 0  # nothing written before confirming
    path = screenshot("import-preview")
    DOCS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, DOCS / "import-preview.png")
    page.click("[data-testid=confirm-import]")

    page.wait_for_url(re.compile(r"/exchange/imports/\d+/$"))
    batch = ImportBatch.objects.get()
    import_run_chunk(batch_id=batch.pk, row=0)  # the worker does the first chunk…
    expect(page.locator("[data-testid=import-status]")).to_have_attribute("data-status", "running")
    expect(page.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "40")
    screenshot("import-progress")
    run_jobs()  # … and the rest; the page polls every second and sees it finish
    expect(page.locator("[data-testid=import-status]")).to_have_attribute("data-status", "done")
    expect(page.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("[data-testid=count-created]")).to_have_text("2")
    expect(page.locator("[data-testid=count-rejected]")).to_have_text("3")
    screenshot("import-done")

    with page.expect_download() as info:
        page.click("[data-testid=download-rejections]")
    report = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert report.splitlines()[0].startswith("Строка;Причина;Код;Фамилия"), report
    assert len(report.splitlines()) == 4 and "Филиал Х" in report


def test_admin_exports_the_filtered_list(page, live_server, world: World, screenshot) -> None:
    from regulars.customers.services import customer_create
    from regulars.exchange.models import ExportBatch

    actor = world.actor(world.admin)
    customer_create(actor=actor, last_name="Андреева", phones=["+79161110001"], home_branch_id=world.branch_a.pk)
    customer_create(actor=actor, last_name="Борисов", phones=["+79161110002"], home_branch_id=world.branch_b.pk)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", world.admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))
    page.select_option("select[name=branch]", value=str(world.branch_a.pk))
    expect(page.locator("#customer-results")).not_to_contain_text("Борисов")
    screenshot("customer-list-export")
    page.click("[data-testid=export-csv]")
    page.wait_for_url(re.compile(r"/exchange/exports/\d+/$"))
    batch = ExportBatch.objects.get()
    assert batch.filters["branch_id"] == world.branch_a.pk and batch.total_rows == 1
    run_jobs()
    expect(page.locator("[data-testid=export-status]")).to_have_attribute("data-status", "done")
    screenshot("export-done")
    with page.expect_download() as info:
        page.click("[data-testid=export-download]")
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "Андреева" in text and "Борисов" not in text
