"""The REST API root: /api/v1/. Auth, error format and the routers of each domain."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer, SessionAuth

from regulars.customers.api import meta_router as customers_meta_router
from regulars.customers.api import router as customers_router
from regulars.documents.api import router as documents_router
from regulars.exchange.api import router as exchange_router
from regulars.integrations.api import router as integrations_router
from regulars.messaging.api import router as messaging_router
from regulars.orders.api import router as orders_router
from regulars.orders.payments.api import router as payments_router
from regulars.org.api import router as org_router
from regulars.org.selectors import apikey_authenticate
from regulars.platform.api_errors import error_body, schema_errors_to_fields
from regulars.platform.errors import DomainError


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer rk_…` — a program (ERP, e-shop, PBX) with a key issued in Settings or the CLI."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        key = apikey_authenticate(token)
        if key is not None:
            request.api_key = key  # type: ignore[attr-defined]
        return key


api = NinjaAPI(
    title="Regulars API",
    version="1",
    description=(
        "One customer card for the whole network. Authenticate with `Authorization: Bearer <API key>` "
        "(create one with `regulars apikey create --name erp` or in Settings → API keys) or a browser session. "
        'Errors are JSON: `{"error": {"code", "message", "fields"}}`.'
    ),
    urls_namespace="api",
    auth=[ApiKeyAuth(), SessionAuth(csrf=True)],
)
api.add_router("/customers", customers_router)
api.add_router("", org_router)
api.add_router("", customers_meta_router)
api.add_router("", documents_router)
api.add_router("", exchange_router)
api.add_router("", messaging_router)
api.add_router("", payments_router)
api.add_router("", orders_router)
api.add_router("", integrations_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status)


@api.exception_handler(SchemaValidationError)
def schema_error(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    fields = schema_errors_to_fields(exc.errors)
    return api.create_response(request, error_body("validation_failed", "Invalid request", fields), status=400)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", str(exc) or "Not found"), status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, error_body("unauthenticated", "Send a valid API key: Authorization: Bearer <key>"), status=401
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "bad_request", 403: "forbidden", 404: "not_found", 413: "too_large"}.get(exc.status_code, "error")
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)
