"""Robocalls (channel "voice") through a generic HTTP voice-call API, of the kind Russian robocall services offer:
the service calls the customer from the business's number, reads the text aloud (text-to-speech) and collects the
answer key the customer presses. This module is the reference contract; an adapter for a real service is this
folder copied and its request/answer mapping changed.

Send: POST <base_url>/calls with the headers
    Authorization: Bearer <api_key>
    Idempotency-Key: <Outgoing.idempotency_key>
    Content-Type: application/json; charset=utf-8
and the JSON body
    {"to": "+79160000001",                       # E.164
     "caller_id": "+74950000000",                # the number the customer sees (config caller_id, else the
                                                 # account's sender: a branch with its own number is its own account)
     "tts": {"text": "<message body>", "voice": "alena"},
     "gather": {"keys": "12", "prompt": "Нажмите 1, чтобы подтвердить, 2 — чтобы мы перезвонили."},
     "callback_url": "https://…"}                # only when configured
Answers: 201 {"call_id": "…"} the call is placed; 200 {"call_id": "…"} the same Idempotency-Key was seen before:
the first call's id, and no second call is placed (so a retry after an unknown outcome cannot call twice:
takes_idempotency_key). 429 (Retry-After: seconds or an HTTP date) → tried again after that long; 5xx or a timeout →
tried again, the call may have been placed (outcome unknown, harmless thanks to the key); 401/403 → bad
credentials; any other 4xx (400 bad number, 409 the key reused with another body, 422, …) fails the message, with
{"error": "…"} or {"message": "…"} from the body as the reason.

Webhook: the service POSTs JSON events to the account's callback URL, each signed with
    X-Signature: sha256=<hex HMAC-SHA256(webhook_secret, raw body)>
(a missing or wrong signature, or no secret configured → 403, nothing happens). The body is one event or a JSON
list of them:
    {"event": "call.answered" | "call.completed", "call_id": "…", "at": "2025-03-12T09:00:40Z"} → delivered
    {"event": "call.failed" | "call.no_answer", "call_id": "…", "at": "…", "reason": "busy"} → failed (the reason,
        or "no answer" / "call failed" without one)
    {"event": "call.digits", "call_id": "…", "from": "+79160000001", "digits": "1", "at": "…"} → an inbound message
        from that phone with the text "1" (provider message id "<call_id>:digits", once per call), on the customer's
        timeline for the automation to act on.
"at" is ISO 8601 (or Unix seconds); without it, the time of arrival. Other events are ignored. The answer is
200 "ok" (400 for a signed body that is not JSON).

Config: api_key (required), caller_id (required unless the account's sender is the number), voice (default
"alena"), base_url (default https://voice.example.invalid/api/v1), webhook_secret, callback_url (this account's
webhook URL from the settings page), timeout (seconds, default 15)."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from ..base import (
    ConfigField,
    Inbound,
    Outgoing,
    PermanentError,
    Sent,
    StatusUpdate,
    TemporaryError,
    WebhookAnswer,
    WebhookRefused,
    WebhookRequest,
)
from ..http import call_json

DEFAULT_BASE_URL = "https://voice.example.invalid/api/v1"
DEFAULT_VOICE = "alena"
GATHER_KEYS = "12"
GATHER_PROMPT = "Нажмите 1, чтобы подтвердить, 2 — чтобы мы перезвонили."
DELIVERED_EVENTS = {"call.answered", "call.completed"}
FAILED_EVENTS = {"call.failed": "call failed", "call.no_answer": "no answer"}


def signature(secret: str, body: bytes) -> str:
    """The X-Signature header of a webhook body: "sha256=" and the hex HMAC-SHA256 keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _retry_after(value: str | None) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(tz=dt.UTC)).total_seconds())


def _at(value: Any) -> dt.datetime:
    now = dt.datetime.now(tz=dt.UTC)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value, tz=dt.UTC)
        if isinstance(value, str) and value.strip():
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return now


class HttpVoiceProvider:
    name: ClassVar[str] = "voice_http"
    label: ClassVar[str] = "Robocall (HTTP voice API)"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("api_key", _("API key"), secret=True, required=True),
        ConfigField("caller_id", _("Caller number the customer sees (E.164; a branch with its own number is another "
                                   "account)"), required=True),
        ConfigField("voice", _("Voice (default alena)")),
        ConfigField("base_url", f"API URL (default {DEFAULT_BASE_URL})", required=True),
        ConfigField("webhook_secret", _("Webhook signing secret"), secret=True),
        ConfigField("callback_url", _("Callback URL (this account's webhook URL shown on the settings page)")),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )
    channels: ClassVar[tuple[str, ...]] = ("voice",)
    takes_idempotency_key: ClassVar[bool] = True
    reports_delivery: ClassVar[bool] = True  # answered calls are reported

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        key = str(config.get("api_key") or "").strip()
        caller = str(config.get("caller_id") or message.sender or "").strip()
        if not key or not caller:
            raise PermanentError("voice API key and caller number are required")
        to = message.to.strip()
        document: dict[str, Any] = {
            "to": to if to.startswith("+") else f"+{to}", "caller_id": caller,
            "tts": {"text": message.body, "voice": str(config.get("voice") or DEFAULT_VOICE)},
            "gather": {"keys": GATHER_KEYS, "prompt": GATHER_PROMPT}}
        if config.get("callback_url"):
            document["callback_url"] = str(config["callback_url"])
        base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        request = urllib.request.Request(  # noqa: S310 (the URL is the account's own setting)
            f"{base}/calls", data=json.dumps(document, ensure_ascii=False).encode(), method="POST",
            headers={"Authorization": f"Bearer {key}", "Idempotency-Key": message.idempotency_key,
                     "Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
        answer = call_json(request, timeout=float(config.get("timeout") or 15), name="voice API",
                           refusal=self._refusal)
        call_id = answer.get("call_id") if isinstance(answer, dict) else None
        if not call_id:
            raise TemporaryError("voice API answered without a call_id", outcome_unknown=True)
        return Sent(provider_message_id=str(call_id))

    @staticmethod
    def _refusal(exc: urllib.error.HTTPError) -> Exception:
        try:
            answer = json.loads(exc.read().decode("utf-8"))
        except (OSError, ValueError):
            answer = {}
        text = str((answer.get("error") or answer.get("message") or "") if isinstance(answer, dict) else "").strip()
        detail = f"voice API HTTP {exc.code}" + (f": {text}" if text else "")
        if exc.code == 429:
            return TemporaryError(f"{detail} (rate limit)",
                                  retry_after=_retry_after(exc.headers.get("Retry-After") if exc.headers else None))
        if exc.code >= 500:
            return TemporaryError(detail, outcome_unknown=True)
        if exc.code in (401, 403):
            return PermanentError("bad credentials")
        return PermanentError(detail)

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        secret = str(config.get("webhook_secret") or "")
        given = request.headers.get("x-signature", "")
        if not secret or not given:
            raise WebhookRefused("no signature or no webhook secret")
        if not hmac.compare_digest(signature(secret, request.body).encode(), given.strip().encode()):
            raise WebhookRefused("wrong signature")
        try:
            parsed = json.loads(request.body.decode("utf-8"))
        except ValueError:
            return WebhookAnswer(status=400, body=b"not JSON")
        answer = WebhookAnswer()
        for event in parsed if isinstance(parsed, list) else [parsed]:
            if isinstance(event, dict):
                self._read(event, answer)
        return answer

    @staticmethod
    def _read(event: Mapping[str, Any], answer: WebhookAnswer) -> None:
        name, call_id = str(event.get("event") or ""), str(event.get("call_id") or "")
        if not call_id:
            return
        at = _at(event.get("at"))
        if name in DELIVERED_EVENTS:
            answer.updates.append(StatusUpdate(call_id, "delivered", at))
        elif name in FAILED_EVENTS:
            reason = str(event.get("reason") or "").strip() or FAILED_EVENTS[name]
            answer.updates.append(StatusUpdate(call_id, "failed", at, reason=f"voice call: {reason}"[:300]))
        elif name == "call.digits" and event.get("from") and str(event.get("digits") or "").strip():
            answer.inbound.append(Inbound(sender=str(event["from"]), text=str(event["digits"]).strip(),
                                          provider_message_id=f"{call_id}:digits", at=at, contact_kind="phone",
                                          channel="voice"))


PROVIDER = HttpVoiceProvider()
