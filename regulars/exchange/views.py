"""Import and export pages: upload → mapping → preview → confirm → progress → summary; exports of the list."""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regulars.customers.views.listing import filters_from
from regulars.org.decorators import permission_required
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError
from regulars.platform.htmx import redirect as htmx_redirect
from regulars.platform.htmx import render_page

from . import exporting, services
from .mapping import all_targets
from .models import ImportBatch
from .reading import read_rows
from .selectors import export_get_for_user, import_get_for_user, import_progress, imports_visible_to

PAGE = {"nav_section": "customers"}


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))


@permission_required("customers.import")
def import_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm()
    status = 200
    if request.method == "POST":
        too_big = int(request.META.get("CONTENT_LENGTH") or 0) > services.max_bytes() + 64 * 1024
        form = UploadForm(request.POST if not too_big else None, request.FILES if not too_big else None)
        if too_big:
            form.is_bound = True
            form.errors["file"] = form.error_class([_("The file is too large: at most %(mb)s MB") % {
                "mb": services.max_bytes() // (1024 * 1024) or 1}])
            status = 413
        elif form.is_valid():
            try:
                batch = services.import_upload(actor=Actor.from_request(request), upload=form.cleaned_data["file"])
                return redirect("exchange:import_mapping", batch.pk)
            except DomainError as exc:
                form.add_error("file", exc.fields.get("file") or exc.message)
                status = exc.status
    imports = imports_visible_to(request.user)[:50]
    return render(request, "exchange/import_list.html", {"form": form, "imports": imports, **PAGE}, status=status)


def _samples(batch: ImportBatch) -> list[list[str]]:
    """A few values of each column, for the mapping page."""
    columns: list[list[str]] = [[] for _h in batch.header]
    with services.opened(batch) as handle:
        for number, (cells, _o) in enumerate(read_rows(handle, services.info_of(batch), start_row=0)):
            if number >= 5:
                break
            for index, value in enumerate(cells[: len(columns)]):
                if value.strip() and len(columns[index]) < 3:
                    columns[index].append(value.strip()[:40])
    return columns


@permission_required("customers.import")
def import_mapping(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = import_get_for_user(request.user, batch_id)
    if batch.status not in (ImportBatch.Status.UPLOADED, ImportBatch.Status.PREVIEWED):
        return redirect("exchange:import_progress", batch.pk)
    errors: dict[str, str] = {}
    mapping = batch.mapping
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"col-{i}", "ignore") for i in range(len(batch.header))}
        try:
            services.import_configure(actor=Actor.from_request(request), batch_id=batch.pk, mapping=mapping,
                                      on_match=request.POST.get("on_match", "update"),
                                      consent_source=request.POST.get("consent_source", ""),
                                      source=request.POST.get("source", ""))
            return redirect("exchange:import_preview", batch.pk)
        except DomainError as exc:
            errors = exc.fields
    columns = [{"index": i, "name": name, "samples": samples, "target": mapping.get(str(i), "ignore"),
                "error": errors.get(f"mapping.{i}", "")}
               for i, (name, samples) in enumerate(zip(batch.header, _samples(batch), strict=False))]
    return render(request, "exchange/import_mapping.html", {
        "batch": batch, "columns": columns, "targets": all_targets(), "errors": errors,
        "on_match_choices": ImportBatch.OnMatch.choices, "values": request.POST or None, **PAGE,
    }, status=400 if errors else 200)


@permission_required("customers.import")
def import_preview(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = import_get_for_user(request.user, batch_id)
    if request.method == "POST":
        # A second click finds it already started: the progress page tells where it is.
        with contextlib.suppress(DomainError):
            services.import_confirm(actor=Actor.from_request(request), batch_id=batch.pk)
        return redirect("exchange:import_progress", batch.pk)
    if batch.status != ImportBatch.Status.PREVIEWED:
        return redirect("exchange:import_mapping" if batch.status == "uploaded" else "exchange:import_progress",
                        batch.pk)
    labels = dict(all_targets())
    preview = services.import_preview(batch)
    return render(request, "exchange/import_preview.html", {
        "batch": batch, "preview": preview, "targets": labels,
        "mapped": [(batch.header[int(i)], labels.get(t, t)) for i, t in batch.mapping.items() if t != "ignore"],
        **PAGE,
    })


@permission_required("customers.import")
def import_progress_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = import_get_for_user(request.user, batch_id)
    context = {"batch": batch, "progress": import_progress(batch),
               "rejections": list(batch.rejections.all()[:20]), **PAGE}
    return render_page(request, "exchange/import_progress.html", context, partial="exchange/_import_status.html")


@permission_required("customers.import")
def import_rejections(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = import_get_for_user(request.user, batch_id)
    response = StreamingHttpResponse(services.rejections_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-rejected.csv"'
    return response  # type: ignore[return-value]  # a streamed download


@require_POST
@permission_required("customers.export")
def export_start(request: HttpRequest) -> HttpResponse:
    fmt = request.POST.get("format", "csv")
    batch = exporting.export_start(actor=Actor.from_request(request), user=request.user,
                                   filters=filters_from(request.POST), format=fmt if fmt in ("csv", "xlsx") else "csv")
    return htmx_redirect(request, "exchange:export_detail", batch.pk)


@permission_required("customers.export")
def export_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = export_get_for_user(request.user, batch_id)
    percent = int(batch.done_rows * 100 / batch.total_rows) if batch.total_rows else 0
    context: dict[str, Any] = {"batch": batch, "percent": 100 if batch.status == "done" else percent, **PAGE}
    return render_page(request, "exchange/export_detail.html", context, partial="exchange/_export_status.html")


@permission_required("customers.export")
def export_download(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = export_get_for_user(request.user, batch_id)
    if batch.status != "done" or not batch.file:
        return redirect("exchange:export_detail", batch.pk)
    name = str(batch.file.name).rsplit("/", 1)[-1]
    return FileResponse(batch.file.open("rb"), as_attachment=True, filename=name)  # type: ignore[return-value]
