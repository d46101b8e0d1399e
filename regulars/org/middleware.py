"""Sessions without their second factor may only finish signing in (or sign out)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from regulars.platform.api_errors import error_body

from .two_factor import confirmed_device, two_factor_required

# Paths a half-signed-in person may still open: the two-factor pages, signing out, the language switch, files.
_OPEN_PREFIXES = ("/account/two-factor/", "/logout/", "/login/", "/i18n/", "/static/", "/favicon")


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware: someone with a confirmed device must enter a code after the password;
    an administrator who must have a device (REGULARS_ADMIN_2FA=required) is sent to set one up first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return self.get_response(request)  # no session, nobody signed in: and the session stays untouched
        user = request.user
        if not user.is_authenticated or user.is_verified() or request.path.startswith(_OPEN_PREFIXES):  # type: ignore[union-attr,attr-defined]
            return self.get_response(request)
        if confirmed_device(user) is not None:
            step = "org_account:two_factor_verify"
        elif two_factor_required(user):
            step = "org_account:two_factor_setup"
        else:
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(error_body("two_factor_required", "Finish signing in with your one-time code"),
                                status=403)
        return HttpResponseRedirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
