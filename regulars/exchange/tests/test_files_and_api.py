"""Files of every kind through the API: XLSX, UTF-8 with BOM, broken and fake files, too big; the report."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.test import Client, override_settings

from conftest import World, client_for
from regulars.customers.models import Customer
from regulars.exchange.models import ImportBatch

from .helpers import MAPPING, db_counts, existing_customers, messy_csv, run_jobs, upload

pytestmark = pytest.mark.django_db


def _post(client: Client, name: str, data: bytes, **fields: str) -> object:
    return client.post("/api/v1/imports", {"file": upload(name, data), **fields})


def test_api_dry_run_previews_then_import_runs_and_reports(world: World) -> None:
    existing_customers(world)
    client = client_for(world.manager_a)
    before = db_counts()
    response = _post(client, "clients.csv", messy_csv(), mapping=json.dumps(MAPPING), source="erp", dry_run="true")
    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["preview"]["invalid"] == 3 and body["status"] == "previewed"
    assert db_counts() == before

    response = _post(client, "clients.csv", messy_csv(), mapping=json.dumps(MAPPING), source="erp")
    assert response.status_code == 202  # type: ignore[attr-defined]
    import_id = response.json()["id"]  # type: ignore[attr-defined]
    assert response.json()["status"] == "queued"  # type: ignore[attr-defined]
    run_jobs()
    body = client.get(f"/api/v1/imports/{import_id}").json()
    assert (body["status"], body["created"], body["updated"], body["skipped"], body["rejected"]) == (
        "done", 2, 3, 2, 3)
    assert body["percent"] == 100 and [r["row"] for r in body["rejections"]] == [8, 9, 10]
    report = client.get(f"/api/v1/imports/{import_id}/rejections.csv")
    text = b"".join(report.streaming_content).decode("utf-8")  # type: ignore[attr-defined]
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Row;Reason;Код;Фамилия") and len(lines) == 4
    assert lines[3].startswith("10;Branch (by name): unknown branch Филиал Х;A-107;Неизвестный")


def test_xlsx_import_with_guessed_mapping(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Фамилия", "Имя", "Телефон", "E-mail", "Дата рождения", "Филиал"])
    sheet.append(["Орлова", "Вера", "+7 916 123-45-67", "vera@example.com", "1991-04-05", "Branch A"])
    sheet.append(["Орлов", "Глеб", 79161234568, None, None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _post(client_for(world.admin), "clients.xlsx", buffer.getvalue())
    assert response.status_code == 202, response.content  # type: ignore[attr-defined]
    run_jobs()
    batch = ImportBatch.objects.get()
    assert (batch.format, batch.created_count, batch.rejected_count, batch.status) == ("xlsx", 2, 0, "done")
    vera = Customer.objects.get(last_name="Орлова")
    assert vera.home_branch_id == world.branch_a.pk and str(vera.birthday) == "1991-04-05"
    assert Customer.objects.filter(contacts__value="+79161234568").exists()


def test_utf8_bom_comma_csv(world: World) -> None:
    data = "\ufeffФИО,Телефон,Теги\r\nЗайцева Ирина Петровна,+79165550001,\"a, b\"\r\n".encode()
    response = _post(client_for(world.admin), "bom.csv", data)
    assert response.status_code == 202, response.content  # type: ignore[attr-defined]
    run_jobs()
    batch = ImportBatch.objects.get()
    assert (batch.encoding, batch.delimiter, batch.header[0]) == ("utf-8-sig", ",", "ФИО")
    customer = Customer.objects.get()
    assert (customer.last_name, customer.first_name, customer.middle_name) == ("Зайцева", "Ирина", "Петровна")
    assert sorted(customer.tags.values_list("name", flat=True)) == ["a", "b"]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("broken.xlsx", b"PK\x03\x04garbage-not-a-zip" * 10, "not a valid XLSX workbook"),
    ("fake.xlsx", "Фамилия;Телефон\r\nИванов;+79160000001\r\n".encode("cp1251"), "is not an Excel workbook"),
    ("image.csv", bytes(range(256)) * 20, "neither a CSV"),
    ("empty.csv", b"", "empty"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
])
def test_bad_files_are_refused_with_a_reason_and_nothing_written(world: World, name: str, data: bytes,
                                                                 reason: str) -> None:
    before = db_counts()
    response = _post(client_for(world.admin), name, data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert reason in response.json()["error"]["fields"]["file"]  # type: ignore[attr-defined]
    assert not ImportBatch.objects.exists() and db_counts() == before


@override_settings(REGULARS_IMPORT_MAX_BYTES=1024)
def test_too_big_upload_is_413(world: World) -> None:
    response = _post(client_for(world.admin), "big.csv", b"a;b\r\n" + b"x;y\r\n" * 1000)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert response.json()["error"]["code"] == "too_large"  # type: ignore[attr-defined]
    assert not ImportBatch.objects.exists()


def test_bad_mapping_and_permissions(world: World) -> None:
    response = _post(client_for(world.admin), "c.csv", messy_csv(), mapping=json.dumps({"0": "shoe_size"}))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["error"]["fields"] == {"mapping.0": "unknown target shoe_size"}  # type: ignore[attr-defined]
    for staff in (world.operator_a, world.marketer):
        assert _post(client_for(staff), "c.csv", messy_csv()).status_code == 403  # type: ignore[attr-defined]
    assert client_for(world.operator_a).get("/api/v1/imports/1").status_code == 403
