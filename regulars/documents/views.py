"""Pages of the documents domain: the card section's actions, the file views, new customer from documents and
the back-office queue. Views parse, call a service or a selector, render."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from regulars.customers.selectors import customer_get_for_user
from regulars.customers.views.card import timeline_context
from regulars.org.decorators import permission_required
from regulars.org.models import Branch
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error
from regulars.platform.htmx import is_htmx
from regulars.platform.htmx import redirect as htmx_redirect

from . import services
from .card import section_context
from .forms import CompleteForm, NewCustomerForm, UploadForm
from .models import Kind
from .selectors import (
    document_get_for_user,
    document_open,
    documents_for_customer,
    next_to_complete,
    to_complete_queue,
)


def _section(request: HttpRequest, customer: Any, *, form: UploadForm | None = None, status: int = 200,
             open_form: bool = False) -> HttpResponse:
    context = section_context(request.user, customer, form=form, open_form=open_form)
    html = render_to_string("documents/_section.html", context, request=request)
    if form is None:  # a change: the card's timeline shows it at once (swapped out of band)
        html += render_to_string("customers/card/_timeline.html", {**timeline_context(customer), "oob": True},
                                 request=request)
    return HttpResponse(html, status=status)


@require_POST
@permission_required("customers.edit")
def upload(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    form = UploadForm(request.POST, request.FILES)
    form.is_valid()
    try:
        services.document_attach(actor=Actor.from_request(request), customer_id=customer.pk,
                                 upload=request.FILES.get("file"), kind=request.POST.get("kind", ""))
    except DomainError as exc:
        apply_domain_error(form, exc)
        if is_htmx(request):  # htmx swaps 2xx only: the section with the error next to the field
            return _section(request, customer, form=form, open_form=True)
        messages.error(request, "; ".join(str(r) for r in exc.fields.values()) or exc.message)
        return redirect(f"{reverse('customers:detail', args=[customer.pk])}#card-documents")
    if is_htmx(request):
        return _section(request, customer)
    messages.success(request, _("Document attached"))
    return redirect(f"{reverse('customers:detail', args=[customer.pk])}#card-documents")


@require_POST
@permission_required("customers.edit")
def archive(request: HttpRequest, document_id: int) -> HttpResponse:
    document = document_get_for_user(request.user, document_id)
    services.document_archive(actor=Actor.from_request(request), document_id=document.pk)
    if is_htmx(request):
        return _section(request, document.customer)
    messages.success(request, _("Document archived"))
    return redirect(f"{reverse('customers:detail', args=[document.customer_id])}#card-documents")


def file_response(request: HttpRequest, document_id: int, *, thumbnail: bool, viewer: Any = None) -> FileResponse:
    document = document_get_for_user(viewer or request.user, document_id)
    stream = document_open(document, thumbnail=thumbnail)
    content_type = "image/jpeg" if thumbnail and document.thumbnail else document.content_type
    response = FileResponse(stream, content_type=content_type)
    name = document.original_name or f"document-{document.pk}"
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    if not document.is_pdf or thumbnail:  # an image is never a page: nothing in it may run or load anything
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@require_GET
@xframe_options_sameorigin  # the card's viewer shows PDFs in an <iframe>
@permission_required("customers.view")
def file(request: HttpRequest, document_id: int) -> HttpResponse:
    return cast(HttpResponse, file_response(request, document_id, thumbnail=False))


@require_GET
@permission_required("customers.view")
def thumbnail(request: HttpRequest, document_id: int) -> HttpResponse:
    return cast(HttpResponse, file_response(request, document_id, thumbnail=True))


@permission_required("customers.edit")
def new_customer(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    initial = {"branch": user.branches.order_by("id").first()}
    form = NewCustomerForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        form.is_valid()
        branch = form.cleaned_data.get("branch") if hasattr(form, "cleaned_data") else None
        uploads = [(f, Kind.VEHICLE_REGISTRATION) for f in request.FILES.getlist("vehicle_registration")]
        uploads += [(f, Kind.DRIVER_LICENCE) for f in request.FILES.getlist("driver_licence")]
        try:
            customer = services.customer_from_documents(actor=Actor.from_request(request),
                                                        branch_id=branch.pk if branch else None, uploads=uploads)
        except DomainError as exc:
            apply_domain_error(form, exc, field_map={"files": "photos"})
            status = 413 if isinstance(exc, services.TooLarge) else 400
        else:
            messages.success(request, _("Card #%(id)s created: it is now in the queue to complete.")
                             % {"id": customer.pk})
            return redirect("documents:new_customer")
    return render(request, "documents/new_customer.html", {"form": form, "nav_section": "documents"},
                  status=status)


def _branch_filter(request: HttpRequest) -> int | None:
    raw = request.GET.get("branch", "")
    return int(raw) if raw.isdigit() else None


@permission_required("customers.edit")
def queue(request: HttpRequest) -> HttpResponse:
    branch_id = _branch_filter(request)
    cards = list(to_complete_queue(request.user, branch_id=branch_id).prefetch_related("documents")[:200])
    total = to_complete_queue(request.user, branch_id=branch_id).count()
    return render(request, "documents/queue.html", {
        "cards": cards, "total": total, "branches": Branch.objects.order_by("name"), "branch_id": branch_id,
        "nav_section": "documents",
    })


@permission_required("customers.edit")
def complete(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_get_for_user(request.user, customer_id)
    branch_id = _branch_filter(request)
    suffix = f"?branch={branch_id}" if branch_id else ""
    if customer.status != customer.Status.TO_COMPLETE:
        messages.info(request, _("This card is already complete."))
        return redirect("customers:detail", customer.pk)
    form = CompleteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        form.is_valid()
        data = {name: request.POST.get(name, "").strip() for name in form.fields}
        try:
            services.customer_complete(actor=Actor.from_request(request), customer_id=customer.pk,
                                       first_name=data["first_name"], last_name=data["last_name"],
                                       middle_name=data["middle_name"], birthday=data["birthday"] or None,
                                       phone=data["phone"], email=data["email"])
        except DomainError as exc:
            apply_domain_error(form, exc, field_map={"value": "phone"})
            status = 409 if exc.status == 409 else 400
        else:
            messages.success(request, _("Card #%(id)s completed.") % {"id": customer.pk})
            upcoming = next_to_complete(request.user, after=customer, branch_id=branch_id)
            if upcoming is not None:
                return htmx_redirect(request, reverse("documents:complete", args=[upcoming.pk]) + suffix)
            return htmx_redirect(request, reverse("documents:queue") + suffix)
    return render(request, "documents/complete.html", {
        "customer": customer, "form": form, "documents": documents_for_customer(request.user, customer.pk),
        "remaining": to_complete_queue(request.user, branch_id=branch_id).count(), "suffix": suffix,
        "nav_section": "documents",
    }, status=status)
