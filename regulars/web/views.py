"""The shell's pages: sign in and out, the start page and the error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache


class LoginForm(AuthenticationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Login")
        self.fields["username"].widget.attrs.update({"autocapitalize": "none", "spellcheck": "false"})


class LoginView(auth_views.LoginView):
    """Django's login; django-axes counts the failures (AxesStandaloneBackend sees the request) and locks out."""

    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link or a prefetch cannot sign anyone out."""


@login_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    """The customer list when that page exists, else a start page with the sections this user may open."""
    try:
        return redirect(reverse("customers:list"))
    except NoReverseMatch:
        return render(request, "web/home.html")


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/403.html", status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: whatever broke (the database, a context processor) must not break the error page too.
    return HttpResponseServerError(loader.get_template("web/500.html").render())
