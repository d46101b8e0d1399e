"""Pages of the duplicates list and the merge form (C1.3). Thin: parse, call the service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.org.decorators import permission_required
from regulars.org.models import Branch, Staff
from regulars.platform.actor import Actor
from regulars.platform.errors import Conflict, DomainError

from .. import services
from ..duplicates import duplicates_find, merge_preview
from ..models import Customer, CustomFieldDef
from ..selectors import CustomerFilters, customer_search

PAGE_SIZE = 20
RULES = {"name_birthday": gettext_lazy("Same name and birthday"), "name_phone": gettext_lazy("Same name and phone"),
         "name_email": gettext_lazy("Same name and e-mail")}

MOVED = {"customers.ContactPoint": gettext_lazy("Contacts"), "customers.Consent": gettext_lazy("Consent decisions"),
         "customers.Flag": gettext_lazy("Flags"), "customers.Asset": gettext_lazy("Assets"),
         "customers.Note": gettext_lazy("Notes"), "customers.TimelineEntry": gettext_lazy("Timeline entries"),
         "customers.ExternalRef": gettext_lazy("External ids"), "documents.Document": gettext_lazy("Documents")}


def _label(field: str) -> str:
    if field.startswith("custom."):
        found = CustomFieldDef.objects.filter(key=field[7:]).first()
        return found.label if found else field[7:]
    return str(getattr(Customer._meta.get_field(field.removesuffix("_id")), "verbose_name", field))


def _shown(field: str, value: Any) -> Any:
    if field == "home_branch_id":
        return Branch.objects.filter(pk=value).values_list("name", flat=True).first() or value
    if field == "responsible_id":
        staff = Staff.objects.filter(pk=value).first()
        return staff.get_full_name() if staff else value
    return value


def _ids(raw: str) -> list[int]:
    return [int(p) for p in raw.replace(" ", "").split(",") if p.isdigit()][:10]


@permission_required("customers.merge")
def duplicate_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            ids = _ids(request.POST.get("ids", ""))
            services.duplicate_dismiss(actor=Actor.from_request(request), customer_ids=ids)
            messages.success(request, _("Marked as not duplicates."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("customers:duplicates")
    try:
        offset = max(0, int(request.GET.get("offset", "0")))
    except ValueError:
        offset = 0
    page = duplicates_find(request.user, offset=offset, limit=PAGE_SIZE)
    groups = [{"rule": RULES.get(g.rule, g.rule), "customers": g.customers,
               "ids": ",".join(str(c.pk) for c in g.customers)} for g in page.groups]
    return render(request, "customers/duplicates.html", {"groups": groups, "next_offset": page.next_offset,
                                                         "prev_offset": max(0, offset - PAGE_SIZE) if offset else None})


@permission_required("customers.merge")
def merge(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    ids = _ids(source.get("ids", ""))
    other = source.get("with", "").strip()[:100]
    if other and ids:  # "Merge with another card…" on the card: a number, or the first search match
        number = other.lstrip("#")
        found = [int(number)] if number.isdigit() and len(number) < 10 else [
            c.pk for c in customer_search(request.user, CustomerFilters(q=other)).exclude(pk=ids[0])[:1]]
        ids = [ids[0], *[i for i in found if i != ids[0]]]
    preview = merge_preview(request.user, ids)
    error, fields = "", {}
    survivor_id = int(source["survivor"]) if source.get("survivor", "").isdigit() else (ids[0] if ids else 0)
    if request.method == "POST":
        choices = {f: int(source[f"choice:{f}"]) for f in preview.conflicts if source.get(f"choice:{f}", "").isdigit()}
        try:
            survivor = services.customer_merge(actor=Actor.from_request(request), survivor_id=survivor_id,
                                               merged_ids=[i for i in ids if i != survivor_id], choices=choices)
        except Conflict as exc:
            error, fields = exc.message, exc.fields
        except DomainError as exc:
            error, fields = exc.message, exc.fields
        else:
            messages.success(request, _("Cards merged."))
            return redirect("customers:detail", customer_id=survivor.pk)
    elif len(preview.customers) < 2:
        error = _("Choose at least two cards that are not merged yet.")
    rows = [{"field": f, "label": _label(f),
             "values": [{"customer_id": x["customer_id"], "value": _shown(f, x["value"])} for x in v],
             "chosen": source.get(f"choice:{f}", "")} for f, v in preview.conflicts.items()]
    return render(request, "customers/merge.html", {
        "preview": preview, "moves": [(MOVED.get(k, k), n) for k, n in preview.moves.items()],
        "ids": ",".join(str(c.pk) for c in preview.customers), "rows": rows,
        "survivor_id": survivor_id, "error": error, "fields": fields,
    }, status=400 if error and request.method == "POST" else 200)
