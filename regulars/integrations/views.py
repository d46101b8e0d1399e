"""Settings pages of the integrations domain: webhook subscriptions with their delivery log, inbound endpoints.
Views parse, call a service or a selector, render."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from regulars.org.decorators import permission_required
from regulars.platform.actions import act
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, NotFound
from regulars.platform.forms import apply_domain_error
from regulars.platform.models import Event

from . import services
from .forms import InboundEndpointForm, SubscriptionForm
from .inbound import TOLERANCE_SECONDS, endpoint_url_path
from .models import WebhookDelivery, WebhookSubscription
from .selectors import inbound_endpoints, webhook_deliveries, webhook_subscription_get, webhook_subscriptions

PERMISSION = "webhooks.manage"
PAGE_SIZE = 50


def _subscription_or_404(subscription_id: int) -> WebhookSubscription:
    try:
        return webhook_subscription_get(subscription_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@permission_required(PERMISSION)
def webhook_list(request: HttpRequest) -> HttpResponse:
    return render(request, "integrations/webhooks.html", {"subscriptions": webhook_subscriptions(),
                                                          "nav_section": "settings"})


@permission_required(PERMISSION)
def webhook_edit(request: HttpRequest, subscription_id: int | None = None) -> HttpResponse:
    subscription = _subscription_or_404(subscription_id) if subscription_id else None
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                saved = services.webhook_subscription_save(
                    actor=Actor.from_request(request), subscription_id=subscription.pk if subscription else None,
                    **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                flash.success(request, _("Subscription saved."))
                return redirect("integrations:webhook_detail", saved.pk)
    elif subscription is not None:
        form = SubscriptionForm(initial={"url": subscription.url, "description": subscription.description,
                                         "event_types": "\n".join(subscription.event_types),
                                         "is_active": subscription.is_active})
    else:
        form = SubscriptionForm()
    known = sorted(set(Event.objects.order_by("-id").values_list("name", flat=True)[:500]))
    return render(request, "integrations/webhook_form.html", {
        "subscription": subscription, "form": form, "known_events": known, "nav_section": "settings"})


@permission_required(PERMISSION)
def webhook_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription_or_404(subscription_id)
    page = Paginator(webhook_deliveries(subscription.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "integrations/webhook_detail.html", {
        "subscription": subscription, "page": page, "nav_section": "settings",
        "grace_until": subscription.grace_until(timezone.now())})


@permission_required(PERMISSION)
@require_POST
def webhook_rotate(request: HttpRequest, subscription_id: int) -> HttpResponse:
    if act(request, lambda: services.webhook_secret_rotate(actor=Actor.from_request(request),
                                                           subscription_id=subscription_id),
           _("A new secret is in use. Give it to the receiving program.")):
        return redirect("integrations:webhook_detail", subscription_id)
    return redirect("integrations:webhooks")


@permission_required(PERMISSION)
@require_POST
def webhook_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    act(request, lambda: services.webhook_subscription_delete(actor=Actor.from_request(request),
                                                              subscription_id=subscription_id),
        _("Subscription deleted."))
    return redirect("integrations:webhooks")


@permission_required(PERMISSION)
@require_POST
def delivery_redeliver(request: HttpRequest, delivery_id: int) -> HttpResponse:
    subscription_id = WebhookDelivery.objects.filter(pk=delivery_id).values_list("subscription_id", flat=True).first()
    act(request, lambda: services.webhook_redeliver(actor=Actor.from_request(request), delivery_id=delivery_id),
        _("The delivery will be sent again in a moment."))
    if subscription_id is None:
        return redirect("integrations:webhooks")
    return redirect("integrations:webhook_detail", subscription_id)


@permission_required(PERMISSION)
def inbound_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = InboundEndpointForm(request.POST)
        if form.is_valid():
            try:
                services.inbound_endpoint_save(actor=Actor.from_request(request), **form.cleaned_data)
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                flash.success(request, _("Endpoint created. Give its URL and secret to the program."))
                return redirect("integrations:inbound")
    else:
        form = InboundEndpointForm()
    now = timezone.now()
    rows = [{"endpoint": e, "url": request.build_absolute_uri(endpoint_url_path(e.pk)),
             "grace_until": e.grace_until(now)} for e in inbound_endpoints()]
    return render(request, "integrations/inbound.html", {
        "rows": rows, "form": form, "tolerance_minutes": TOLERANCE_SECONDS // 60, "nav_section": "settings"})


@permission_required(PERMISSION)
@require_POST
def inbound_rotate(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    act(request, lambda: services.inbound_secret_rotate(actor=Actor.from_request(request), endpoint_id=endpoint_id),
        _("A new secret is in use. Give it to the sending program: the old one is accepted for 24 hours more."))
    return redirect("integrations:inbound")
