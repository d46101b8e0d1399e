"""Orders from an ERP or an e-shop: status flows configured per business, the notification at each step, items,
shipments, status history, pickup statistics per customer and payment links."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from regulars.customers.models import Customer
from regulars.org.models import Branch


class Flow(models.Model):
    """One list of statuses an order goes through (an e-shop parcel, a car in repair, glasses being made)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.Model):
    """A step of a flow and what the customer is told when an order reaches it.

    `rank` orders the steps: an order only ever moves to a higher rank, so a late or repeated status changes
    nothing and sends nothing. Alternatives that exclude each other (picked up / not picked up) share a rank."""

    class Outcome(models.TextChoices):
        NONE = "", _("none")
        PICKED_UP = "picked_up", _("picked up")
        NOT_PICKED_UP = "not_picked_up", _("not picked up")

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="statuses")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    rank = models.PositiveIntegerField(_("rank"))
    outcome = models.CharField(_("pickup outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    # The notification of this step (purpose: service).
    notify = models.BooleanField(_("notify the customer"), default=False)
    template_key = models.SlugField(_("template"), max_length=80, blank=True)
    delay_minutes = models.PositiveIntegerField(_("delay, minutes"), default=0)
    # Not sent at all when it cannot go within this time of the change (a "confirmed" SMS a day late is noise).
    send_within_minutes = models.PositiveIntegerField(_("send within, minutes"), null=True, blank=True)

    class Meta:
        ordering = ["flow", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["flow", "code"], name="order_status_unique")]

    def __str__(self) -> str:
        return f"{self.flow.key}:{self.code}"


class StatusReminder(models.Model):
    """A reminder while an order stays in a status (a parcel waiting at the pickup point), sent only if the order
    is still there when it falls due; `is_last` marks the last one before the parcel goes back."""

    status = models.ForeignKey(OrderStatus, on_delete=models.CASCADE, related_name="reminders")
    after_days = models.PositiveIntegerField(_("after, days"))
    template_key = models.SlugField(_("template"), max_length=80)
    is_last = models.BooleanField(_("last reminder"), default=False)

    class Meta:
        ordering = ["status", "after_days"]
        constraints = [models.UniqueConstraint(fields=["status", "after_days"], name="status_reminder_unique")]

    def __str__(self) -> str:
        return f"{self.status} +{self.after_days}d"


class Order(models.Model):
    class Payment(models.TextChoices):
        UNPAID = "unpaid", _("Unpaid")
        PENDING = "pending", _("Payment pending")
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")

    source = models.SlugField(_("source"), max_length=50)
    external_id = models.CharField(_("external id"), max_length=100)
    number = models.CharField(_("number"), max_length=100)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders", db_index=False)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="orders")
    status = models.ForeignKey(OrderStatus, on_delete=models.PROTECT, related_name="orders")
    status_changed_at = models.DateTimeField(_("status changed"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    payment_state = models.CharField(_("payment"), max_length=10, choices=Payment.choices, default=Payment.UNPAID)
    delivery_method = models.CharField(_("delivery"), max_length=50, blank=True)
    pickup_point = models.CharField(_("pickup point"), max_length=300, blank=True)
    keep_until = models.DateField(_("kept until"), null=True, blank=True)  # when an unclaimed parcel goes back
    placed_at = models.DateTimeField(_("placed"))
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="order_source_unique")]
        indexes = [
            models.Index(fields=["customer", "-placed_at"], name="order_customer_idx"),
            models.Index(fields=["status", "status_changed_at"], name="order_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    category = models.CharField(_("category"), max_length=200, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["order", "position"]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_status = models.CharField(_("tracking status"), max_length=200, blank=True)
    courier_name = models.CharField(_("courier"), max_length=200, blank=True)
    courier_phone = models.CharField(_("courier's phone"), max_length=32, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip()


class StatusChange(models.Model):
    """An applied status change; a late or repeated one is answered "stale" and leaves no row."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    status = models.ForeignKey(OrderStatus, on_delete=models.PROTECT, related_name="+", db_index=False)
    changed_at = models.DateTimeField()  # when it happened, as the source says
    recorded_at = models.DateTimeField()
    actor_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["order", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} → {self.status.code}"


class PickupStats(models.Model):
    """Per customer: orders that reached a pickup outcome. Kept by the status service, one row per card."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="pickup_stats")
    orders = models.PositiveIntegerField(default=0)
    picked_up = models.PositiveIntegerField(default=0)
    not_picked_up = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.picked_up}/{self.picked_up + self.not_picked_up}"

    @property
    def decided(self) -> int:
        return self.picked_up + self.not_picked_up

    @property
    def rate(self) -> int | None:
        """Picked up, percent of the orders that reached an outcome; None before the first."""
        return round(100 * self.picked_up / self.decided) if self.decided else None


class OrdersPolicy(models.Model):
    """One row: the low-pickup rule (flag the card as risky when the rate falls below the threshold)."""

    flag_low_pickup = models.BooleanField(_("flag low pickup"), default=True)
    min_orders = models.PositiveIntegerField(_("at least, orders"), default=3)
    min_rate = models.PositiveIntegerField(_("pickup rate below, %"), default=50)
    # A parcel waits this long at the pickup point when the shop does not say (order.keep_until).
    keep_days = models.PositiveIntegerField(_("a parcel waits, days"), default=7)
    review_url = models.URLField(_("review link"), max_length=500, blank=True)

    def __str__(self) -> str:
        return f"pickup < {self.min_rate}% of ≥ {self.min_orders}"


def new_callback_secret() -> str:
    return secrets.token_urlsafe(24)


class PaymentAccount(models.Model):
    """A configured payment provider (one folder under payments/providers/). `config` holds the credentials and
    is never shown back; the webhook URL carries `callback_secret`."""

    provider = models.CharField(_("provider"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    config = models.JSONField(default=dict, blank=True)
    callback_secret = models.CharField(max_length=64, default=new_callback_secret)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-is_active", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"


class PaymentLink(models.Model):
    """A payment created at a payment provider for an order; the provider's webhook marks it paid."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Paid")
        CANCELED = "canceled", _("Canceled")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payment_links")
    account = models.ForeignKey(PaymentAccount, on_delete=models.PROTECT, related_name="links")
    provider = models.CharField(max_length=50)
    idempotency_key = models.CharField(max_length=100, unique=True)
    provider_payment_id = models.CharField(max_length=100, blank=True, db_index=True)
    url = models.URLField(max_length=1000, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["order", "-created_at"]

    def __str__(self) -> str:
        return f"{self.provider}:{self.provider_payment_id or self.pk}"
