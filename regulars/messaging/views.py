"""Pages of the messaging domain: the unsubscribe link customers reach, sending from the card, the message log.
Views parse, call a service or a selector, render."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from regulars.customers.selectors import customer_get_for_user
from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import is_htmx

from . import services
from .card import section_context
from .dispatch import UNSUBSCRIBE_SALT
from .forms import LogFilterForm, SendForm
from .linking import telegram_link_send
from .selectors import MessageFilters, message_list

PAGE = 50


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows one button (link scanners that open every URL must not unsubscribe anybody); POST, from that
    button or from the mail client's one-click, takes effect at once."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return render(request, "messaging/unsubscribe.html", {"state": "bad"}, status=404)
    if request.method == "GET":
        return render(request, "messaging/unsubscribe.html", {"state": "ask"})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    message = services.unsubscribe(message_id=int(data["m"]), via="one-click" if one_click else "link")
    return render(request, "messaging/unsubscribe.html", {"state": "done", "channel": message.get_channel_display()})


@permission_required("messages.send")
@require_POST
def send_from_card(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = SendForm(request.POST)
    sent = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.message_send(
                actor=Actor.from_request(request), customer_id=customer.pk, purpose=data["purpose"],
                channel=data["channel"], text=data["text"] if not data["template"] else "",
                template_key=data["template"], subject=data["subject"],
                idempotency_key=f"card:{request.user.pk}:{data['request_id']}", source="card")
            sent = True
        except DomainError as exc:
            apply_domain_error(form, exc)
    context = section_context(request.user, customer, form=None if sent else form, open_form=not sent, sent=sent)
    if is_htmx(request):
        return render(request, "messaging/_section.html", {**context, "request": request})
    return redirect("customers:detail", customer_id=customer.pk)


@permission_required("messages.send")
@require_POST
def send_telegram_link(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = SendForm()
    sent = False
    try:
        telegram_link_send(actor=Actor.from_request(request), customer_id=customer.pk,
                           request_id=request.POST.get("request_id", "")[:64] or "none")
        sent = True
    except DomainError as exc:
        form.add_error(None, "; ".join(exc.fields.values()) or exc.message)
    context = section_context(request.user, customer, form=None if sent else form, open_form=False, sent=sent)
    if is_htmx(request):
        return render(request, "messaging/_section.html", {**context, "request": request})
    return redirect("customers:detail", customer_id=customer.pk)


@permission_required("messages.view")
@require_GET
def message_log(request: HttpRequest) -> HttpResponse:
    form = LogFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    zone = timezone.get_current_timezone()
    filters = MessageFilters(
        customer_id=data.get("customer"), channel=data.get("channel", ""), status=data.get("status", ""),
        purpose=data.get("purpose", ""),
        since=dt.datetime.combine(data["since"], dt.time.min, tzinfo=zone) if data.get("since") else None,
        until=dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        if data.get("until") else None,
    )
    page = max(1, int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdigit() else 1)
    rows = list(message_list(request.user, filters)[(page - 1) * PAGE: page * PAGE + 1])
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "messaging/log.html", {
        "form": form, "messages_page": rows[:PAGE], "page": page, "has_next": len(rows) > PAGE,
        "query_string": params.urlencode(), "nav_section": "messages",
    })
