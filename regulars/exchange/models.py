"""Bulk exchange of customer data: import batches with their checkpoint and rejected rows, remembered mappings,
export batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Previewed")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        INDEXING = "indexing", _("Building the search index")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class OnMatch(models.TextChoices):
        UPDATE = "update", _("Update the existing card")
        SKIP = "skip", _("Skip the row")

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=8)  # "csv" or "xlsx"
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    header = models.JSONField(default=list)
    # {"<column index>": "<target>"}, e.g. {"0": "last_name", "3": "phone", "7": "custom:card_no"}
    mapping = models.JSONField(default=dict, blank=True)
    on_match = models.CharField(max_length=8, choices=OnMatch.choices, default=OnMatch.UPDATE)
    source = models.CharField(_("source of external ids"), max_length=50, default="import")
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)
    # The importer's language: the worker writes rejection reasons and timeline entries in it.
    language = models.CharField(max_length=8, default="ru")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    # The checkpoint: rows before next_row are done; next_offset is where row next_row starts in a CSV file.
    next_row = models.PositiveIntegerField(default=0)
    next_offset = models.BigIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # A bulk load (a file as large as the table, PostgreSQL): bigger chunks, and the search index is dropped before
    # the first chunk and built after the last (docs/adr/0014-bulk-load.md).
    bulk_load = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def done_rows(self) -> int:
        return self.next_row


class ImportRejection(models.Model):
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField()  # 1 = the first data row after the header
    reason = models.TextField()
    raw = models.JSONField(default=list)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="import_rejection_row")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class ImportMapping(models.Model):
    """A mapping remembered for files with the same columns (keyed by the normalised header)."""

    signature = models.CharField(max_length=64, unique=True)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return ", ".join(self.header)[:100]


class ExportBatch(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    format = models.CharField(max_length=8)  # "csv" or "xlsx"
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    last_id = models.BigIntegerField(default=0)  # keyset checkpoint: customers with id > last_id remain
    parts = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format})"
