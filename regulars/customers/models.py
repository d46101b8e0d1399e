"""The customer card shared by the whole network: contacts, consents, flags, assets, notes, timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.org.models import Branch
from regulars.platform.fields import BulkJSONField


class Channel(models.TextChoices):
    """Channels a customer can be reached in (and consent to)."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VK = "vk", _("VK")
    VOICE = "voice", _("Voice call")


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VK = "vk", _("VK")


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service messages")
    MARKETING = "marketing", _("Advertising")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomFieldDef(models.Model):
    """A field the business adds to every card (e.g. "Corporate client", "Loyalty card number")."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    label = models.CharField(_("label"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Customer(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TO_COMPLETE = "to_complete", _("To complete")
        # Folded into another card by a merge: kept as a tombstone so old links and ids lead to the survivor.
        MERGED = "merged", _("Merged")

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ru")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    # Served by customer_branch_idx (its first column): a second index would only cost every insert.
    home_branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="customers",
        verbose_name=_("home branch"), db_index=False,
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers",
        verbose_name=_("responsible employee"), db_index=False,
    )
    # Channels in the order the customer prefers them, e.g. ["telegram", "sms", "email"].
    preferred_channels = models.JSONField(_("preferred channels"), default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # Lower-cased names, phone digits, e-mails, plates and VINs: what the one search box matches.
    # Rebuilt by the services on every change; trigram-indexed on PostgreSQL.
    search_text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from",
        verbose_name=_("merged into"), db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="customer_name_idx"),
            models.Index(fields=["home_branch", "-created_at"], name="customer_branch_idx"),
            # Most cards have no responsible employee and are not tombstones: partial indexes cost them nothing.
            models.Index(fields=["responsible"], name="customer_responsible_idx",
                         condition=models.Q(responsible__isnull=False)),
            models.Index(fields=["merged_into"], name="customer_merged_into_idx",
                         condition=models.Q(merged_into__isnull=False)),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class ContactPoint(models.Model):
    """A phone, e-mail or messenger id. Stored normalised; one contact belongs to one card in the network."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=10, choices=ContactKind.choices)
    value = models.CharField(max_length=254)
    label = models.CharField(max_length=50, blank=True)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "-is_primary", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="contact_unique_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class ExternalRef(models.Model):
    """The customer's id in another system (an ERP, an e-shop, a spreadsheet): unique per source."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_refs")
    source = models.CharField(_("source"), max_length=50)
    value = models.CharField(_("external id"), max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["source", "value"]
        constraints = [models.UniqueConstraint(fields=["source", "value"], name="external_ref_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.value}"


class Consent(models.Model):
    """One decision of the customer, never edited: the current state is the newest row per channel+purpose."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    granted = models.BooleanField()
    source = models.CharField(_("source"), max_length=100)
    text_version = models.CharField(_("consent text version"), max_length=50, blank=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "purpose", "-at"], name="consent_current_idx")]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose}={'yes' if self.granted else 'no'}"


class Flag(models.Model):
    class Kind(models.TextChoices):
        BLACKLIST = "blacklist", _("Blacklist")
        RISK = "risk", _("Risk")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cleared_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["kind", "cleared_at"], name="flag_active_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


class AssetType(models.Model):
    """A kind of thing customers own, configured by the business: its fields are data, not code.

    `fields` is a list of {"key", "label", "type", "required", "choices", "min", "max"}, where type is one of
    text, integer, decimal, date, choice, vin, plate (see assets.py for their validation).
    """

    key = models.SlugField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    fields = models.JSONField(_("fields"), default=list)
    # Keys of the fields that make the one-line label on the card, e.g. ["make", "model", "year", "plate"].
    title_fields = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assets")
    type = models.ForeignKey(AssetType, on_delete=models.PROTECT, related_name="assets")
    data = models.JSONField(default=dict)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title or f"{self.type} #{self.pk}"


class Note(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:50]


class TimelineEntry(models.Model):
    """Append-only history of the card. Written by the timeline consumer from domain events."""

    # The page index starts with the customer: no second index for the foreign keys (every entry is an insert).
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    kind = models.CharField(max_length=50)
    occurred_at = models.DateTimeField()
    summary = models.CharField(max_length=300, blank=True)
    data = BulkJSONField(default=dict, blank=True)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False)
    actor_label = models.CharField(max_length=200, blank=True)
    event = models.ForeignKey(
        "platform.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at", "-id"], name="timeline_page_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind}"


class DuplicateDismissal(models.Model):
    """"These two cards are not duplicates": hides the pair from the duplicates list. first_id < second_id."""

    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="duplicate_dismissal_pair")]

    def __str__(self) -> str:
        return f"#{self.first_id} ≠ #{self.second_id}"
