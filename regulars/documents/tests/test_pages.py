"""Documents pages with the personas: the card section, the file views, and the to-complete flow end to end."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from conftest import World, client_for
from regulars.customers.models import Customer
from regulars.customers.services import customer_create
from regulars.documents import services
from regulars.documents.models import Document

from .helpers import PDF, fake_jpeg, jpeg, pdf, png, stored_files

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def card(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), first_name="Ольга", last_name="Смирнова",
                           home_branch_id=world.branch_a.pk)


def test_operator_uploads_with_htmx_and_the_card_shows_the_thumbnail(world: World, card: Customer) -> None:
    client = client_for(world.operator_a)
    response = client.post(f"/documents/customer/{card.pk}/upload", {"file": jpeg(), "kind": "passport"}, headers=HTMX)

    assert response.status_code == 200
    document = Document.objects.get(customer=card)
    html = response.content.decode()
    assert 'id="card-documents"' in html and f"/documents/{document.pk}/thumbnail" in html
    page = client.get(f"/customers/{card.pk}/").content.decode()
    assert f'data-src="/documents/{document.pk}/file"' in page and 'id="doc-viewer"' in page
    assert "/media/" not in page  # never a public URL


def test_a_fake_jpeg_gets_a_form_error_in_the_section_and_nothing_is_stored(world: World, card: Customer) -> None:
    before = stored_files()
    response = client_for(world.operator_a).post(f"/documents/customer/{card.pk}/upload",
                                                 {"file": fake_jpeg(), "kind": "photo"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "not a JPEG, PNG, HEIC or PDF file" in html and "<details" in html
    assert not Document.objects.exists() and stored_files() == before


@override_settings(REGULARS_DOCUMENT_MAX_BYTES=2000)
def test_an_oversized_upload_is_a_form_error_not_a_500(world: World, card: Customer) -> None:
    response = client_for(world.operator_a).post(f"/documents/customer/{card.pk}/upload",
                                                 {"file": jpeg(), "kind": "photo"}, headers=HTMX)
    assert response.status_code == 200 and "larger than 2 KB" in response.content.decode()
    assert not Document.objects.exists()
    response = client_for(world.operator_a).post(f"/documents/customer/{card.pk}/upload",
                                                 {"file": jpeg(), "kind": "photo"})  # without JavaScript
    assert response.status_code == 302 and not Document.objects.exists()


def test_marketer_sees_documents_but_cannot_attach_or_archive(world: World, card: Customer) -> None:
    document = services.document_attach(actor=world.actor(world.admin), customer_id=card.pk, upload=jpeg(),
                                        kind="photo")
    marketer = client_for(world.marketer)
    page = marketer.get(f"/customers/{card.pk}/").content.decode()
    assert f"/documents/{document.pk}/thumbnail" in page and "upload-form" not in page
    assert marketer.get(f"/documents/{document.pk}/file").status_code == 200
    assert marketer.post(f"/documents/customer/{card.pk}/upload", {"file": png(), "kind": "photo"}).status_code == 403
    assert marketer.post(f"/documents/{document.pk}/archive").status_code == 403
    assert Document.objects.filter(archived_at__isnull=True).count() == 1


def test_file_views_set_content_type_inline_and_nosniff_and_refuse_anonymous(world: World, card: Customer) -> None:
    photo = services.document_attach(actor=world.actor(world.admin), customer_id=card.pk, upload=jpeg(), kind="photo")
    paper = services.document_attach(actor=world.actor(world.admin), customer_id=card.pk, upload=pdf(),
                                     kind="contract")
    client = client_for(world.operator_b)  # cards are shared by the network

    response = client.get(f"/documents/{photo.pk}/file")
    assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'inline; filename="photo.jpg"'
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # type: ignore[attr-defined]
    thumb = client.get(f"/documents/{photo.pk}/thumbnail")
    assert thumb["Content-Type"] == "image/jpeg" and thumb["Content-Disposition"].startswith("inline")
    response = client.get(f"/documents/{paper.pk}/file")
    assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith("inline")
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # the viewer shows it in an iframe
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]

    anonymous = Client().get(f"/documents/{photo.pk}/file")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert client.get("/documents/999999/file").status_code == 404


def test_archived_document_leaves_the_card_and_its_file_is_gone(world: World, card: Customer) -> None:
    document = services.document_attach(actor=world.actor(world.admin), customer_id=card.pk, upload=jpeg(),
                                        kind="photo")
    client = client_for(world.operator_a)
    response = client.post(f"/documents/{document.pk}/archive", headers=HTMX)
    assert response.status_code == 200 and f"/documents/{document.pk}/thumbnail" not in response.content.decode()
    assert client.get(f"/documents/{document.pk}/file").status_code == 404


def test_to_complete_flow_from_photos_to_an_active_card(world: World) -> None:
    consultant = client_for(world.consultant_a)
    assert consultant.get("/documents/new-customer/").status_code == 200
    response = consultant.post("/documents/new-customer/", {
        "branch": world.branch_a.pk, "vehicle_registration": [jpeg("sts-1.jpg"), jpeg("sts-2.jpg")],
        "driver_licence": [png("vu.png")]})
    assert response.status_code == 302
    first = Customer.objects.get()
    assert first.status == "to_complete" and Document.objects.filter(customer=first).count() == 3
    consultant.post("/documents/new-customer/", {"branch": world.branch_b.pk, "driver_licence": [jpeg()]})
    second = Customer.objects.exclude(pk=first.pk).get()

    back_office = client_for(world.operator_a)
    queue = back_office.get("/documents/to-complete/").content.decode()
    assert re.search(r'data-testid="queue-count">2<', queue)
    assert queue.index(f"/documents/to-complete/{first.pk}/") < queue.index(f"/documents/to-complete/{second.pk}/")
    only_b = back_office.get(f"/documents/to-complete/?branch={world.branch_b.pk}").content.decode()
    assert f"/documents/to-complete/{first.pk}/" not in only_b and 'queue-count">1<' in only_b

    fill = back_office.get(f"/documents/to-complete/{first.pk}/").content.decode()
    assert fill.count('data-zoom') == 3 and 'name="last_name"' in fill
    bad = back_office.post(f"/documents/to-complete/{first.pk}/", {"last_name": "Орлов", "phone": "12"})
    assert bad.status_code == 400 and 'id="field-phone"' in bad.content.decode()
    assert Customer.objects.get(pk=first.pk).status == "to_complete"

    done = back_office.post(f"/documents/to-complete/{first.pk}/", {
        "last_name": "Орлов", "first_name": "Игорь", "birthday": "1985-04-12", "phone": "+7 912 345-67-89",
        "email": "igor@mail.ru"})
    assert done.status_code == 302 and done["Location"] == f"/documents/to-complete/{second.pk}/"  # the next card
    first.refresh_from_db()
    assert (first.status, first.full_name) == ("active", "Орлов Игорь")
    assert first.contacts.count() == 2
    queue = back_office.get("/documents/to-complete/").content.decode()
    assert f"/documents/to-complete/{first.pk}/" not in queue and 'queue-count">1<' in queue
    assert back_office.get(f"/documents/to-complete/{first.pk}/").status_code == 302  # already complete


def test_new_customer_page_errors_and_marketer_is_refused(world: World) -> None:
    response = client_for(world.consultant_a).post("/documents/new-customer/", {
        "branch": world.branch_a.pk, "driver_licence": [fake_jpeg("vu.jpg")]})
    assert response.status_code == 400 and "vu.jpg" in response.content.decode()
    assert not Customer.objects.exists()
    marketer = client_for(world.marketer)
    assert marketer.get("/documents/new-customer/").status_code == 403
    assert marketer.get("/documents/to-complete/").status_code == 403


def test_russian_pages_are_translated(world: World, card: Customer) -> None:
    client = client_for(world.operator_a, language="ru")
    assert "Документы" in client.get(f"/customers/{card.pk}/").content.decode()
    assert "Карточки к заполнению" in client.get("/documents/to-complete/").content.decode()


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_uploads_over_django_memory_limits_go_through_a_temporary_file_not_a_500(world: World,
                                                                                card: Customer) -> None:
    response = client_for(world.operator_a).post(f"/documents/customer/{card.pk}/upload",
                                                 {"file": jpeg(size=(1200, 900)), "kind": "photo"}, headers=HTMX)
    assert response.status_code == 200
    assert Document.objects.get().size > 1000
