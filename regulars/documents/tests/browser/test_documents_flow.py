"""In a real browser: attach a photo on the card without leaving it, see the thumbnail, open the viewer and step
through the documents; then the back office queue and the fill-in page (screenshots for docs/screenshots)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD, World
from regulars.customers.services import customer_create
from regulars.documents import services
from regulars.documents.models import Document
from regulars.documents.tests.helpers import document_photo, pdf, upload
from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, staff) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/customers/"))


def test_operator_attaches_a_photo_and_views_it(page, live_server, world: World, screenshot,  # type: ignore[no-untyped-def]
                                                tmp_path: Path) -> None:
    customer = customer_create(actor=world.actor(world.admin), first_name="Ольга", last_name="Смирнова",
                               phones=["+7 916 555-43-21"], home_branch_id=world.branch_a.pk)
    services.document_attach(actor=world.actor(world.admin), customer_id=customer.pk, upload=pdf("договор.pdf"),
                             kind="contract")
    photo = tmp_path / "licence.jpg"
    photo.write_bytes(document_photo("ВОДИТЕЛЬСКОЕ УДОСТОВЕРЕНИЕ"))

    _login(page, live_server, world.operator_a)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    section = page.locator("[data-testid=documents]")
    expect(section.locator("[data-testid=document]")).to_have_count(1)
    section.locator("[data-testid=attach-document]").click()
    section.locator("select[name=kind]").select_option("driver_licence")
    section.locator("input[name=file]").set_input_files(str(photo))
    section.locator("[data-testid=upload-form] button[type=submit]").click()

    tiles = page.locator("[data-testid=documents] [data-testid=document]")
    expect(tiles).to_have_count(2)  # swapped in by htmx: still on the card
    assert page.url.endswith(f"/customers/{customer.pk}/")
    expect(page.locator("[data-testid=timeline-section]")).to_contain_text("licence.jpg")  # timeline swapped too
    thumb = tiles.nth(1).locator("img")
    expect(thumb).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=thumb.element_handle())
    page.locator(".card-layout__main").screenshot(path=str(ARTIFACTS / "documents-section.png"))

    tiles.nth(1).locator("[data-doc-open]").click()
    viewer = page.locator("[data-testid=doc-viewer]")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img")).to_have_attribute("src", re.compile(r"/documents/\d+/file$"))
    expect(viewer.locator("[data-viewer-count]")).to_have_text("2 / 2")
    page.screenshot(path=str(ARTIFACTS / "documents-viewer.png"))
    viewer.locator("[data-viewer-next]").click()  # wraps round to the PDF
    expect(viewer.locator("iframe")).to_have_attribute("src", re.compile(r"/documents/\d+/file$"))
    expect(viewer.locator("[data-viewer-count]")).to_have_text("1 / 2")
    viewer.locator("[data-viewer-close]").click()
    expect(viewer).to_be_hidden()
    assert Document.objects.filter(customer=customer, kind="driver_licence").count() == 1


def test_back_office_queue_and_fill_in(page, live_server, world: World, screenshot) -> None:  # type: ignore[no-untyped-def]
    for branch in (world.branch_a, world.branch_b):
        services.customer_from_documents(
            actor=world.actor(world.consultant_a), branch_id=branch.pk,
            uploads=[(upload("sts.jpg", document_photo("СВИДЕТЕЛЬСТВО О РЕГИСТРАЦИИ ТС", color="#f3e9f0")),
                      "vehicle_registration"),
                     (upload("vu.jpg", document_photo("ВОДИТЕЛЬСКОЕ УДОСТОВЕРЕНИЕ")), "driver_licence")])
    page.set_viewport_size({"width": 1400, "height": 900})
    _login(page, live_server, world.operator_a)
    page.click("[data-nav=documents]")
    page.wait_for_url(re.compile(r"/documents/to-complete/$"))
    expect(page.locator("[data-testid=queue-count]")).to_have_text("2")
    screenshot("to-complete-queue")
    page.locator("[data-testid=queue] a.row-link").first.click()
    expect(page.locator("[data-testid=complete-photos] img")).to_have_count(2)
    page.fill("input[name=last_name]", "Орлов")
    page.fill("input[name=first_name]", "Игорь")
    page.fill("input[name=phone]", "+7 912 345-67-89")
    page.screenshot(path=str(ARTIFACTS / "to-complete-fill.png"))  # the viewport: photos beside the form
    page.locator("[data-testid=complete-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/documents/to-complete/\d+/$"))
    expect(page.locator("[data-testid=complete-photos] img")).to_have_count(2)  # the next card of the queue


def test_consultant_starts_a_card_from_photos(page, live_server, world: World, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sts = tmp_path / "sts.jpg"
    sts.write_bytes(document_photo("СВИДЕТЕЛЬСТВО О РЕГИСТРАЦИИ ТС"))
    text = tmp_path / "vu.jpg"
    text.write_bytes(b"not a photo at all")
    _login(page, live_server, world.consultant_a)
    page.goto(f"{live_server.url}/documents/new-customer/")
    page.set_input_files("input[name=vehicle_registration]", str(sts))
    page.set_input_files("input[name=driver_licence]", str(text))
    page.locator("[data-testid=new-customer-form] button[type=submit]").click()
    expect(page.locator(".field__error")).to_contain_text("vu.jpg")  # refused: nothing created
    page.screenshot(path=str(ARTIFACTS / "new-customer-error.png"))
    assert not Document.objects.exists()
    page.set_input_files("input[name=vehicle_registration]", str(sts))
    page.locator("[data-testid=new-customer-form] button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("№")
    assert Document.objects.get().customer.status == "to_complete"
