"""Delivery reports from providers: the account is named in the URL with its secret, the body is the provider's."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse

from .models import ProviderAccount
from .providers import provider as provider_named
from .services import messages_apply_reports


def callback_response(request: HttpRequest, *, account_id: int, secret: str) -> HttpResponse:
    account = ProviderAccount.objects.filter(pk=account_id, is_active=True).first()
    # Constant-time comparison; an unknown account and a wrong secret look the same from outside.
    expected = account.callback_secret if account else "-" * 32
    if account is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        return HttpResponse(status=404)
    provider = provider_named(account.provider)
    updates = provider.parse_callback(request.body, content_type=request.content_type or "",
                                      config=account.config)
    messages_apply_reports(provider=provider.name, updates=updates)
    answer = getattr(provider, "callback_answer", b"ok")
    return HttpResponse(answer, content_type="text/plain")
