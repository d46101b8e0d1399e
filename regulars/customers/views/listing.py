"""The customer list: one search box, filters, live results."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

from regulars.org.decorators import permission_required
from regulars.org.models import Branch
from regulars.platform.htmx import render_page

from ..models import Channel, Flag, Purpose, Tag
from ..selectors import CustomerFilters, customer_search

PAGE_SIZE = 50
_PHONEISH = re.compile(r"^[\d\s()+\-]{4,}$")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@permission_required("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    filters = CustomerFilters(
        q=params.get("q", "").strip()[:100],
        branch_id=_int(params.get("branch")),
        tag=params.get("tag", ""),
        flag=params.get("flag", "") if params.get("flag", "") in ("", "any", *Flag.Kind.values) else "",
        consent=params.get("consent", ""),
    )
    page = max(1, _int(params.get("page")) or 1)
    offset = (page - 1) * PAGE_SIZE
    # One row more than the page tells whether a next page exists, without COUNT(*) over the whole table.
    rows = list(
        customer_search(request.user, filters).prefetch_related("contacts", "tags", "flags")[
            offset: offset + PAGE_SIZE + 1]
    )
    has_next = len(rows) > PAGE_SIZE
    query_without_page = params.copy()
    query_without_page.pop("page", None)
    context = {
        "customers": rows[:PAGE_SIZE],
        "filters": filters,
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "query_string": query_without_page.urlencode(),
        "is_filtered": any([filters.q, filters.branch_id, filters.tag, filters.flag, filters.consent]),
        "query_looks_like_phone": bool(_PHONEISH.match(filters.q)),
        "branches": Branch.objects.filter(is_active=True),
        "tags": Tag.objects.all()[:200],
        "flag_choices": Flag.Kind.choices,
        "consent_choices": [(f"{c}:{p}", f"{cl} · {pl}") for c, cl in Channel.choices for p, pl in Purpose.choices],
        "nav_section": "customers",
    }
    return render_page(request, "customers/list.html", context, partial="customers/_results.html")
