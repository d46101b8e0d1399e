"""The exchange part of the REST API: imports."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from regulars.customers.selectors import viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from . import services
from .models import ImportBatch
from .selectors import import_get_for_user, import_progress

router = Router(tags=["exchange"])


class RejectionOut(Schema):
    row: int
    reason: str
    cells: list[str]


class ImportOut(Schema):
    id: int
    file: str
    format: str
    encoding: str
    delimiter: str
    header: list[str]
    mapping: dict[str, str]
    on_match: str
    source: str
    status: str = Field(description="uploaded, previewed, queued, running, indexing (a bulk load's rows are in and "
                                    "the search index is being built), done, failed")
    bulk_load: bool
    total_rows: int | None
    next_row: int
    percent: int
    eta_seconds: int | None
    created: int
    updated: int
    skipped: int
    rejected: int
    rejections: list[RejectionOut]
    preview: dict[str, Any] | None = None


def import_json(batch: ImportBatch, *, preview: dict[str, Any] | None = None) -> dict[str, Any]:
    progress = import_progress(batch)
    return {
        "id": batch.pk, "file": batch.original_name, "format": batch.format, "encoding": batch.encoding,
        "delimiter": batch.delimiter, "header": batch.header, "mapping": batch.mapping, "on_match": batch.on_match,
        "source": batch.source, "status": batch.status, "bulk_load": batch.bulk_load,
        "total_rows": batch.total_rows, "next_row": batch.next_row,
        "percent": progress["percent"], "eta_seconds": progress["eta_seconds"], "created": batch.created_count,
        "updated": batch.updated_count, "skipped": batch.skipped_count, "rejected": batch.rejected_count,
        "rejections": [{"row": r.row_number, "reason": r.reason, "cells": r.raw} for r in batch.rejections.all()[:50]],
        "preview": preview,
    }


def _mapping(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValidationFailed("Invalid mapping", fields={"mapping": "JSON is expected"}) from None
    if not isinstance(value, dict):
        raise ValidationFailed("Invalid mapping", fields={"mapping": 'an object {"<column>": "<target>"}'})
    return value


@router.post(
    "/imports", response={200: ImportOut, 202: ImportOut}, summary="Import customers from CSV or XLSX",
    description="Multipart: `file` (CSV in UTF-8, UTF-8 with BOM or Windows-1251 with any of , ; tab | as "
                "delimiter, or XLSX — recognised by content), `mapping` (JSON {\"<column index>\": target}, "
                "targets: last_name, first_name, middle_name, full_name, phone, email, birthday, branch, tags, "
                "external_id, custom:<key>, consent:<channel>:<purpose>, ignore; default: guessed from the header), "
                "`on_match` (update | skip), `consent_source`, `source` (the system the external ids come from). "
                "With `dry_run=true` nothing is written: 200 with `preview` (first rows as stored, every problem of "
                "the first 1000 rows). Otherwise 202: the import is queued; poll GET /imports/{id}. "
                "A broken file or one that is not what its name says → 400 `fields.file`; too big → 413.",
)
def import_create(request: HttpRequest, file: File[UploadedFile], mapping: Form[str] = "",
                  on_match: Form[str] = "update", consent_source: Form[str] = "", source: Form[str] = "",
                  dry_run: Form[bool] = False) -> Any:
    require(request, "customers.import")
    actor = Actor.from_request(request)
    parsed = _mapping(mapping)
    batch = services.import_upload(actor=actor, upload=file)
    batch = services.import_configure(actor=actor, batch_id=batch.pk, mapping=parsed or batch.mapping,
                                      on_match=on_match, consent_source=consent_source, source=source)
    if dry_run:
        return Status(200, import_json(batch, preview=services.import_preview(batch)))
    batch = services.import_confirm(actor=actor, batch_id=batch.pk)
    return Status(202, import_json(batch))


@router.get("/imports/{import_id}", response=ImportOut, summary="Status, counts and first rejections of an import")
def import_get(request: HttpRequest, import_id: int) -> Any:
    require(request, "customers.import")
    return import_json(import_get_for_user(viewer_of(request), import_id))


@router.get("/imports/{import_id}/rejections.csv", summary="The rejected rows with their reasons (CSV)")
def import_rejections(request: HttpRequest, import_id: int) -> Any:
    require(request, "customers.import")
    batch = import_get_for_user(viewer_of(request), import_id)
    response = StreamingHttpResponse(services.rejections_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-rejected.csv"'
    return response
