"""Reads of payment links and payment accounts. Links are read through an order the viewer may see
(`orders.selectors.order_get_for_user`); accounts are settings (settings.manage), never with their secrets."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..models import Order, PaymentAccount, PaymentLink
from .providers import KNOWN
from .providers import provider as provider_named


def payment_links_of(order: Order) -> QuerySet[PaymentLink]:
    return PaymentLink.objects.filter(order=order).select_related("account").order_by("-created_at", "-id")


def payment_accounts() -> QuerySet[PaymentAccount]:
    return PaymentAccount.objects.all()


def account_settings(account: PaymentAccount) -> tuple[dict[str, Any], list[str]]:
    """The account's settings that may be shown, and the names of the secrets that are set (never their values)."""
    if account.provider not in KNOWN:
        return {}, []
    shown: dict[str, Any] = {}
    secrets_set: list[str] = []
    for field in provider_named(account.provider).config_fields:
        if field.secret:
            if account.config.get(field.key):
                secrets_set.append(field.key)
        elif field.key in account.config:
            shown[field.key] = account.config[field.key]
    return shown, secrets_set
