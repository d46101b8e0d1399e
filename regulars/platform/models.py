"""Kernel tables: the event outbox, the due-job queue and the audit log. No business words here."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .fields import BulkJSONField


class Event(models.Model):
    """A domain event, stored in the same transaction as the change that caused it (the outbox)."""

    name = models.CharField(max_length=100, db_index=True)
    occurred_at = models.DateTimeField()
    # The thing the event is about, e.g. ("customer", 42); consumers use it to find their rows.
    subject_type = models.CharField(max_length=50)
    subject_id = models.BigIntegerField()
    payload = BulkJSONField(default=dict)
    actor_label = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id", "-occurred_at"], name="event_subject_idx")]

    def __str__(self) -> str:
        return f"{self.name} {self.subject_type}:{self.subject_id}"


class Job(models.Model):
    """A row with a due time, claimed atomically by a worker and leased while it runs."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=100)
    payload = BulkJSONField(default=dict)
    # Optional: the same key is never queued twice (e.g. "event:17:loyalty.earn").
    key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    lease_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"], name="job_due_idx"),
            models.Index(fields=["status", "lease_until"], name="job_lease_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} {self.status}"


class AuditEntry(models.Model):
    """Who changed what, when and from where. Written by services, never edited."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id", "-at"], name="audit_object_idx")]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
