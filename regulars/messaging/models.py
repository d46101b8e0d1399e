"""Messages to customers: templates (versioned), provider accounts, and the message rows the worker sends."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Channel, Customer, Purpose
from regulars.platform.fields import BulkJSONField


class Template(models.Model):
    """What the business says, per channel and customer category; every edit makes a new version."""

    key = models.SlugField(_("key"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("customer category"), max_length=50, blank=True)  # "" = every category
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.SERVICE)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["key", "channel", "category"]
        constraints = [models.UniqueConstraint(fields=["key", "channel", "category"], name="template_unique")]

    def __str__(self) -> str:
        return f"{self.key}/{self.channel}" + (f"/{self.category}" if self.category else "")


class TemplateVersion(models.Model):
    """The text as it was at one version; a sent message points at the version it was made from."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["template", "-version"]
        constraints = [models.UniqueConstraint(fields=["template", "version"], name="template_version_unique")]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"


def new_callback_secret() -> str:
    return secrets.token_urlsafe(24)


class ProviderAccount(models.Model):
    """One configured provider for a channel (several per channel: the lowest priority number is tried first).
    `config` holds credentials and endpoints; it is never shown back in the UI or the API."""

    channel = models.CharField(max_length=10, choices=Channel.choices)
    provider = models.CharField(max_length=50)  # a folder name under messaging/providers/
    name = models.CharField(max_length=100)
    sender = models.CharField(_("sender"), max_length=100, blank=True)  # sender name, number or address
    config = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)
    # Part of the callback URL the provider is given (/api/v1/messaging/callbacks/<id>/<secret>).
    callback_secret = models.CharField(max_length=64, default=new_callback_secret)

    class Meta:
        ordering = ["channel", "priority", "id"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.name} ({self.provider})"


class Message(models.Model):
    """One message to one customer in one channel. Its status only moves forward (see `STATUS_RANK`)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        READ = "read", _("Read")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")
        SUPPRESSED = "suppressed", _("Suppressed")

    # message_customer_idx starts with the customer; account and fallback_of are never searched by: no index for
    # them (every message is an insert; a batch of order statuses writes hundreds).
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages", db_index=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    to = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    template_version = models.ForeignKey(TemplateVersion, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    # Kept to render the same template for a fallback channel: the template's key and the caller's values.
    template_key = models.CharField(max_length=80, blank=True)
    context = BulkJSONField(default=dict, blank=True)
    # source event or request + customer + step + channel: the same key twice is the same message.
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    status_reason = models.CharField(max_length=300, blank=True)
    account = models.ForeignKey(ProviderAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                db_index=False)
    provider = models.CharField(max_length=50, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    # A retry after an unknown outcome through a provider that takes no idempotency key: maybe sent twice.
    ambiguous = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    send_by = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    # Set just before the holder hands the message to its provider (a few at a time), cleared when that attempt's
    # outcome is recorded: a dead worker's message with it set may have gone out, one without it certainly did not.
    handed_over = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    source = models.CharField(max_length=100, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True)
    # Fallback: the channels still to try, in order, and the message this one replaces.
    next_channels = BulkJSONField(default=list, blank=True)
    fallback_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Only the live rows, in the order the dispatcher claims them: a claim reads its 200 rows off the front
            # of this index instead of sorting every due message of a big campaign (claiming.py).
            models.Index(fields=["due_at", "id"], name="message_live_due_idx",
                         condition=models.Q(status__in=["queued", "sending"])),
            models.Index(fields=["customer", "-created_at"], name="message_customer_idx"),
            models.Index(fields=["provider", "provider_message_id"], name="message_provider_id_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.channel} → {self.to} ({self.status})"


# Forward-only order of the live states; the final failures can follow any live state but nothing follows them.
STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
FINAL = {"failed", "expired", "suppressed"}


class MessagingPolicy(models.Model):
    """The business's sending rules (one row): quiet hours in the customer's time zone, marketing frequency caps."""

    quiet_from = models.TimeField(_("quiet hours from"), default=dt.time(21, 0))
    quiet_to = models.TimeField(_("quiet hours to"), default=dt.time(9, 0))
    marketing_per_day = models.PositiveSmallIntegerField(_("advertising messages per day"), default=1)
    marketing_per_week = models.PositiveSmallIntegerField(_("advertising messages per week"), default=3)
    # A message sent through a provider that reports delivery, still not delivered after this long, goes out in
    # the customer's next channel too (0: never).
    fallback_after_minutes = models.PositiveIntegerField(_("next channel when not delivered within, minutes"),
                                                         default=30)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"quiet {self.quiet_from}–{self.quiet_to}"


class InboundMessage(models.Model):
    """What a customer wrote to us in a channel, once per provider message id (providers repeat webhooks)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="inbound_messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    provider = models.CharField(max_length=50)
    provider_message_id = models.CharField(max_length=200)
    sender = models.CharField(max_length=255)
    sender_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    received_at = models.DateTimeField()
    # What the message did: "" (a reply), "unsubscribed" (STOP), "linked" (a Telegram deep link), "new_card".
    effect = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "provider_message_id"], name="inbound_once")]

    def __str__(self) -> str:
        return f"{self.channel} from {self.sender}"


class SendSlot(models.Model):
    """The next moment a provider account may send (epoch seconds), shared by every worker: throttle.py."""

    key = models.CharField(max_length=100, primary_key=True)  # "<provider>:<account id>"
    next_at = models.FloatField()

    def __str__(self) -> str:
        return f"{self.key} → {self.next_at}"
