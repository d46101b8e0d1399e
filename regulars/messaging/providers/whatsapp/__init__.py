"""WhatsApp through Meta's WhatsApp Cloud API (Graph API).

Send: POST <base_url>/<phone_number_id>/messages with `Authorization: Bearer <access token>` and JSON
{"messaging_product": "whatsapp", "to": <digits of the E.164 number>, ...}; the answer is
{"messages": [{"id": "wamid...."}]}, that id is what delivery reports name.

- A session message (the customer wrote to us within the last 24 hours) is {"type": "text", "text": {"body": ...}}.
- Outside that window WhatsApp only delivers an approved template. Convention: when the Outgoing's headers carry
  `X-WhatsApp-Template: <template name>`, the message goes as {"type": "template", "template": {"name": <name>,
  "language": {"code": <X-WhatsApp-Template-Language header, else the account's template language, "ru">},
  "components": [{"type": "body", "parameters": [{"type": "text", "text": <the message body>}]}]}}, so the approved
  template must have exactly one body variable ({{1}}) that receives our rendered text.

Errors: HTTP 429 or the rate-limit codes (4, 80007, 130429, 131056) → try later; 5xx, a timeout or an answer that
is not JSON → try later with an unknown outcome (the Cloud API takes no idempotency key, so the dispatcher marks
the retry ambiguous); 131047 (re-engagement: more than 24 hours since the customer last wrote; send a template)
and every other 4xx → the message fails with Meta's error text.

Webhook (the callback URL is given as the app's webhook, field "messages"):
- GET hub.mode=subscribe&hub.verify_token=<verify token>&hub.challenge=<n> → 200 with the challenge as the body.
- POST, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`; without an app
  secret configured every POST is refused. entry[].changes[].value.statuses[] (sent, delivered, read, failed with
  errors[0].title) become delivery reports; value.messages[] (text, a template's quick-reply button, an
  interactive reply; other kinds by their caption or "[<type>]") become inbound messages from "+<from>".

Config: access_token (required), phone_number_id (required), app_secret, verify_token, base_url (default
https://graph.facebook.com/v21.0), template_language (default "ru"), timeout (seconds, default 15)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
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

DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
DEFAULT_LANGUAGE = "ru"
TEMPLATE_HEADER = "X-WhatsApp-Template"
LANGUAGE_HEADER = "X-WhatsApp-Template-Language"
# Meta's throttling codes: app calls (4), account calls (80007), throughput (130429), pair rate limit (131056).
RATE_LIMIT_CODES = {4, 80007, 130429, 131056}
REENGAGEMENT = 131047
STATUSES = {"sent", "delivered", "read", "failed"}
_NOT_DIGITS = re.compile(r"\D")


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    return next((str(v).strip() for k, v in headers.items() if k.lower() == wanted), "")


def _at(raw: Any) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(raw), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return dt.datetime.now(tz=dt.UTC)


def _retry_after(raw: str | None) -> float | None:
    try:
        return max(0.0, float(raw)) if raw else None
    except ValueError:
        return None


def _error(raw: bytes) -> tuple[int | None, str]:
    """Meta's error object: {"error": {"code": 131047, "message": "...", "error_data": {"details": "..."}}}."""
    try:
        error = json.loads(raw.decode("utf-8")).get("error") or {}
        code = int(error["code"]) if error.get("code") is not None else None
    except (ValueError, AttributeError, TypeError):
        return None, ""
    text = str(error.get("message") or error.get("error_user_msg") or "").strip()
    details = str((error.get("error_data") or {}).get("details") or "").strip()
    return code, f"{text} ({details})" if details and details not in text else text


def payload_for(message: Outgoing, config: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of POST /<phone_number_id>/messages: a session text, or the template the headers name."""
    payload: dict[str, Any] = {"messaging_product": "whatsapp", "to": _NOT_DIGITS.sub("", message.to)}
    template = _header(message.headers, TEMPLATE_HEADER)
    if not template:
        return {**payload, "type": "text", "text": {"body": message.body}}
    language = _header(message.headers, LANGUAGE_HEADER) or str(config.get("template_language") or DEFAULT_LANGUAGE)
    return {**payload, "type": "template", "template": {
        "name": template, "language": {"code": language},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": message.body}]}]}}


class WhatsAppCloudProvider:
    name: ClassVar[str] = "whatsapp"
    label: ClassVar[str] = "WhatsApp Cloud API"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("access_token", _("Access token"), secret=True, required=True),
        ConfigField("phone_number_id", _("Phone number ID"), required=True),
        ConfigField("app_secret", _("App secret (checks X-Hub-Signature-256)"), secret=True),
        ConfigField("verify_token", _("Webhook verify token"), secret=True),
        ConfigField("base_url", f"Graph API URL (default {DEFAULT_BASE_URL})"),
        ConfigField("template_language", f"Template language (default {DEFAULT_LANGUAGE})"),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )
    channels: ClassVar[tuple[str, ...]] = ("whatsapp",)
    takes_idempotency_key: ClassVar[bool] = False
    reports_delivery: ClassVar[bool] = True

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        number_id = str(config.get("phone_number_id") or "").strip()
        if not number_id or not config.get("access_token"):
            raise PermanentError("the WhatsApp account has no access token or phone number ID")
        if not _NOT_DIGITS.sub("", message.to):
            raise PermanentError(f"not a WhatsApp number: {message.to!r}")
        url = (str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + "/"
               + urllib.parse.quote(number_id, safe="") + "/messages")
        request = urllib.request.Request(  # noqa: S310 (the URL is the configured https endpoint)
            url, data=json.dumps(payload_for(message, config), ensure_ascii=False).encode(), method="POST",
            headers={"Authorization": f"Bearer {config['access_token']}", "Content-Type": "application/json"})
        answer = call_json(request, timeout=float(config.get("timeout") or 15), name="WhatsApp",
                           refusal=self._refusal)
        try:
            return Sent(provider_message_id=str(answer["messages"][0]["id"]))
        except (KeyError, IndexError, TypeError):
            raise TemporaryError("WhatsApp answered without a message id", outcome_unknown=True) from None

    @staticmethod
    def _refusal(exc: urllib.error.HTTPError) -> Exception:
        try:
            raw = exc.read()
        except OSError:
            raw = b""
        code, text = _error(raw)
        described = f"WhatsApp error {code}: {text}" if code is not None else f"WhatsApp HTTP {exc.code}"
        if exc.code == 429 or code in RATE_LIMIT_CODES:
            return TemporaryError(f"rate limit: {described}", retry_after=_retry_after(exc.headers.get("Retry-After")))
        if exc.code >= 500:
            return TemporaryError(described, outcome_unknown=True)
        return PermanentError(described)  # 131047 (outside the 24-hour window) is one of these

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        if request.method.upper() == "GET":
            return self._handshake(request, config)
        secret = str(config.get("app_secret") or "")
        signature = request.headers.get("x-hub-signature-256", "")
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not secret or not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
            raise WebhookRefused("bad or missing X-Hub-Signature-256")
        try:
            document = json.loads(request.body.decode("utf-8"))
        except ValueError:
            return WebhookAnswer()  # signed but unreadable: nothing to learn, and Meta must not retry forever
        updates, inbound = parse_notification(document)
        return WebhookAnswer(updates=updates, inbound=inbound)

    @staticmethod
    def _handshake(request: WebhookRequest, config: Mapping[str, Any]) -> WebhookAnswer:
        token = str(config.get("verify_token") or "")
        given = request.query.get("hub.verify_token", "")
        if (request.query.get("hub.mode") != "subscribe" or not token
                or not hmac.compare_digest(token.encode(), given.encode())):
            raise WebhookRefused("wrong verify token")
        return WebhookAnswer(body=request.query.get("hub.challenge", "").encode())


def _inbound_text(item: Mapping[str, Any]) -> str:
    kind = str(item.get("type") or "text")
    if kind == "text":
        return str((item.get("text") or {}).get("body") or "")
    if kind == "button":  # a quick-reply button of a template ("Stop promotions")
        return str((item.get("button") or {}).get("text") or "")
    if kind == "interactive":
        reply = item.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return str(chosen.get("title") or "")
    caption = (item.get(kind) or {}).get("caption") if isinstance(item.get(kind), dict) else None
    return str(caption) if caption else f"[{kind}]"


def _failure(status: Mapping[str, Any]) -> str:
    errors = status.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return str(first.get("title") or first.get("message") or "failed")


def parse_notification(document: Any) -> tuple[list[StatusUpdate], list[Inbound]]:
    """Delivery reports and inbound messages of one webhook POST (anything malformed is skipped)."""
    updates: list[StatusUpdate] = []
    inbound: list[Inbound] = []
    entries = document.get("entry") if isinstance(document, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            for status in value.get("statuses") or []:
                state = status.get("status") if isinstance(status, dict) else None
                if state in STATUSES and status.get("id"):
                    reason = _failure(status) if state == "failed" else ""
                    updates.append(StatusUpdate(str(status["id"]), state, _at(status.get("timestamp")), reason))
            names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for item in value.get("messages") or []:
                if not isinstance(item, dict) or not item.get("from") or not item.get("id"):
                    continue
                sender = str(item["from"])
                name = names.get(sender) or (next(iter(names.values())) if len(names) == 1 else "")
                inbound.append(Inbound(sender="+" + sender.lstrip("+"), text=_inbound_text(item),
                                       provider_message_id=str(item["id"]), at=_at(item.get("timestamp")),
                                       contact_kind="whatsapp", sender_name=name))
    return updates, inbound


PROVIDER = WhatsAppCloudProvider()
