"""The customer list: one search box, filters, live results while the operator types."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, QueryDict

from regulars.org.decorators import permission_required
from regulars.org.models import Branch
from regulars.platform.htmx import render_page

from ..models import Channel, Flag, Purpose, Tag
from ..search import query_terms
from ..selectors import CustomerFilters, customer_search

PAGE_SIZE = 50
FLAG_FILTERS = ("any", *Flag.Kind.values)
CONSENT_FILTERS = tuple(f"{c}:{p}" for c in Channel.values for p in Purpose.values)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def filters_from(params: QueryDict) -> CustomerFilters:
    """Unknown filter values are ignored rather than failing the page."""
    flag, consent = params.get("flag", ""), params.get("consent", "")
    return CustomerFilters(
        q=params.get("q", "").strip()[:100],
        branch_id=_int(params.get("branch")),
        tag=params.get("tag", "")[:50],
        flag=flag if flag in FLAG_FILTERS else "",
        consent=consent if consent in CONSENT_FILTERS else "",
    )


def looks_like_phone(query: str) -> bool:
    """Enough digits and nothing but phone punctuation: offer a new card with this number."""
    terms = query_terms(query)
    return len(terms) == 1 and terms[0].isdigit() and len(terms[0]) >= 10


@permission_required("customers.view")
def customer_list(request: HttpRequest) -> HttpResponse:
    filters = filters_from(request.GET)
    page = max(1, _int(request.GET.get("page")) or 1)
    offset = (page - 1) * PAGE_SIZE
    found = customer_search(request.user, filters)
    # One row more than the page tells whether a next page exists, without counting the whole table.
    rows = list(found.prefetch_related("contacts", "tags", "flags")[offset: offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    # With a query: the exact number when this page holds the last match, else "more than" the rows so far.
    # Counting every match of a four-digit run (thousands of rows) would cost more than the page itself.
    total = offset + len(rows) if filters.q else None
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "customers": rows,
        "filters": filters,
        "page": page,
        "first_row": offset + 1,
        "last_row": offset + len(rows),
        "has_next": has_next,
        "has_previous": page > 1,
        "total": total,
        "total_capped": total is not None and has_next,
        "count_cap": total,
        "query_string": params.urlencode(),
        "is_filtered": any([filters.q, filters.branch_id, filters.tag, filters.flag, filters.consent]),
        "query_looks_like_phone": looks_like_phone(filters.q),
        "branches": Branch.objects.filter(is_active=True),
        "tags": Tag.objects.all()[:200],
        "flag_choices": Flag.Kind.choices,
        "consent_choices": [(f"{c}:{p}", f"{cl} · {pl}") for c, cl in Channel.choices for p, pl in Purpose.choices],
        "nav_section": "customers",
    }
    # Back/forward restores the whole page: htmx asks for it with HX-History-Restore-Request.
    restoring = bool(getattr(getattr(request, "htmx", None), "history_restore_request", False))
    return render_page(request, "customers/list.html", context,
                       partial=None if restoring else "customers/_results.html")
