"""The signed-in person's own account: two-factor sign-in (set up, the code after the password)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from regulars.platform.errors import DomainError
from regulars.platform.forms import apply_domain_error

from . import two_factor
from .two_factor import (
    confirmed_device,
    pending_device,
    qr_svg,
    secret_text,
    two_factor_confirm,
    two_factor_required,
)


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code from the app"), max_length=7, strip=True,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True,
                                      "pattern": "[0-9 ]*", "class": "mono"}),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


@login_required
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            two_factor_confirm(request=request, user=user, token=form.cleaned_data["token"])  # type: ignore[arg-type]
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(_next(request))
    device = pending_device(user)  # type: ignore[arg-type]
    return render(request, "org/two_factor_setup.html", {
        "qr": qr_svg(device), "secret": secret_text(device), "form": form,
        "required": two_factor_required(user), "has_device": confirmed_device(user) is not None,
        "next": _next(request),
    })


@login_required
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    if confirmed_device(request.user) is None:
        return redirect("org_account:two_factor_setup")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            two_factor.two_factor_verify(request=request, user=request.user, token=form.cleaned_data["token"])  # type: ignore[arg-type]
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect(_next(request))
    return render(request, "org/two_factor_verify.html", {"form": form, "next": _next(request)})
