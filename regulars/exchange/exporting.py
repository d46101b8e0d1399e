"""Exports of the filtered customer list to CSV (UTF-8 with BOM, ';' for Russian Excel) or XLSX, in the worker.

Each job writes one part (customers with id > checkpoint, in id order) to storage and advances the checkpoint in
the same transaction; the last job joins the parts into the file the user downloads. A re-run job overwrites its
own part, so a killed worker leaves no doubles.
"""

from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.models import ContactKind
from regulars.customers.selectors import CustomerFilters, customer_search
from regulars.org.models import Staff
from regulars.org.permissions import has_perm
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import Forbidden, ValidationFailed
from regulars.platform.jobs import job_schedule

from .models import ExportBatch

FORMATS = ("csv", "xlsx")


def export_columns() -> list[str]:
    return [_("Id"), _("Last name"), _("First name"), _("Middle name"), _("Phones"), _("E-mails"), _("Birthday"),
            _("Branch"), _("Tags"), _("Status"), _("Created")]


def export_start(*, actor: Actor, user: Any, filters: CustomerFilters, format: str) -> ExportBatch:
    """Queue an export of what the list shows with these filters. Audited: who, which filters, how many rows."""
    if not has_perm(user, "customers.export"):
        raise Forbidden(_("You do not have permission to do this"), fields={"permission": "customers.export"})
    if format not in FORMATS:
        raise ValidationFailed(_("Invalid export"), fields={"format": _("one of: csv, xlsx")})
    with transaction.atomic():
        total = customer_search(user, filters).count()
        batch = ExportBatch.objects.create(format=format, filters=asdict(filters), total_rows=total,
                                           created_at=timezone.now(), created_by_id=actor.user_id)
        job_schedule(kind="exchange.export_chunk", payload={"batch_id": batch.pk, "part": 0},
                     key=f"export:{batch.pk}:0")
        audit_record(actor=actor, action="customers.export", object_type="export", object_id=batch.pk,
                     object_label=f"{total} rows, {format}",
                     changes={"filters": asdict(filters), "rows": total, "format": format})
    return batch


def _part_name(batch: ExportBatch, part: int) -> str:
    return f"exports/parts/{batch.pk}/part-{part:06d}.csv"


def _row(customer: Any) -> list[str]:
    contacts = list(customer.contacts.all())
    return [
        str(customer.pk), customer.last_name, customer.first_name, customer.middle_name,
        ", ".join(c.value for c in contacts if c.kind == ContactKind.PHONE),
        ", ".join(c.value for c in contacts if c.kind == ContactKind.EMAIL),
        customer.birthday.strftime("%d.%m.%Y") if customer.birthday else "",
        customer.home_branch.name if customer.home_branch else "",
        ", ".join(t.name for t in customer.tags.all()), customer.get_status_display(),
        timezone.localtime(customer.created_at).strftime("%d.%m.%Y %H:%M"),
    ]


def export_run_chunk(*, batch_id: int, part: int) -> None:
    batch = ExportBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None or batch.parts != part or batch.status not in (ExportBatch.Status.QUEUED,
                                                                   ExportBatch.Status.RUNNING):
        return
    user = Staff.objects.filter(pk=batch.created_by_id or 0).first()
    size = int(getattr(settings, "REGULARS_EXPORT_CHUNK", 5000))
    found = (customer_search(user, CustomerFilters(**batch.filters)).filter(pk__gt=batch.last_id)
             .order_by("pk").prefetch_related("contacts", "tags")[:size])
    customers = list(found)
    if customers:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        for customer in customers:
            writer.writerow(_row(customer))
        storage = batch.file.storage
        name = _part_name(batch, part)
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, ContentFile(buffer.getvalue().encode("utf-8")))
        batch.parts += 1
        batch.last_id = customers[-1].pk
        batch.done_rows += len(customers)
    if len(customers) == size:
        batch.status = ExportBatch.Status.RUNNING
        batch.save()
        job_schedule(kind="exchange.export_chunk", payload={"batch_id": batch.pk, "part": batch.parts},
                     key=f"export:{batch.pk}:{batch.parts}")
        return
    _assemble(batch)
    batch.status = ExportBatch.Status.DONE
    batch.finished_at = timezone.now()
    batch.save()


def _assemble(batch: ExportBatch) -> None:
    storage = batch.file.storage
    stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryFile() as out:
        if batch.format == "csv":
            header = io.StringIO()
            csv.writer(header, delimiter=";").writerow(export_columns())
            out.write(("\ufeff" + header.getvalue()).encode("utf-8"))
            for part in range(batch.parts):
                with storage.open(_part_name(batch, part), "rb") as handle:
                    out.write(handle.read())
        else:
            _write_xlsx(batch, out)
        out.seek(0)
        batch.file.save(f"customers-{stamp}.{batch.format}", File(out), save=False)
    for part in range(batch.parts):
        storage.delete(_part_name(batch, part))


def _write_xlsx(batch: ExportBatch, out: Any) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Customers"))
    sheet.append(export_columns())
    storage = batch.file.storage
    for part in range(batch.parts):
        with storage.open(_part_name(batch, part), "rb") as handle:
            for row in csv.reader(io.StringIO(handle.read().decode("utf-8")), delimiter=";"):
                sheet.append(row)
    book.save(out)
