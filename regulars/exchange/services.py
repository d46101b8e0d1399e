"""Writes of the exchange domain: upload, mapping, preview, confirm, and the worker's chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.customers.models import CustomFieldDef
from regulars.org.models import Branch
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.collector import collector_paused
from regulars.platform.errors import Conflict, DomainError, NotFound, ValidationFailed
from regulars.platform.events import publish
from regulars.platform.fastcopy import constraints_check_now, insert_columns
from regulars.platform.jobs import job_schedule

from . import mapping as mapping_mod
from .bulk import write_chunk
from .bulk_load import bulk_chunk_begins, bulk_chunk_ends, bulk_wanted, chunk_rows, import_finished
from .chunk_reading import Where, blank, read_ahead, read_chunk, take
from .models import ImportBatch, ImportMapping, ImportRejection
from .normalising import RowContext, RowNormaliser, problem_text, record_as_stored
from .reading import FileInfo, inspect, read_rows

PREVIEW_ROWS = 20
PREVIEW_CHECK_ROWS = 1000


class TooLarge(DomainError):
    status = 413
    code = "too_large"


def max_bytes() -> int:
    return int(getattr(settings, "REGULARS_IMPORT_MAX_BYTES", 100 * 1024 * 1024))


def info_of(batch: ImportBatch) -> FileInfo:
    return FileInfo(format=batch.format, encoding=batch.encoding, delimiter=batch.delimiter,
                    header=tuple(batch.header), data_offset=batch.next_offset if batch.next_row == 0 else 0)


@contextmanager
def opened(batch: ImportBatch) -> Iterator[IO[bytes]]:
    with batch.file.storage.open(str(batch.file.name), "rb") as handle:
        yield handle


def import_upload(*, actor: Actor, upload: UploadedFile) -> ImportBatch:
    """Store the file and read its header. A file that is too big, broken or not what it claims → nothing kept."""
    if upload.size is not None and upload.size > max_bytes():
        raise TooLarge(_("The file is too large"), fields={"file": _("at most %(mb)s MB") % {
            "mb": max_bytes() // (1024 * 1024) or 1}})
    handle: Any = upload.file
    info = inspect(handle, upload.name or "")  # raises ValidationFailed(file=…) before anything is stored
    with transaction.atomic():
        batch = ImportBatch(
            original_name=(upload.name or "import")[:255], format=info.format, encoding=info.encoding,
            delimiter=info.delimiter, header=list(info.header), next_offset=info.data_offset,
            created_at=timezone.now(), created_by_id=actor.user_id, created_by_label=actor.label[:200],
            language=(translation.get_language() or settings.LANGUAGE_CODE)[:8],
        )
        handle.seek(0)
        batch.file.save(upload.name or "import.csv", upload, save=False)
        remembered = ImportMapping.objects.filter(signature=mapping_mod.header_signature(info.header)).first()
        batch.mapping = remembered.mapping if remembered else mapping_mod.suggest_mapping(
            info.header, dict(CustomFieldDef.objects.filter(is_active=True).values_list("key", "label")))
        batch.save()
        audit_record(actor=actor, action="import.upload", object_type="import", object_id=batch.pk,
                     object_label=batch.original_name, changes={"format": info.format, "header": list(info.header)})
    return batch


def _clean_mapping(batch: ImportBatch, raw: dict[str, Any]) -> dict[str, str]:
    targets = {value for value, _label in mapping_mod.all_targets()}
    errors: dict[str, str] = {}
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for key, target in (raw or {}).items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            errors[f"mapping.{key}"] = _("a column number is expected")
            continue
        if not 0 <= index < len(batch.header):
            errors[f"mapping.{key}"] = _("no such column")
        elif target not in targets:
            errors[f"mapping.{key}"] = _("unknown target %(target)s") % {"target": target}
        elif target in seen and target not in mapping_mod.MULTI_TARGETS:
            errors[f"mapping.{key}"] = _("%(target)s is already mapped from column %(column)s") % {
                "target": target, "column": batch.header[int(seen[target])]}
        else:
            out[str(index)] = str(target)
            seen.setdefault(str(target), str(index))
    if not errors and all(t == "ignore" for t in out.values()):
        errors["mapping"] = _("map at least one column")
    if errors:
        raise ValidationFailed(_("Invalid mapping"), fields=errors)
    return out


def import_configure(*, actor: Actor, batch_id: int, mapping: dict[str, Any], on_match: str = "update",
                     consent_source: str = "", source: str = "") -> ImportBatch:
    """Set the mapping and options (before confirming) and remember the mapping for files like this one."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status not in (ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED):
            raise Conflict(_("This import has already been started"), fields={"status": batch.status})
        errors: dict[str, str] = {}
        if on_match not in ImportBatch.OnMatch.values:
            errors["on_match"] = _("one of: %(choices)s") % {"choices": ", ".join(ImportBatch.OnMatch.values)}
        try:
            batch.mapping = _clean_mapping(batch, mapping)
        except ValidationFailed as exc:
            errors.update(exc.fields)
        if errors:
            raise ValidationFailed(_("Invalid import settings"), fields=errors)
        batch.on_match = on_match
        batch.consent_source = (consent_source or "").strip()[:100] or _("import: %(file)s") % {
            "file": batch.original_name[:80]}
        batch.source = (source or "").strip()[:50] or "import"
        batch.status = ImportBatch.Status.PREVIEWED
        batch.save()
        ImportMapping.objects.update_or_create(
            signature=mapping_mod.header_signature(batch.header),
            defaults={"header": batch.header, "mapping": batch.mapping, "updated_at": timezone.now()},
        )
    return batch


def _locked(batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("No such import"), fields={"import_id": _("not found")})
    return batch


def row_context(batch: ImportBatch) -> RowContext:
    return RowContext(
        mapping={int(k): v for k, v in batch.mapping.items()},
        branches={b.name.strip().lower(): b.pk for b in Branch.objects.all()},
        custom_specs={f.key: {"key": f.key, "label": f.label, "type": f.type, "choices": f.choices}
                      for f in CustomFieldDef.objects.filter(is_active=True)},
        today=timezone.localdate(),
        phone_region=settings.REGULARS_DEFAULT_PHONE_REGION,
    )


def import_preview(batch: ImportBatch) -> dict[str, Any]:
    """The first rows as they will be stored and every problem of the first rows, before anything is written."""
    normalise = RowNormaliser(row_context(batch))
    labels = dict(mapping_mod.all_targets())
    branch_names = {v: k for k, v in ((b.name, b.pk) for b in Branch.objects.all())}
    rows: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    checked = valid = 0
    with opened(batch) as handle:
        for index, (cells, _offset) in enumerate(read_rows(handle, info_of(batch), start_row=0)):
            if checked >= PREVIEW_CHECK_ROWS:
                break
            if blank(cells):
                continue
            checked += 1
            record, row_problems = normalise(cells)
            if record is None:
                problems.append({"row": index + 2, "problems": problem_text(row_problems, labels), "cells": cells})
            else:
                valid += 1
                if len(rows) < PREVIEW_ROWS:
                    rows.append({"row": index + 2, **record_as_stored(record, branch_names)})
    return {"rows": rows, "problems": problems, "checked": checked, "valid": valid, "invalid": checked - valid}


def import_confirm(*, actor: Actor, batch_id: int) -> ImportBatch:
    """Queue the import: the worker takes it from here, one chunk per job."""
    with transaction.atomic():
        batch = _locked(batch_id)
        if batch.status != ImportBatch.Status.PREVIEWED:
            raise Conflict(_("Check the mapping and the preview first"), fields={"status": batch.status})
        with opened(batch) as handle:
            batch.total_rows = sum(1 for cells, _o in read_rows(handle, info_of(batch), start_row=0)
                                   if not blank(cells))
        batch.bulk_load = bulk_wanted(batch.total_rows)
        batch.status = ImportBatch.Status.QUEUED
        batch.save()
        job_schedule(kind="exchange.import_chunk", payload={"batch_id": batch.pk, "row": 0},
                     key=f"import:{batch.pk}:0")
        audit_record(actor=actor, action="import.start", object_type="import", object_id=batch.pk,
                     object_label=batch.original_name,
                     changes={"mapping": batch.mapping, "on_match": batch.on_match, "rows": batch.total_rows,
                              "bulk_load": batch.bulk_load})
    return batch


@transaction.atomic
def import_run_chunk(*, batch_id: int, row: int) -> None:
    """One chunk, inside the job's transaction: rows, rejections, counts and checkpoint commit together."""
    batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None or batch.next_row != row or batch.status not in (
            ImportBatch.Status.QUEUED, ImportBatch.Status.RUNNING):
        return  # a stale or repeated job: the checkpoint has moved on
    with translation.override(batch.language), collector_paused():
        _run_chunk(batch)


def _run_chunk(batch: ImportBatch) -> None:
    if batch.bulk_load:
        bulk_chunk_begins(batch)
    where = Where(batch_id=batch.pk, file=str(batch.file.name), row=batch.next_row, offset=batch.next_offset,
                  size=chunk_rows(batch), language=batch.language, ctx=row_context(batch),
                  labels=tuple(mapping_mod.all_targets()))
    rows = take(where)
    if rows is None:
        with opened(batch) as handle:
            rows = read_chunk(handle, info_of(batch), where)
    result = write_chunk(rows.records, source=batch.source, on_match=batch.on_match,
                         consent_source=batch.consent_source, actor_id=batch.created_by_id,
                         actor_label=batch.created_by_label)
    insert_columns(ImportRejection, ("batch_id", "row_number", "reason", "raw"),
                   [(batch.pk, number, reason, cells) for number, cells, reason in rows.rejections])
    if result.customer_ids:
        publish("import.chunk_done", subject_type="import", subject_id=batch.pk,
                payload={"customer_ids": result.customer_ids, "file": batch.original_name},
                actor=Actor(user_id=batch.created_by_id, label=batch.created_by_label))
    more, now = rows.more, timezone.now()
    batch.next_row += rows.taken
    batch.next_offset = rows.offset
    batch.created_count += result.created
    batch.updated_count += result.updated
    batch.skipped_count += result.skipped
    batch.rejected_count += len(rows.rejections)
    batch.started_at = batch.started_at or now
    batch.status = ImportBatch.Status.RUNNING
    if batch.bulk_load:
        bulk_chunk_ends(batch, more=more)
    elif not more:
        batch.status, batch.finished_at = ImportBatch.Status.DONE, now
        import_finished(batch)
    batch.save()
    if more:
        job_schedule(kind="exchange.import_chunk", payload={"batch_id": batch.pk, "row": batch.next_row},
                     key=f"import:{batch.pk}:{batch.next_row}")
        # The next chunk is read while the database checks this one's foreign keys: a wait of the same length
        # on PostgreSQL, and the reading thread then competes with no Python of this chunk.
        after = replace(where, row=batch.next_row, offset=batch.next_offset)
        read_ahead(after, info_of(batch), lambda: opened(batch))
        constraints_check_now()


def rejections_csv(batch: ImportBatch) -> Iterator[str]:
    """The rejected rows with their reason, as CSV text pieces (streamed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow([_("Row"), _("Reason"), *batch.header])
    for rejection in batch.rejections.order_by("row_number").iterator(chunk_size=2000):
        writer.writerow([rejection.row_number, rejection.reason, *rejection.raw])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
