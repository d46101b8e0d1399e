"""Pages of the orders domain: the orders list, an order's page, and the journey settings. Views parse, call a
service or a selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from regulars.org.decorators import permission_required
from regulars.org.permissions import has_perm
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error

from . import services
from .forms import OrderFilterForm, PolicyForm, ReminderForm, StatusForm, StepAddForm, StepForm
from .journey import journey_context
from .models import Flow, OrderStatus, StatusReminder
from .selectors import OrderFilters, next_statuses, order_get_for_user, order_history, order_list, order_messages
from .services.pickup import policy

PAGE = 50


def _day_start(day: dt.date | None, *, plus: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    return dt.datetime.combine(day + dt.timedelta(days=plus), dt.time.min, tzinfo=timezone.get_current_timezone())


@permission_required("orders.view")
@require_GET
def order_list_page(request: HttpRequest) -> HttpResponse:
    flows = list(Flow.objects.values_list("key", "name"))
    statuses = sorted({(s.code, s.name) for s in OrderStatus.objects.all()}, key=lambda s: s[1])
    form = OrderFilterForm(request.GET or None, flows=flows, statuses=statuses)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    filters = OrderFilters(q=data.get("q", ""), flow=data.get("flow", ""), status=data.get("status", ""),
                           since=_day_start(data.get("since")), until=_day_start(data.get("until"), plus=1),
                           customer_id=int(request.GET["customer"]) if request.GET.get("customer", "").isdigit()
                           else None)
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() and int(request.GET["page"]) > 0 else 1
    rows = list(order_list(request.user, filters)[(page - 1) * PAGE: page * PAGE + 1])
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "orders/list.html", {
        "form": form, "orders": rows[:PAGE], "page": page, "has_next": len(rows) > PAGE,
        "query_string": params.urlencode()})


@permission_required("orders.view")
@require_GET
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_get_for_user(request.user, order_id)
    return render(request, "orders/detail.html", {
        "order": order, "history": order_history(order), "next_statuses": next_statuses(order),
        "order_messages": order_messages(order),
        "can_edit": has_perm(request.user, "orders.edit"), "nav_section": "orders"})


@permission_required("orders.edit")
@require_POST
def order_status_form(request: HttpRequest, order_id: int) -> HttpResponse:
    order = order_get_for_user(request.user, order_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            result = services.order_status_set(actor=Actor.from_request(request), source=order.source,
                                               external_id=order.external_id, status=form.cleaned_data["status"])
            if result["status_applied"]:
                messages.success(request, _("Status changed"))
            else:
                messages.warning(request, _("The order is already further along: nothing changed"))
        except DomainError as exc:
            messages.error(request, "; ".join(exc.fields.values()) or exc.message)
    return redirect("orders:detail", order_id=order.pk)


@permission_required("orders.view")
@require_GET
def journey_page(request: HttpRequest) -> HttpResponse:
    flow = Flow.objects.filter(key=request.GET.get("flow", "")).first() or Flow.objects.order_by(
        "-is_default", "name").first()
    return _journey(request, flow, StepAddForm())


def _journey(request: HttpRequest, flow: Flow | None, add_form: StepAddForm, status: int = 200) -> HttpResponse:
    return render(request, "orders/journey.html", {
        **journey_context(flow), "flows": Flow.objects.order_by("-is_default", "name"), "add_form": add_form,
        "can_configure": has_perm(request.user, "orders.configure"), "policy": policy(), "nav_section": "orders"},
        status=status)


@permission_required("orders.configure")
@require_POST
def step_add_form(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = get_object_or_404(Flow, pk=flow_id)
    form = StepAddForm(request.POST)
    if form.is_valid():
        try:
            status = services.step_add(actor=Actor.from_request(request), flow_id=flow.pk, **form.cleaned_data)
            messages.success(request, _("Step added"))
            return redirect(f"/orders/journey/?flow={flow.key}#step-{status.pk}")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _journey(request, flow, form, status=400)


@permission_required("orders.configure")
@require_POST
def flow_default_form(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = get_object_or_404(Flow, pk=flow_id)
    services.flow_default_set(actor=Actor.from_request(request), flow_id=flow.pk)
    messages.success(request, _("Orders that name no flow now follow %(flow)s") % {"flow": flow.name})
    return redirect(f"/orders/journey/?flow={flow.key}")


@permission_required("orders.configure")
@require_http_methods(["GET", "POST"])
def step_form(request: HttpRequest, status_id: int) -> HttpResponse:
    status = get_object_or_404(OrderStatus.objects.select_related("flow"), pk=status_id)
    form = StepForm(request.POST or None, initial=_step_initial(status))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.step_save(actor=Actor.from_request(request), status_id=status.pk, name=data["name"],
                               notify=data["notify"], template_key=data["template_key"],
                               delay_minutes=data["delay_minutes"], send_within_minutes=data["send_within_minutes"])
            messages.success(request, _("Step saved"))
            return redirect(f"/orders/journey/?flow={status.flow.key}#step-{status.pk}")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _step_page(request, status, form, ReminderForm())


def _step_initial(status: OrderStatus) -> dict[str, Any]:
    return {"name": status.name, "notify": status.notify, "template_key": status.template_key,
            "delay_minutes": status.delay_minutes, "send_within_minutes": status.send_within_minutes}


def _step_page(request: HttpRequest, status: OrderStatus, form: StepForm, reminder_form: ReminderForm,
               code: int = 200) -> HttpResponse:
    return render(request, "orders/step_form.html", {
        "form": form, "status": status, "reminder_form": reminder_form, "reminders": status.reminders.all(),
        "nav_section": "orders"}, status=code)


@permission_required("orders.configure")
@require_POST
def reminder_form(request: HttpRequest, status_id: int) -> HttpResponse:
    status = get_object_or_404(OrderStatus, pk=status_id)
    form = ReminderForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reminder_save(actor=Actor.from_request(request), status_id=status.pk,
                                   after_days=data["after_days"], template_key=data["template_key"],
                                   is_last=data["is_last"])
            messages.success(request, _("Reminder added"))
            return redirect("orders:step", status_id=status.pk)
        except DomainError as exc:
            apply_domain_error(form, exc)
    return _step_page(request, status, StepForm(initial=_step_initial(status)), form, code=400)


@permission_required("orders.configure")
@require_POST
def reminder_delete_view(request: HttpRequest, reminder_id: int) -> HttpResponse:
    reminder = get_object_or_404(StatusReminder, pk=reminder_id)
    services.reminder_delete(actor=Actor.from_request(request), reminder_id=reminder.pk)
    messages.success(request, _("Reminder removed"))
    return redirect("orders:step", status_id=reminder.status_id)


@permission_required("orders.configure")
@require_http_methods(["GET", "POST"])
def policy_form(request: HttpRequest) -> HttpResponse:
    current = policy()
    form = PolicyForm(request.POST or None, initial={
        "flag_low_pickup": current.flag_low_pickup, "min_orders": current.min_orders, "min_rate": current.min_rate,
        "keep_days": current.keep_days, "review_url": current.review_url})
    if request.method == "POST" and form.is_valid():
        try:
            services.orders_policy_save(actor=Actor.from_request(request), **form.cleaned_data)
            messages.success(request, _("Settings saved"))
            return redirect("orders:journey")
        except DomainError as exc:
            apply_domain_error(form, exc)
    return render(request, "orders/policy_form.html", {"form": form, "nav_section": "orders"})
