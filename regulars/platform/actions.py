"""A page's button that calls one service: what it did, or why the service refused, as a flash message."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest

from .errors import DomainError


def act(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run `action`; flash `success`, or the refusal's message. Returns whether it was done."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True
