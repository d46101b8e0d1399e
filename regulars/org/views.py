"""Settings pages: branches, staff, API keys and the audit log. Parse the form, call the service, redirect or
re-render with the service's errors next to the fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from regulars.platform.actions import act
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import render_page
from regulars.platform.models import AuditEntry

from . import selectors, services
from .decorators import permission_required
from .display import action_label, branch_ids_in, object_type_label, readable_changes, working_hours_summary
from .forms import ApiKeyForm, AuditFilterForm, BranchForm, StaffFilterForm, StaffForm
from .models import TIME_ZONE_CHOICES, ApiKey, Branch, Staff
from .permissions import has_perm
from .two_factor import confirmed_device, two_factor_reset

PAGE_SIZE = 50


@permission_required("settings.manage")
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "org/index.html", {
        "branch_count": Branch.objects.filter(is_active=True).count(),
        "staff_count": Staff.objects.filter(is_active=True).count(),
        "apikey_count": ApiKey.objects.filter(revoked_at=None).count(),
    })


# ---------------------------------------------------------------- branches

@permission_required("settings.manage")
def branch_list(request: HttpRequest) -> HttpResponse:
    branches = selectors.branch_list().annotate(staff_count=Count("staff", distinct=True))
    rows = [{"branch": b, "hours": working_hours_summary(b.working_hours)} for b in branches]
    return render(request, "org/branch_list.html", {"rows": rows})


def _branch_form_page(request: HttpRequest, form: BranchForm, branch: Branch | None) -> HttpResponse:
    return render(request, "org/branch_form.html", {"form": form, "branch": branch, "time_zones": TIME_ZONE_CHOICES})


@permission_required("settings.manage")
def branch_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _branch_form_page(request, BranchForm(initial=BranchForm.initial_for(None)), None)
    form = BranchForm(request.POST)
    if form.is_valid():
        try:
            branch = services.branch_create(actor=Actor.from_request(request), **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Branch “%(name)s” created.") % {"name": branch.name})
            return redirect("org:branch_list")
    return _branch_form_page(request, form, None)


@permission_required("settings.manage")
def branch_edit(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_object_or_404(Branch, pk=pk)
    if request.method != "POST":
        form = BranchForm(initial=BranchForm.initial_for(branch), editing=True, original_hours=branch.working_hours)
        return _branch_form_page(request, form, branch)
    form = BranchForm(request.POST, editing=True, original_hours=branch.working_hours)
    if form.is_valid():
        try:
            branch = services.branch_update(actor=Actor.from_request(request), branch_id=branch.pk,
                                            **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Branch “%(name)s” saved.") % {"name": branch.name})
            return redirect("org:branch_list")
    return _branch_form_page(request, form, branch)


# ---------------------------------------------------------------- staff

@permission_required("staff.view")
def staff_list(request: HttpRequest) -> HttpResponse:
    filters = StaffFilterForm(request.GET or None)
    staff = filters.filter(selectors.staff_list_for_user(request.user))
    page = Paginator(staff, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page(request, "org/staff_list.html", {
        "filters": filters,
        "page_obj": page,
        "filtered": filters.is_bound and any(filters.data.get(k) for k in ("q", "role")),
        "can_edit": has_perm(request.user, "settings.manage"),
    }, partial="org/_staff_results.html")


def _staff_form_page(request: HttpRequest, form: StaffForm, member: Staff | None) -> HttpResponse:
    return render(request, "org/staff_form.html", {
        "form": form, "member": member, "two_factor_on": member is not None and confirmed_device(member) is not None,
    })


@permission_required("settings.manage")
def staff_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _staff_form_page(request, StaffForm(), None)
    form = StaffForm(request.POST)
    if form.is_valid():
        try:
            member = services.staff_create(actor=Actor.from_request(request), **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc, field_map={"branch_ids": "branches"})
        else:
            messages.success(request, _("Account “%(login)s” created.") % {"login": member.username})
            return redirect("org:staff_list")
    return _staff_form_page(request, form, None)


@permission_required("settings.manage")
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Staff, pk=pk)
    if request.method != "POST":
        return _staff_form_page(request, StaffForm(initial=StaffForm.initial_for(member), editing=True), member)
    form = StaffForm(request.POST, editing=True)
    if form.is_valid():
        try:
            member = services.staff_update(actor=Actor.from_request(request), staff_id=member.pk,
                                           **form.service_kwargs())
        except DomainError as exc:
            apply_domain_error(form, exc, field_map={"branch_ids": "branches"})
        else:
            messages.success(request, _("Account “%(login)s” saved.") % {"login": member.username})
            return redirect("org:staff_list")
    return _staff_form_page(request, form, member)


@permission_required("settings.manage")
@require_POST
def staff_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Staff, pk=pk)
    two_factor_reset(actor=Actor.from_request(request), staff_id=member.pk)
    messages.success(request, _("Two-factor sign-in of “%(login)s” was reset: they set it up again at the next "
                                "sign-in.") % {"login": member.username})
    return redirect("org:staff_edit", pk=member.pk)


# ---------------------------------------------------------------- API keys

@permission_required("apikeys.manage")
def apikey_list(request: HttpRequest) -> HttpResponse:
    keys = ApiKey.objects.select_related("created_by")
    return render(request, "org/apikey_list.html", {"keys": keys})


@never_cache
@permission_required("apikeys.manage")
def apikey_create(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            key, secret = services.apikey_create(actor=Actor.from_request(request), name=form.cleaned_data["name"])
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            # The secret exists only in this response: it is not stored, not put in the session, not cached.
            return render(request, "org/apikey_created.html", {"key": key, "secret": secret})
    return render(request, "org/apikey_form.html", {"form": form})


@require_POST
@permission_required("apikeys.manage")
def apikey_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk)
    act(request, lambda: services.apikey_revoke(actor=Actor.from_request(request), key_id=key.pk),
        _("Key “%(name)s” revoked: programs using it are refused from now on.") % {"name": key.name})
    return redirect("org:apikey_list")


# ---------------------------------------------------------------- audit log

@permission_required("audit.view")
def audit(request: HttpRequest) -> HttpResponse:
    filters = AuditFilterForm(request.GET or None)
    entries = filters.filter(AuditEntry.objects.order_by("-at", "-id"))
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    branch_names = dict(Branch.objects.filter(pk__in=branch_ids_in(e.changes for e in page)).values_list("id", "name"))
    can_settings = has_perm(request.user, "settings.manage")
    rows: list[dict[str, Any]] = []
    for entry in page:
        verb, tone = action_label(entry.action)
        rows.append({
            "entry": entry,
            "type_label": object_type_label(entry.object_type),
            "verb": verb,
            "tone": tone,
            "changes": readable_changes(entry.object_type, entry.changes, branch_names),
            "url": _object_url(entry) if can_settings else "",
        })
    return render_page(request, "org/audit.html", {
        "filters": filters,
        "page_obj": page,
        "rows": rows,
        "filtered": filters.is_bound and any(filters.data.get(k) for k in ("object_type", "actor", "q")),
    }, partial="org/_audit_results.html")


def _object_url(entry: AuditEntry) -> str:
    if not entry.object_id.isdigit():
        return ""
    names = {"branch": "org:branch_edit", "staff": "org:staff_edit"}
    name = names.get(entry.object_type)
    return reverse(name, args=[int(entry.object_id)]) if name else ""
