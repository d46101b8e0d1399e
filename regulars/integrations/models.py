"""Integrations: signed webhooks out to programs, signed webhooks in from ERPs and shops, custom events."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer
from regulars.platform.models import Event


class RotatingSecret(models.Model):
    """A signing secret that, once rotated, keeps its previous value valid for a grace period, so the program on
    the other side can switch to the new one without losing a webhook."""

    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def grace_until(self, now: datetime) -> datetime | None:
        """Until when the previous secret is still valid, if it is now."""
        until = self.previous_secret_until
        return until if self.previous_secret and until and now < until else None

    def valid_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one during its grace."""
        return [self.secret, self.previous_secret] if self.grace_until(now) else [self.secret]

    def rotate(self, new: str, now: datetime, grace: timedelta) -> None:
        self.previous_secret, self.secret = self.secret, new
        self.previous_secret_until = now + grace


class WebhookSubscription(RotatingSecret):
    """A program that wants to hear about events: where to POST them, which ones, and the signing secret (after a
    rotation the old one signs too, a second signature in the header, during the grace)."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Patterns: "order.status_changed", "order.*" or "*".
    event_types = models.JSONField(_("event types"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one subscription. `msg_id` is the `webhook-id` header: the same on every attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    msg_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_sub_idx")]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.msg_id} {self.status}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)  # at most 1 KB of the answer

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number} {self.status_code}"


class InboundEndpoint(RotatingSecret):
    """Where an ERP or a shop POSTs signed webhooks. `source` is the order source the program speaks for. After a
    rotation, requests signed with the old secret are still taken during the grace."""

    name = models.CharField(_("name"), max_length=100)
    source = models.SlugField(_("source"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class InboundReceipt(models.Model):
    """A webhook-id already taken from this endpoint: a repeat is refused. Written with the webhook's effect."""

    endpoint = models.ForeignKey(InboundEndpoint, on_delete=models.CASCADE, related_name="receipts")
    msg_id = models.CharField(max_length=255)
    type = models.CharField(max_length=30, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "msg_id"], name="inbound_receipt_once")]

    def __str__(self) -> str:
        return f"{self.endpoint_id}:{self.msg_id}"


class ReceivedEvent(models.Model):
    """A custom business event a program reported ("visit.completed"), once per idempotency key."""

    idempotency_key = models.CharField(max_length=300, unique=True)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="received_events")
    customer_created = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_id} for {self.customer_id}"
