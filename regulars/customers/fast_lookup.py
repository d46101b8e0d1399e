"""WSGI in front of Django for the one request that must answer in a millisecond or two: the caller-id lookup.

A PBX asks `GET /api/v1/customers/lookup?phone=…` on every incoming call, many times a second at a busy network.
Through Django's whole stack (eleven middleware, the URL resolver, django-ninja, the ORM) that request costs ~10 ms of
CPU; this path answers the common case — a valid API key, a well-formed contact, a card found or not — with the same
`lookup_card` and the same JSON in about a tenth of that. Everything else (sessions, malformed or unusual requests,
disallowed hosts, plain HTTP when HTTPS is required, database errors) goes to Django unchanged, so the regular
endpoint stays the definition of the behaviour; tests compare the two answers byte for byte. See ADR 0007.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError, connection
from ninja.responses import NinjaJSONEncoder

from regulars.org.selectors import apikey_authenticate
from regulars.platform.api_errors import error_body
from regulars.platform.errors import NotFound, ValidationFailed

from .lookup import lookup_card

PATH = "/api/v1/customers/lookup"
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CallerIdFastPath:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "GET":
            return self.app(environ, start_response)
        answer = self.answer(environ)
        if answer is None:
            return self.app(environ, start_response)
        status, body = answer
        start_response(status, response_headers(body, secure=_is_secure(environ)))
        return [body]

    def answer(self, environ: dict[str, Any]) -> tuple[str, bytes] | None:
        """(status line, JSON body), or None to let Django answer."""
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if not authorization.startswith("Bearer ") or "HTTP_ACCEPT_LANGUAGE" in environ:
            return None  # sessions and translated error messages: Django's job
        request = WSGIRequest(environ)
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        _housekeeping()
        try:
            if apikey_authenticate(authorization[len("Bearer "):].strip()) is None:
                return None
            card = lookup_card({name: request.GET.get(name, "") for name in request.GET})
        except NotFound as exc:
            return "404 Not Found", _dumps(error_body(exc.code, exc.message, exc.fields))
        except (ValidationFailed, DatabaseError):
            return None
        finally:
            _housekeeping()
        # lookup_card already has CustomerOut's fields, order and types (the parity tests check the bytes), so
        # the schema's validation, which the endpoint runs, would change nothing here.
        return "200 OK", _dumps(card)


def _housekeeping() -> None:
    """Django's connection housekeeping around a request: drop a broken connection or one past CONN_MAX_AGE.

    Skipped inside a transaction, which only a test wraps around a request (Django's test client skips it too).
    """
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def _dumps(data: Any) -> bytes:
    return json.dumps(data, cls=NinjaJSONEncoder).encode()


def _is_secure(environ: dict[str, Any]) -> bool:
    header = settings.SECURE_PROXY_SSL_HEADER
    if header and environ.get(header[0]) == header[1]:
        return True
    return environ.get("wsgi.url_scheme") == "https"


def response_headers(body: bytes, *, secure: bool) -> list[tuple[str, str]]:
    """What Django's middleware would add to this JSON answer (SecurityMiddleware, XFrameOptionsMiddleware)."""
    headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Content-Language", "en"),  # an API client without Accept-Language gets English (ApiLanguageMiddleware)
        ("Vary", "Accept-Language"),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
    ]
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        headers.append(("Strict-Transport-Security", hsts))
    return headers
