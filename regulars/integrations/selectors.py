"""Reads of the integrations domain. Webhooks and endpoints are network-wide settings (`webhooks.manage`, checked
by the caller); a received event is read like its customer's card."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from regulars.customers.selectors import customers_visible_to
from regulars.platform.errors import NotFound

from .models import InboundEndpoint, ReceivedEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription


def webhook_subscriptions() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.all()


def webhook_subscription_get(subscription_id: int) -> WebhookSubscription:
    found = WebhookSubscription.objects.filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(_("No such subscription"), fields={"subscription_id": _("not found")})
    return found


def webhook_deliveries(subscription_id: int) -> QuerySet[WebhookDelivery]:
    """Newest first, each with its event and its attempts."""
    return (WebhookDelivery.objects.filter(subscription_id=subscription_id).select_related("event")
            .prefetch_related(Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number")))
            .order_by("-created_at", "-id"))


def inbound_endpoints() -> QuerySet[InboundEndpoint]:
    return InboundEndpoint.objects.all()


def received_event_get_for_user(user: Any, received_id: int) -> ReceivedEvent:
    found = ReceivedEvent.objects.select_related("event").filter(pk=received_id).first()
    if found is None or not customers_visible_to(user).filter(pk=found.customer_id).exists():  # the card's rule
        raise NotFound(_("No such event"), fields={"id": _("not found")})
    return found
