"""Webhooks from providers: delivery reports and inbound messages. The account is named in the URL with its
secret; the provider verifies its own signature, if it has one, and parses the body."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse

from .inbound import message_receive, reachability_apply
from .models import ProviderAccount
from .providers import provider as provider_named
from .providers.base import WebhookRefused, WebhookRequest
from .services import messages_apply_reports


def webhook_response(request: HttpRequest, *, account_id: int, secret: str) -> HttpResponse:
    account = ProviderAccount.objects.filter(pk=account_id, is_active=True).first()
    # Constant-time comparison; an unknown account and a wrong secret look the same from outside.
    expected = account.callback_secret if account else "-" * 32
    if account is None or not hmac.compare_digest(expected.encode(), secret.encode()):
        return HttpResponse(status=404)
    provider = provider_named(account.provider)
    incoming = WebhookRequest(method=request.method or "POST", query=request.GET.dict(),
                              headers={k.lower(): v for k, v in request.headers.items()}, body=request.body,
                              content_type=request.content_type or "", url=request.build_absolute_uri())
    try:
        answer = provider.handle_webhook(incoming, config=account.config)
    except WebhookRefused:
        return HttpResponse(status=403)
    messages_apply_reports(provider=provider.name, updates=answer.updates)
    for inbound in answer.inbound:
        message_receive(provider=provider.name, inbound=inbound)
    for reachability in answer.reachability:
        reachability_apply(provider=provider.name, update=reachability)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
