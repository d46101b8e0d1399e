"""The documents API: attach, list, get, download, archive; every refusal with its status and field."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from conftest import World
from regulars.customers.models import Customer
from regulars.customers.services import customer_create
from regulars.documents.models import Document
from regulars.org.services import apikey_create

from .helpers import PDF, fake_jpeg, jpeg, pdf, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world: World) -> Client:
    _, secret = apikey_create(actor=world.actor(world.admin), name="erp")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def card(world: World) -> Customer:
    return customer_create(actor=world.actor(world.admin), last_name="Смирнова", home_branch_id=world.branch_a.pk)


def test_attach_list_get_download_and_archive(api: Client, card: Customer) -> None:
    response = api.post(f"/api/v1/customers/{card.pk}/documents", {"file": jpeg(), "kind": "passport"})
    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get()
    assert body["id"] == document.pk and body["kind"] == "passport" and body["content_type"] == "image/jpeg"
    assert body["size"] == document.size and body["urls"]["file"] == f"/api/v1/documents/{document.pk}/file"
    assert body["urls"]["thumbnail"] == f"/documents/{document.pk}/thumbnail"

    paper = api.post(f"/api/v1/customers/{card.pk}/documents", {"file": pdf(), "kind": "contract"}).json()
    assert paper["content_type"] == "application/pdf" and paper["urls"]["thumbnail"] is None
    listed = api.get(f"/api/v1/customers/{card.pk}/documents").json()
    assert [d["id"] for d in listed] == [document.pk, paper["id"]]
    assert api.get(f"/api/v1/documents/{document.pk}").json()["original_name"] == "photo.jpg"

    download = api.get(f"/api/v1/documents/{paper['id']}/file")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("inline") and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]

    assert api.delete(f"/api/v1/documents/{document.pk}").status_code == 204
    assert [d["id"] for d in api.get(f"/api/v1/customers/{card.pk}/documents").json()] == [paper["id"]]
    assert api.get(f"/api/v1/documents/{document.pk}").status_code == 404
    assert api.delete(f"/api/v1/documents/{document.pk}").status_code == 404


def test_refusals_have_their_status_and_field_and_store_nothing(api: Client, card: Customer) -> None:
    before = stored_files()
    unknown = api.post("/api/v1/customers/999999/documents", {"file": jpeg(), "kind": "photo"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    bad_kind = api.post(f"/api/v1/customers/{card.pk}/documents", {"file": jpeg(), "kind": "selfie"})
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["error"]["fields"]
    fake = api.post(f"/api/v1/customers/{card.pk}/documents", {"file": fake_jpeg(), "kind": "photo"})
    assert fake.status_code == 400 and "file" in fake.json()["error"]["fields"]
    no_file = api.post(f"/api/v1/customers/{card.pk}/documents", {"kind": "photo"})
    assert no_file.status_code == 400
    with override_settings(REGULARS_DOCUMENT_MAX_BYTES=1000):
        big = api.post(f"/api/v1/customers/{card.pk}/documents", {"file": jpeg(), "kind": "photo"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert "file" in big.json()["error"]["fields"]
    assert api.get("/api/v1/documents/999999").status_code == 404
    assert api.get("/api/v1/documents/999999/file").status_code == 404
    assert api.get("/api/v1/customers/999999/documents").status_code == 404
    assert not Document.objects.exists() and stored_files() == before


def test_session_permissions_and_anonymous(world: World, card: Customer) -> None:
    marketer = Client()
    marketer.force_login(world.marketer)
    refused = marketer.post(f"/api/v1/customers/{card.pk}/documents", {"file": jpeg(), "kind": "photo"})
    assert refused.status_code == 403 and refused.json()["error"]["fields"] == {"permission": "customers.edit"}
    assert not Document.objects.exists()
    assert marketer.get(f"/api/v1/customers/{card.pk}/documents").status_code == 200
    assert Client().get(f"/api/v1/customers/{card.pk}/documents").status_code == 401
