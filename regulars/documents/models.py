"""Files on the customer card: photos and PDFs (PRODUCT C1.6)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer


class Kind(models.TextChoices):
    PHOTO = "photo", _("Photo")
    PASSPORT = "passport", _("Passport")
    VEHICLE_REGISTRATION = "vehicle_registration", _("Vehicle registration certificate")
    DRIVER_LICENCE = "driver_licence", _("Driver licence")
    PRESCRIPTION = "prescription", _("Prescription")
    CONTRACT = "contract", _("Contract")
    OTHER = "other", _("Other")


def document_path(instance: Any, filename: str) -> str:
    """documents/<customer_id>/<uuid>.<ext>: never the client's name, which stays in `original_name`."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{instance.customer_id}/{uuid.uuid4().hex}.{ext}"


def thumbnail_path(instance: Any, filename: str) -> str:
    return f"documents/{instance.customer_id}/thumbs/{uuid.uuid4().hex}.jpg"


class Document(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.PHOTO)
    file = models.FileField(_("file"), upload_to=document_path, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, null=True, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"))
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["customer", "archived_at"], name="document_customer_idx")]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return self.original_name or f"#{self.pk}"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"
