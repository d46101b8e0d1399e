"""The pages of payment links: the "Send payment link" button of the order page, and the payment accounts in
Settings (credentials written and never shown back). Views parse, call a service, render or redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.messaging.providers.settings import form_rows
from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError

from ..models import PaymentAccount
from ..selectors import order_get_for_user
from .providers import KNOWN
from .providers import provider as provider_named
from .selectors import payment_accounts
from .services import payment_account_save, payment_link_create


def _reasons(exc: DomainError) -> str:
    return "; ".join(str(reason) for reason in exc.fields.values()) or exc.message


@permission_required("orders.edit")
@require_POST
def payment_link_send(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_get_for_user(request.user, order_id)
    try:
        link = payment_link_create(actor=Actor.from_request(request), order_id=order.pk,
                                   account_id=int(request.POST["account_id"]) if request.POST.get(
                                       "account_id", "").isdigit() else None)
    except DomainError as exc:
        flash.error(request, f"{exc.message}: {_reasons(exc)}")
    else:
        flash.success(request, _("The payment link for %(amount)s %(currency)s is on its way to the customer.") % {
            "amount": link.amount, "currency": link.currency})
    return redirect("orders:detail", order_id=order.pk)


def _fields_of(provider: str, account: PaymentAccount | None, data: Any = None) -> list[dict[str, Any]]:
    return form_rows(provider_named(provider).config_fields, account.config if account else {}, data)


@permission_required("settings.manage")
def account_list(request: HttpRequest) -> HttpResponse:
    rows = [{"account": a, "callback": request.build_absolute_uri(
        reverse("api:payment_callback", args=[a.pk, a.callback_secret]))} for a in payment_accounts()]
    return render(request, "orders/payments/accounts.html", {
        "rows": rows, "providers": [(name, provider_named(name)) for name in KNOWN], "nav_section": "settings"})


@permission_required("settings.manage")
def account_edit(request: HttpRequest, account_id: int | None = None) -> HttpResponse:
    account = get_object_or_404(PaymentAccount, pk=account_id) if account_id else None
    provider = account.provider if account else request.GET.get("provider", request.POST.get("provider", ""))
    if provider not in KNOWN:
        return redirect("orders:payment_accounts")
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else None
    if data is not None:
        config = {f.key: data.get(f"config_{f.key}", "") for f in provider_named(provider).config_fields}
        try:
            payment_account_save(actor=Actor.from_request(request), account_id=account.pk if account else None,
                                 provider=provider, name=data.get("name", ""), config=config,
                                 is_active=data.get("is_active") == "on")
        except DomainError as exc:
            errors = dict(exc.fields) or {"": exc.message}
        else:
            flash.success(request, _("Payment account saved."))
            return redirect("orders:payment_accounts")
    implementation = provider_named(provider)
    return render(request, "orders/payments/account_form.html", {
        "account": account, "provider": provider, "implementation": implementation, "errors": errors,
        "fields": _fields_of(provider, account, data),
        "values": data if data is not None else {
            "name": account.name if account else implementation.label,
            "is_active": "on" if not account or account.is_active else ""},
        "nav_section": "settings"})
