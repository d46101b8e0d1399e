"""Payment links (PRODUCT C7.3): the writes. Every surface (API, order page, provider webhooks) calls these.

- `payment_link_create` keeps a PaymentLink row with its idempotency key `order:<id>:pay:<n>` committed before
  the provider is called (with no transaction open), so a retry after a timeout sends the same key again and the
  provider answers the same payment: one order never gets two payments for one attempt.
- `payment_webhook_handle` trusts nothing in a notification but the payment id: it fetches the payment from the
  provider's API and marks the order paid only when that says "succeeded" for the link's amount and currency.
  Repeated and late notifications change nothing and send nothing.
"""

from __future__ import annotations

import hmac
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.messaging.bulk import messages_withdraw
from regulars.messaging.providers.settings import merge_config
from regulars.messaging.services import message_send
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import Conflict, DomainError, NotFound, ValidationFailed
from regulars.platform.events import publish

from ..models import Order, PaymentAccount, PaymentLink
from ..notify import order_context
from .base import CreatedPayment, PaymentProviderError, PaymentState
from .providers import KNOWN
from .providers import provider as provider_named

LINK_TEMPLATE = "order-payment-link"
PAID_TEMPLATE = "order-paid"
PENDING, SUCCEEDED, CANCELED = PaymentLink.Status.PENDING, PaymentLink.Status.SUCCEEDED, PaymentLink.Status.CANCELED


class ProviderUnavailable(DomainError):
    """The payment provider did not answer (a timeout, its 5xx): nothing was recorded, the same request again
    reuses the same idempotency key."""

    status = 502
    code = "provider_unavailable"


def payment_source(order: Order) -> str:
    """The `source` of this order's payment messages: not the status notifications' (which withdraw theirs)."""
    return f"order:{order.pk}:payment"


# Accounts


def payment_account_save(*, actor: Actor, provider: str = "", name: str, config: dict[str, Any] | None = None,
                         is_active: bool = True, account_id: int | None = None) -> PaymentAccount:
    """Create or change a payment account. A secret left empty keeps the stored one; the audit log names the
    settings that changed, never their values. An account keeps its provider."""
    errors: dict[str, str] = {}
    with transaction.atomic():
        account = None
        if account_id is not None:
            account = PaymentAccount.objects.select_for_update().filter(pk=account_id).first()
            if account is None:
                raise NotFound(_("No such payment account"), fields={"account_id": _("not found")})
            if provider and provider != account.provider:
                errors["provider"] = _("an account keeps its provider")
            provider = account.provider
        if provider not in KNOWN:
            errors["provider"] = _("one of: %(choices)s") % {"choices": ", ".join(KNOWN)}
        if not (name or "").strip():
            errors["name"] = _("required")
        if errors.get("provider"):
            raise ValidationFailed(_("The payment account could not be saved"), fields=errors)
        stored = dict(account.config) if account else {}
        merged, config_errors = merge_config(provider_named(provider).config_fields, config, stored)
        errors.update(config_errors)
        for field in provider_named(provider).config_fields:
            url = str(merged.get(field.key, ""))
            if field.key.endswith("_url") and url and not url.startswith(("https://", "http://")):
                errors[f"config.{field.key}"] = _("an address starting with https://")
        if errors:
            raise ValidationFailed(_("The payment account could not be saved"), fields=errors)
        changed = sorted(k for k in set(stored) | set(merged) if stored.get(k) != merged.get(k))
        if account is None:
            account = PaymentAccount(provider=provider)
        account.name, account.config, account.is_active = name.strip()[:100], merged, is_active
        account.updated_at = timezone.now()
        account.save()
        audit_record(actor=actor, action="payment_account.save", object_type="payment_account",
                     object_id=account.pk, object_label=str(account),
                     changes={"settings_changed": changed, "active": is_active})
    return account


# Creating a link


def _account_for(account_id: int | None) -> PaymentAccount:
    accounts = PaymentAccount.objects.filter(is_active=True, provider__in=KNOWN)
    account = (accounts.filter(pk=account_id) if account_id is not None else accounts.order_by("name", "id")).first()
    if account is None:
        reason = (_("no such active payment account") if account_id is not None
                  else _("no active payment account: an administrator adds one in the payment accounts settings"))
        raise ValidationFailed(_("No payment link could be created"), fields={"account_id": reason})
    return account


def _prepare(actor: Actor, order_id: int, account_id: int | None) -> PaymentLink:
    """Under the order's row lock: refuse, reuse a pending link for the same amount, or commit a new row with its
    idempotency key (before any provider is called)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None:
            raise NotFound(_("No such order"), fields={"order_id": _("not found")})
        if order.payment_state == Order.Payment.PAID:
            raise Conflict(_("No payment link could be created"), fields={"order": _("the order is already paid")})
        if order.total <= 0:
            raise ValidationFailed(_("No payment link could be created"), fields={
                "total": _("the order total must be above zero")})
        account = _account_for(account_id)
        for link in PaymentLink.objects.select_for_update().filter(order=order, status=PENDING).order_by("-id"):
            same_account = link.account_id == account.pk if account_id is not None else link.account.is_active
            if link.amount == order.total and link.currency == order.currency and same_account:
                return link  # with its URL: sent again at most; without: the provider is asked again, same key
            if not link.url:  # an attempt for another amount that never got a URL: nobody can pay it
                link.status = CANCELED
                link.save(update_fields=["status"])
        n = PaymentLink.objects.filter(order=order).count() + 1
        while PaymentLink.objects.filter(idempotency_key=f"order:{order.pk}:pay:{n}").exists():
            n += 1
        link = PaymentLink.objects.create(
            order=order, account=account, provider=account.provider, idempotency_key=f"order:{order.pk}:pay:{n}",
            amount=order.total, currency=order.currency, created_at=timezone.now(),
            created_by_label=actor.label[:200])
        audit_record(actor=actor, action="payment_link.create", object_type="order", object_id=order.pk,
                     object_label=order.number, changes={"payment_link": link.pk, "amount": str(link.amount),
                                                         "account": account.pk})
        return link


def _call_provider(link: PaymentLink) -> CreatedPayment:
    """The provider, with no transaction of ours open. A refusal for good closes this attempt (a new one needs
    a new key); a temporary failure leaves the row as it is, to be retried with the same key."""
    order = Order.objects.select_related("customer").get(pk=link.order_id)
    with translation.override(order.customer.language or settings.LANGUAGE_CODE):
        description = _("Order %(number)s") % {"number": order.number}
    try:
        return provider_named(link.provider).create(
            link.account, amount=link.amount, currency=link.currency, description=description,
            idempotency_key=link.idempotency_key, return_url=str(link.account.config.get("return_url") or ""),
            metadata={"order_id": str(order.pk), "order_number": order.number, "payment_link_id": str(link.pk)})
    except PaymentProviderError as exc:
        if exc.temporary:
            raise ProviderUnavailable(_("The payment provider did not answer; try again later"),
                                      fields={"provider": exc.message}) from None
        with transaction.atomic():
            PaymentLink.objects.filter(pk=link.pk, status=PENDING, url="").update(status=CANCELED)
        raise Conflict(_("The payment provider refused the payment"), fields={"provider": exc.message}) from None


def payment_link_create(*, actor: Actor, order_id: int, account_id: int | None = None,
                        send: bool = True) -> PaymentLink:
    """A payment link for the order's total, sent to the customer when `send` (template order-payment-link, key
    `order:<id>:payment-link:<link id>`). A pending link for the same amount is reused, not made twice.

    Storing the URL and queueing the message are one transaction: when the message cannot be queued (no channel
    the template is written for), nothing of it is kept and the reason is raised; the link stays retryable with
    its key, so asking again (or with send=False) gets the same payment from the provider."""
    link = _prepare(actor, order_id, account_id)
    created = None if link.url else _call_provider(link)
    with transaction.atomic():
        link = PaymentLink.objects.select_for_update().select_related("account").get(pk=link.pk)
        order = Order.objects.select_for_update().select_related("status", "customer").get(pk=link.order_id)
        if created is not None and not link.url:
            link.provider_payment_id, link.url = created.provider_payment_id, created.url
            link.save(update_fields=["provider_payment_id", "url"])
            if order.payment_state == Order.Payment.UNPAID:
                order.payment_state, order.updated_at = Order.Payment.PENDING, timezone.now()
                order.save(update_fields=["payment_state", "updated_at"])
            publish("order.payment_link_created", subject_type="order", subject_id=order.pk, actor=actor,
                    payload={"customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
                             "order_number": order.number, "payment_link_id": link.pk, "amount": str(link.amount),
                             "currency": link.currency, "summary": _(
                                 "Order %(number)s: payment link for %(amount)s %(currency)s") % {
                                 "number": order.number, "amount": link.amount, "currency": link.currency}})
        if send and link.status == PENDING:
            message_send(actor=actor, customer_id=order.customer_id, template_key=LINK_TEMPLATE,
                         context=order_context(order), idempotency_key=f"order:{order.pk}:payment-link:{link.pk}",
                         source=payment_source(order))
    return link


# Provider webhooks


def payment_webhook_handle(*, account_id: int, secret: str, body: bytes) -> str:
    """One notification from a provider; returns what came of it: "paid", "canceled", "unchanged", "mismatch",
    "unknown" (no link of ours has that payment), "unverified" (the provider's API does not know it) or
    "ignored" (not about a payment). A wrong account or secret is NotFound and writes nothing. An account that
    was switched off still hears about its payments: a customer may pay an old link."""
    account = PaymentAccount.objects.filter(pk=account_id).first()
    expected = account.callback_secret if account else "-" * 32  # constant time; unknown and wrong look the same
    if account is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise NotFound(_("No such payment account"), fields={"account_id": _("not found")})
    if account.provider not in KNOWN:
        return "ignored"
    implementation = provider_named(account.provider)
    payment_id = implementation.parse_webhook(body)
    if not payment_id:
        return "ignored"
    link = PaymentLink.objects.filter(account=account, provider_payment_id=payment_id).first()
    if link is None:
        return "unknown"
    try:
        state = implementation.fetch(account, payment_id)
    except PaymentProviderError as exc:
        if exc.temporary:  # not 200: the provider delivers the notification again later
            raise ProviderUnavailable(_("The payment could not be checked with the provider"),
                                      fields={"provider": exc.message}) from None
        return "unverified"
    return _apply(link.pk, state, actor=Actor.system(f"payments:{account.provider}"))


def _apply(link_id: int, state: PaymentState, *, actor: Actor) -> str:
    with transaction.atomic():
        link = PaymentLink.objects.select_for_update().get(pk=link_id)
        order = Order.objects.select_for_update().select_related("status", "customer").get(pk=link.order_id)
        if state.id != link.provider_payment_id:
            return "mismatch"
        if state.status == "succeeded":
            return _succeeded(link, order, state, actor=actor)
        if state.status == "canceled" and link.status == PENDING:
            link.status = CANCELED
            link.save(update_fields=["status"])
            still_open = PaymentLink.objects.filter(order=order, status=PENDING).exclude(url="").exists()
            if order.payment_state == Order.Payment.PENDING and not still_open:
                order.payment_state, order.updated_at = Order.Payment.UNPAID, timezone.now()
                order.save(update_fields=["payment_state", "updated_at"])
            publish("order.payment_canceled", subject_type="order", subject_id=order.pk, actor=actor,
                    payload={"customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
                             "order_number": order.number, "payment_link_id": link.pk,
                             "summary": _("Order %(number)s: payment canceled") % {"number": order.number}})
            return "canceled"
        return "unchanged"


def _succeeded(link: PaymentLink, order: Order, state: PaymentState, *, actor: Actor) -> str:
    if link.status == SUCCEEDED:
        return "unchanged"
    order_ref = state.metadata.get("order_id")
    if (state.amount.quantize(Decimal("0.01")) != link.amount or state.currency != link.currency
            or (order_ref is not None and order_ref != str(order.pk))):
        return "mismatch"
    now = timezone.now()
    link.status, link.paid_at = SUCCEEDED, now
    link.save(update_fields=["status", "paid_at"])
    if order.payment_state == Order.Payment.PAID:
        return "unchanged"  # paid through another link already: told once
    order.payment_state, order.updated_at = Order.Payment.PAID, now
    order.save(update_fields=["payment_state", "updated_at"])
    publish("order.paid", subject_type="order", subject_id=order.pk, actor=actor, payload={
        "customer_id": order.customer_id, "branch_id": order.branch_id, "order_id": order.pk,
        "order_number": order.number, "amount": str(link.amount), "currency": link.currency,
        "payment_link_id": link.pk, "provider": link.provider,
        "summary": _("Order %(number)s paid: %(amount)s %(currency)s") % {
            "number": order.number, "amount": link.amount, "currency": link.currency}})
    messages_withdraw(source=payment_source(order), reason=_("the order is paid"))
    try:
        message_send(actor=actor, customer_id=order.customer_id, template_key=PAID_TEMPLATE,
                     context=order_context(order), idempotency_key=f"order:{order.pk}:paid",
                     source=payment_source(order))
    except DomainError as exc:  # the payment stands; the card shows why the customer was not told
        reasons = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
        publish("order.notification_skipped", subject_type="order", subject_id=order.pk, actor=actor,
                payload={"customer_id": order.customer_id, "order_id": order.pk, "template": PAID_TEMPLATE,
                         "summary": _("Order %(number)s: no message sent (%(reason)s)") % {
                             "number": order.number, "reason": reasons}})
    return "paid"
