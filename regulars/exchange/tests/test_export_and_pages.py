"""Exports (content, permission, audit) and the import pages driven with the test client."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client, override_settings

from conftest import World, client_for
from regulars.customers.services import customer_create
from regulars.exchange.models import ExportBatch, ImportBatch
from regulars.platform.models import AuditEntry

from .helpers import existing_customers, messy_csv, run_jobs, upload

pytestmark = pytest.mark.django_db


def _download(client: Client, batch: ExportBatch) -> bytes:
    response = client.get(f"/exchange/exports/{batch.pk}/download/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


@override_settings(REGULARS_EXPORT_CHUNK=2)
def test_export_csv_of_the_filtered_list_in_chunks(world: World) -> None:
    actor = world.actor(world.admin)
    customer_create(actor=actor, last_name="Андреев", phones=["+79161110001"], home_branch_id=world.branch_a.pk)
    customer_create(actor=actor, last_name="Борисов", emails=["b@example.com"], home_branch_id=world.branch_a.pk)
    customer_create(actor=actor, last_name="Волков", phones=["+79161110003"], home_branch_id=world.branch_a.pk,
                    tags=["vip"])
    customer_create(actor=actor, last_name="Другой", phones=["+79161110004"], home_branch_id=world.branch_b.pk)
    client = client_for(world.marketer)
    response = client.post("/exchange/exports/", {"format": "csv", "branch": str(world.branch_a.pk)})
    batch = ExportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exchange/exports/{batch.pk}/"
    assert batch.total_rows == 3 and batch.status == "queued"
    assert run_jobs() == 2  # 2 + 1 rows
    batch.refresh_from_db()
    assert (batch.status, batch.done_rows) == ("done", 3)
    text = _download(client, batch).decode("utf-8")
    assert text.startswith("\ufeffId;Last name;First name")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 4 and [line.split(";")[1] for line in lines[1:]] == ["Андреев", "Борисов", "Волков"]
    assert ";+79161110003;" in lines[3] and ";vip;" in lines[3] and "Другой" not in text
    entry = AuditEntry.objects.get(action="customers.export")
    assert entry.actor_id == world.marketer.pk and entry.changes["rows"] == 3
    assert entry.changes["filters"]["branch_id"] == world.branch_a.pk
    # Another person does not see someone else's export.
    assert client_for(world.admin).get(f"/exchange/exports/{batch.pk}/").status_code == 404


def test_export_xlsx(world: World) -> None:
    customer_create(actor=world.actor(world.admin), last_name="Андреев", phones=["+79161110001"])
    client = client_for(world.admin)
    client.post("/exchange/exports/", {"format": "xlsx"})
    run_jobs()
    sheet = openpyxl.load_workbook(io.BytesIO(_download(client, ExportBatch.objects.get()))).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][:2] == ("Id", "Last name") and rows[1][1] == "Андреев" and len(rows) == 2


def test_export_needs_the_permission(world: World) -> None:
    for staff in (world.operator_a, world.manager_a):
        assert client_for(staff).post("/exchange/exports/", {"format": "csv"}).status_code == 403
    assert not ExportBatch.objects.exists() and not AuditEntry.objects.filter(action="customers.export").exists()
    page = client_for(world.operator_a).get("/customers/").content.decode()
    assert 'data-testid="export-form"' not in page
    assert 'data-testid="export-form"' in client_for(world.marketer).get("/customers/").content.decode()


def test_import_pages_upload_map_preview_confirm_progress(world: World) -> None:
    existing_customers(world)
    client = client_for(world.manager_a)
    response = client.post("/exchange/imports/", {"file": upload("clients.csv", messy_csv())})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exchange/imports/{batch.pk}/mapping/"
    page = client.get(response["Location"]).content.decode()
    assert "Фамилия" in page and "8 916 000-00-01" in page  # header and sample values
    form = {f"col-{i}": t for i, t in enumerate(["external_id", "last_name", "first_name", "phone", "email",
                                                  "birthday", "branch", "tags", "consent:sms:marketing"])}
    response = client.post(f"/exchange/imports/{batch.pk}/mapping/", {**form, "on_match": "update", "source": "erp"})
    assert response.status_code == 302
    page = client.get(f"/exchange/imports/{batch.pk}/preview/").content.decode()
    assert "unknown branch Филиал Х" in page and "+79160000001" in page
    assert ImportBatch.objects.get().status == "previewed"
    client.post(f"/exchange/imports/{batch.pk}/preview/")
    run_jobs()
    page = client.get(f"/exchange/imports/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="done"' in page and 'hx-trigger="every 1s"' not in page
    assert 'data-testid="count-created">2<' in page and 'data-testid="count-rejected">3<' in page
    assert client.get("/exchange/imports/").status_code == 200


def test_import_page_errors(world: World) -> None:
    client = client_for(world.admin)
    response = client.post("/exchange/imports/", {"file": upload("fake.xlsx", b"a;b\r\n1;2\r\n")})
    assert response.status_code == 400 and "is not an Excel workbook" in response.content.decode()
    with override_settings(REGULARS_IMPORT_MAX_BYTES=1024):
        response = client.post("/exchange/imports/", {"file": upload("big.csv", b"a;b\r\n" * 100_000)})
    assert response.status_code == 413 and "too large" in response.content.decode()
    response = client.post("/exchange/imports/", {"file": upload("ok.csv", messy_csv())})
    batch = ImportBatch.objects.get()
    response = client.post(f"/exchange/imports/{batch.pk}/mapping/", {"col-1": "phone", "col-3": "phone",
                                                                      "col-0": "birthday", "col-5": "birthday"})
    assert response.status_code == 400 and "already mapped" in response.content.decode()
    assert client_for(world.operator_a).get("/exchange/imports/").status_code == 403
