"""Reads of the messaging domain, with the viewer's permissions applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from regulars.customers.selectors import customers_visible_to

from .models import Message, Template


@dataclass(frozen=True)
class MessageFilters:
    customer_id: int | None = None
    channel: str = ""
    status: str = ""
    purpose: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def messages_visible_to(viewer: Any) -> QuerySet[Message]:
    """Messages of the cards the viewer may see (cards are shared by the network, PRODUCT C1)."""
    return Message.objects.filter(customer__in=customers_visible_to(viewer))


def message_list(viewer: Any, filters: MessageFilters) -> QuerySet[Message]:
    qs = messages_visible_to(viewer).select_related("customer")
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    for field in ("channel", "status", "purpose"):
        if getattr(filters, field):
            qs = qs.filter(**{field: getattr(filters, field)})
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    return qs.order_by("-created_at", "-id")


def message_get_for_user(viewer: Any, message_id: int) -> Message:
    message = messages_visible_to(viewer).select_related("customer", "template_version").filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message")
    return message


def templates_all() -> QuerySet[Template]:
    return Template.objects.all()
