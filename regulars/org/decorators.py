"""Guards for pages: the role table in `permissions.py` decides, every page asks the same way."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .permissions import has_perm

View = TypeVar("View", bound=Callable[..., HttpResponse])


def permission_required(permission: str) -> Callable[[View], View]:
    """Anonymous visitors go to the login page; signed-in staff without `permission` get the 403 page.

    The 403 page is rendered by ``handler403`` (``web/403.html``), so this layer needs no template of its own.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perm(request.user, permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator


class PermissionRequiredMixin:
    """The same guard for class-based views: ``class Page(PermissionRequiredMixin, View): permission = "…"``."""

    permission: str = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not self.permission or not has_perm(request.user, self.permission):
            raise PermissionDenied(self.permission)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
