"""Reads of the exchange domain, with the reader's permissions applied."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from regulars.org.models import ApiKey
from regulars.org.permissions import has_perm

from .models import ExportBatch, ImportBatch


def imports_visible_to(viewer: Any) -> QuerySet[ImportBatch]:
    """Imports change the whole network's cards: whoever may import sees every import."""
    if isinstance(viewer, ApiKey):  # a network-wide integration
        return ImportBatch.objects.all() if viewer.is_active else ImportBatch.objects.none()
    return ImportBatch.objects.all() if has_perm(viewer, "customers.import") else ImportBatch.objects.none()


def import_get_for_user(viewer: Any, batch_id: int) -> ImportBatch:
    batch = imports_visible_to(viewer).filter(pk=batch_id).first()
    if batch is None:
        raise Http404("No such import")
    return batch


def exports_visible_to(user: Any) -> QuerySet[ExportBatch]:
    """An export holds personal data: each person sees only their own."""
    if not has_perm(user, "customers.export"):
        return ExportBatch.objects.none()
    return ExportBatch.objects.filter(created_by_id=user.pk)


def export_get_for_user(user: Any, batch_id: int) -> ExportBatch:
    batch = exports_visible_to(user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404("No such export")
    return batch


def import_progress(batch: ImportBatch) -> dict[str, Any]:
    """Rows done of total, percent and an estimate of the time left from the rate so far."""
    total = batch.total_rows or 0
    done = min(batch.next_row, total) if total else batch.next_row
    if batch.status in (ImportBatch.Status.INDEXING, ImportBatch.Status.DONE):
        done = total
    percent = int(done * 100 / total) if total else (100 if batch.status == ImportBatch.Status.DONE else 0)
    eta: int | None = None
    if batch.started_at and done and total and batch.status == ImportBatch.Status.RUNNING:
        elapsed = (timezone.now() - batch.started_at).total_seconds()
        eta = int(elapsed / done * (total - done))
    return {"done": done, "total": total, "percent": percent, "eta_seconds": eta,
            "eta_minutes": (eta + 59) // 60 if eta is not None else None,
            "finished": batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED,
                                         ImportBatch.Status.CANCELLED)}
