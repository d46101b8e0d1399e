"""htmx helpers: one URL answers a normal request with the whole page and an htmx request with a fragment."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect


def is_htmx(request: HttpRequest) -> bool:
    """True for a request htmx sent to swap a fragment (boosted links and forms want the whole page)."""
    details: Any = getattr(request, "htmx", None)
    return bool(details) and not details.boosted


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render `partial` for an htmx request, else the full `template` (which should include the same partial).

    The response varies on HX-Request, so a cache never serves the fragment as the page or the other way round.
    """
    chosen = partial if partial and is_htmx(request) else template
    response = render(request, chosen, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def redirect(request: HttpRequest, to: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """Redirect that also works when the form was posted by htmx: the browser loads the new page in full."""
    url = resolve_url(to, *args, **kwargs)
    if is_htmx(request):
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)
