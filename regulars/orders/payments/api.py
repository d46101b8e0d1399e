"""Payment links in the REST API: create and list an order's links, the payment accounts (settings), and the
providers' webhook (`/payments/callbacks/{account_id}/{secret}`, no authentication: the secret is in the URL and
the payment is checked with the provider's API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from regulars.customers.selectors import viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor
from regulars.platform.errors import NotFound

from ..models import PaymentAccount, PaymentLink
from ..selectors import order_get_for_user
from .selectors import account_settings, payment_accounts, payment_links_of
from .services import payment_account_save, payment_link_create, payment_webhook_handle

router = Router(tags=["payments"])


class PaymentLinkIn(Schema):
    account_id: int | None = None
    send: bool = True


class PaymentLinkOut(Schema):
    id: int
    url: str
    status: str
    amount: Decimal
    currency: str
    provider: str
    account_id: int
    created_at: dt.datetime
    paid_at: dt.datetime | None


class PaymentAccountIn(Schema):
    provider: str = ""
    name: str
    config: dict[str, Any] = {}
    is_active: bool = True


class PaymentAccountPatch(Schema):
    name: str | None = None
    config: dict[str, Any] = {}
    is_active: bool | None = None


class PaymentAccountOut(Schema):
    id: int
    provider: str
    name: str
    is_active: bool
    config: dict[str, Any]  # the settings that are not secret
    secrets_set: list[str]  # the names of the secrets that are stored; their values are never shown
    callback_url: str  # give this to the provider as the notification (webhook) URL
    updated_at: dt.datetime


def link_json(link: PaymentLink) -> dict[str, Any]:
    return {"id": link.pk, "url": link.url, "status": link.status, "amount": link.amount,
            "currency": link.currency, "provider": link.provider, "account_id": link.account_id,
            "created_at": link.created_at, "paid_at": link.paid_at}


def account_json(request: HttpRequest, account: PaymentAccount) -> dict[str, Any]:
    shown, secrets_set = account_settings(account)
    return {"id": account.pk, "provider": account.provider, "name": account.name, "is_active": account.is_active,
            "config": shown, "secrets_set": secrets_set, "updated_at": account.updated_at,
            "callback_url": request.build_absolute_uri(
                reverse("api:payment_callback", args=[account.pk, account.callback_secret]))}


@router.post("/orders/{order_id}/payment-links", response={201: PaymentLinkOut})
def payment_link_post(request: HttpRequest, order_id: int, payload: PaymentLinkIn) -> Any:
    """Create a payment link for the order's total at the payment provider and, unless `send` is false, queue it
    to the customer (template `order-payment-link`). A still-pending link for the same amount is answered again
    instead of a second payment. 409 when the order is paid, 400 when its total is 0 or no payment account is
    active, 502 when the provider did not answer (ask again: the same payment is reused)."""
    require(request, "orders.edit")
    order = order_get_for_user(viewer_of(request), order_id)
    link = payment_link_create(actor=Actor.from_request(request), order_id=order.pk, account_id=payload.account_id,
                               send=payload.send)
    return Status(201, link_json(link))


@router.get("/orders/{order_id}/payment-links", response=list[PaymentLinkOut])
def payment_link_list(request: HttpRequest, order_id: int) -> Any:
    """The order's payment links, newest first."""
    require(request, "orders.view")
    order = order_get_for_user(viewer_of(request), order_id)
    return [link_json(link) for link in payment_links_of(order)]


@router.post("/payments/callbacks/{account_id}/{secret}", auth=None, url_name="payment_callback",
             summary="A payment provider's notification (webhook)")
def payment_callback(request: HttpRequest, account_id: int, secret: str) -> Any:
    """The URL given to the provider, with the account's secret in it. The body only names the payment, which is
    then fetched from the provider's API. 200 for everything understood or not ours (the provider would repeat
    anything else); 404 for a wrong account or secret; 502 when the provider's API could not be asked."""
    return {"ok": True, "result": payment_webhook_handle(account_id=account_id, secret=secret, body=request.body)}


@router.get("/payment-accounts", response=list[PaymentAccountOut])
def payment_account_list(request: HttpRequest) -> Any:
    require(request, "settings.manage")
    return [account_json(request, a) for a in payment_accounts()]


@router.post("/payment-accounts", response={201: PaymentAccountOut})
def payment_account_post(request: HttpRequest, payload: PaymentAccountIn) -> Any:
    """Add a payment account (`provider`: yookassa). Secrets are written and never read back."""
    require(request, "settings.manage")
    account = payment_account_save(actor=Actor.from_request(request), provider=payload.provider, name=payload.name,
                                   config=payload.config, is_active=payload.is_active)
    return Status(201, account_json(request, account))


@router.patch("/payment-accounts/{account_id}", response=PaymentAccountOut)
def payment_account_patch(request: HttpRequest, account_id: int, payload: PaymentAccountPatch) -> Any:
    """Change an account: only what is sent changes; a secret left out or empty keeps the stored one."""
    require(request, "settings.manage")
    account = payment_accounts().filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("No such payment account"), fields={"account_id": _("not found")})
    shown, _secrets = account_settings(account)
    account = payment_account_save(
        actor=Actor.from_request(request), account_id=account.pk, name=payload.name or account.name,
        config={**shown, **payload.config},
        is_active=account.is_active if payload.is_active is None else payload.is_active)
    return account_json(request, account)
