"""Settings pages of the messaging domain: channel accounts (providers and their credentials) and templates with a
live preview on a real customer. Views parse, call a service or a selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.customers.models import Channel, Customer, Purpose
from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error

from . import rendering, services
from .accounts import POLICY_FIELDS, account_fields, messaging_policy_save, provider_account_save
from .forms import PolicyForm
from .linking import telegram_webhook_register
from .models import MessagingPolicy, ProviderAccount, Template
from .providers import KNOWN
from .providers import provider as provider_named
from .providers.settings import form_rows


def _fields_of(provider: str, account: ProviderAccount | None, data: Any = None) -> list[dict[str, Any]]:
    return form_rows(account_fields(provider), account.config if account else {}, data)


@permission_required("settings.manage")
def channel_list(request: HttpRequest) -> HttpResponse:
    policy = MessagingPolicy.objects.first() or MessagingPolicy()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid():
            try:
                messaging_policy_save(actor=Actor.from_request(request), **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                flash.success(request, _("Sending rules saved."))
                return redirect("messaging:channels")
    else:
        form = PolicyForm(initial={f: getattr(policy, f) for f in POLICY_FIELDS})
    accounts = ProviderAccount.objects.all()
    rows = [{"account": a, "callback": request.build_absolute_uri(
        reverse("api:provider_callback", args=[a.pk, a.callback_secret]))} for a in accounts]
    return render(request, "messaging/channels.html", {
        "rows": rows, "providers": [(name, provider_named(name)) for name in KNOWN], "policy_form": form,
        "nav_section": "settings"})


@permission_required("settings.manage")
def channel_edit(request: HttpRequest, account_id: int | None = None) -> HttpResponse:
    account = get_object_or_404(ProviderAccount, pk=account_id) if account_id else None
    provider = account.provider if account else request.GET.get("provider", request.POST.get("provider", ""))
    if provider not in KNOWN:
        return redirect("messaging:channels")
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else None
    if data is not None:
        config = {f.key: data.get(f"config_{f.key}", "") for f in account_fields(provider)}
        try:
            provider_account_save(
                actor=Actor.from_request(request), account_id=account.pk if account else None,
                channel=data.get("channel", ""), provider=provider, name=data.get("name", ""),
                sender=data.get("sender", ""), config=config, is_active=data.get("is_active") == "on",
                priority=data.get("priority") or "10")
        except DomainError as exc:
            errors = dict(exc.fields) or {"": exc.message}
        else:
            flash.success(request, _("Channel settings saved."))
            return redirect("messaging:channels")
    implementation = provider_named(provider)
    return render(request, "messaging/channel_form.html", {
        "account": account, "provider": provider, "implementation": implementation, "errors": errors,
        "fields": _fields_of(provider, account, data),
        "channels": [(c, label) for c, label in Channel.choices if c in implementation.channels],
        "values": data if data is not None else {
            "name": account.name if account else implementation.label, "sender": account.sender if account else "",
            "channel": account.channel if account else implementation.channels[0],
            "priority": account.priority if account else 10, "is_active": "on" if not account or account.is_active
            else ""},
        "nav_section": "settings"})


@permission_required("settings.manage")
@require_POST
def channel_register_webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    """Telegram only learns where to deliver updates when told: one click, with Telegram's answer shown."""
    account = get_object_or_404(ProviderAccount, pk=account_id, provider="telegram")
    url = request.build_absolute_uri(reverse("api:provider_callback", args=[account.pk, account.callback_secret]))
    try:
        telegram_webhook_register(account=account, url=url)
    except Exception as exc:  # the provider's refusal, a missing secret or an unreachable API: shown as is
        flash.error(request, _("Telegram did not accept the webhook: %(reason)s") % {"reason": exc})
    else:
        flash.success(request, _("Telegram will deliver the bot's messages here."))
    return redirect("messaging:channels")


@permission_required("templates.manage")
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/templates.html", {"templates": Template.objects.all(),
                                                        "nav_section": "messages"})


@permission_required("templates.manage")
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    template = get_object_or_404(Template, pk=template_id) if template_id else None
    errors: dict[str, str] = {}
    data = request.POST if request.method == "POST" else None
    if data is not None:
        try:
            if template:
                services.template_edit(actor=Actor.from_request(request), template_id=template.pk,
                                       name=data.get("name", ""), body=data.get("body", ""),
                                       subject=data.get("subject", ""), purpose=data.get("purpose", ""))
            else:
                services.template_save(actor=Actor.from_request(request), key=data.get("key", ""),
                                       name=data.get("name", ""), channel=data.get("channel", ""),
                                       category=data.get("category", ""), purpose=data.get("purpose", ""),
                                       subject=data.get("subject", ""), body=data.get("body", ""))
        except DomainError as exc:
            errors = dict(exc.fields) or {"": exc.message}
        else:
            flash.success(request, _("Template saved."))
            return redirect("messaging:templates")
    values = data if data is not None else {
        f: getattr(template, f) for f in ("key", "name", "channel", "category", "purpose", "subject", "body")
    } if template else {"channel": Channel.SMS, "purpose": Purpose.SERVICE}
    return render(request, "messaging/template_form.html", {
        "template": template, "values": values, "errors": errors, "channels": Channel.choices,
        "purposes": Purpose.choices, "variables": rendering.VARIABLES,
        "sample": Customer.objects.exclude(status=Customer.Status.MERGED).order_by("-id").first(),
        "nav_section": "messages"})


@permission_required("templates.manage")
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The live preview beside the editor (htmx): the text as the chosen customer would get it."""
    customer = Customer.objects.filter(pk=request.POST.get("customer") or 0).first()
    context: dict[str, Any] = {"customer": customer}
    if customer is None:
        context["error"] = _("Enter the number of a customer's card to preview on.")
    else:
        try:
            context["preview"] = services.template_preview(
                customer=customer, body=request.POST.get("body", ""), subject=request.POST.get("subject", ""),
                context={"order": {"number": "A-1024", "status": _("handed to the courier"), "total": "3 200 ₽",
                                   "courier_phone": "+7 916 000-00-00"},
                         "booking": {"time": "02.12 10:30", "service": _("oil change")}})
        except DomainError as exc:
            context["error"] = "; ".join(exc.fields.values()) or exc.message
    return render(request, "messaging/_preview.html", context)
