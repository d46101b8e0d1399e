"""SMS through Twilio's Programmable Messaging REST API.

Send: POST <base_url>/2010-04-01/Accounts/<account_sid>/Messages.json with HTTP Basic auth (account SID, auth
token) and form fields To (E.164), Body, From (a Twilio number) or MessagingServiceSid (a value starting with "MG"),
and StatusCallback when the account's webhook URL is configured. Twilio answers 201 with the message resource
({"sid": "SM…", "status": "queued"}); errors carry {"code", "message"}. 429 and 5xx are tried again later (a 5xx or a
timeout may have queued the SMS: outcome unknown); 401 and other 4xx (21211 invalid To, 21610 the recipient sent
STOP, …) fail the message. The Messages API knows no idempotency key, so a retry after an unknown outcome may send
twice and is marked ambiguous by the dispatcher.

Webhook (status callbacks and incoming messages, form-encoded POSTs to the same account URL): verified with the
X-Twilio-Signature header, base64(HMAC-SHA1(auth token, the full URL Twilio called + every POST parameter sorted by
name, each name followed by its value)). Status callbacks (MessageSid, MessageStatus, ErrorCode) become delivery
reports, incoming messages (MessageSid, From, Body) inbound messages; the answer is an empty TwiML <Response>.

Config: account_sid, auth_token, from (all required); webhook_url (the account's callback URL from the settings page:
sent as StatusCallback and the URL signatures are checked against); base_url (default https://api.twilio.com);
timeout (seconds, default 15)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
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

DEFAULT_BASE_URL = "https://api.twilio.com"
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
# Twilio's MessageStatus → ours; queued, accepted, scheduled, sending say nothing new.
DELIVERY_STATUSES = {"sent": "sent", "delivered": "delivered", "read": "read"}
FAILED_STATUSES = {"undelivered", "failed", "canceled"}
# The delivery error codes seen most (https://www.twilio.com/docs/api/errors), for a readable reason.
ERROR_TEXTS = {
    "30001": "queue overflow", "30002": "account suspended", "30003": "unreachable destination handset",
    "30004": "message blocked", "30005": "unknown destination handset", "30006": "landline or unreachable carrier",
    "30007": "message filtered by the carrier", "30008": "unknown error", "30034": "unregistered sender (A2P 10DLC)",
    "21610": "the recipient unsubscribed (STOP)", "21614": "not a mobile number",
}


def signature(token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature of a request: the URL, then each parameter sorted by name as name + value."""
    text = url + "".join(name + value for name, value in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, and with the default port added or dropped: Twilio may sign either form."""
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return [url]
    userinfo, at, host = parts.netloc.rpartition("@")
    if default is None or not host:
        return [url]
    if port is None:
        other = f"{host}:{default}"
    elif port == default:
        other = host.rsplit(":", 1)[0]
    else:
        return [url]
    return [url, urllib.parse.urlunsplit(parts._replace(netloc=userinfo + at + other))]


class TwilioSmsProvider:
    name: ClassVar[str] = "sms_twilio"
    label: ClassVar[str] = "Twilio SMS"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("account_sid", _("Account SID (AC…)"), required=True),
        ConfigField("auth_token", _("Auth token"), secret=True, required=True),
        ConfigField("from", _("From number (E.164) or Messaging Service SID (MG…)"), required=True),
        ConfigField("webhook_url", _("Status callback URL (this account's webhook URL shown on the settings page; "
                                     "also set it as the number's incoming-message webhook)")),
        ConfigField("base_url", _("API URL (default https://api.twilio.com)")),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )
    channels: ClassVar[tuple[str, ...]] = ("sms",)
    takes_idempotency_key: ClassVar[bool] = False
    reports_delivery: ClassVar[bool] = True

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        sid, token = str(config.get("account_sid", "")).strip(), str(config.get("auth_token", ""))
        sender = str(config.get("from") or message.sender).strip()
        if not sid or not token or not sender:
            raise PermanentError("Twilio account SID, auth token and From are required")
        to = message.to.strip()
        fields = {"To": to if to.startswith("+") else f"+{to}", "Body": message.body}
        fields["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        if config.get("webhook_url"):
            fields["StatusCallback"] = str(config["webhook_url"])
        base = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{urllib.parse.quote(sid, safe='')}/Messages.json"
        credentials = base64.b64encode(f"{sid}:{token}".encode()).decode()
        request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",  # noqa: S310
                                         headers={"Authorization": f"Basic {credentials}", "Accept": "application/json",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        answer = call_json(request, timeout=float(config.get("timeout") or 15), name="Twilio", refusal=self._refusal)
        if not isinstance(answer, dict) or not str(answer.get("sid") or "").startswith(("SM", "MM")):
            raise TemporaryError("Twilio answered without a message sid", outcome_unknown=True)
        return Sent(provider_message_id=str(answer["sid"]))

    @staticmethod
    def _refusal(exc: urllib.error.HTTPError) -> Exception:
        try:
            answer = json.loads(exc.read().decode("utf-8"))
        except (OSError, ValueError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        code, text = answer.get("code"), str(answer.get("message") or "").strip()
        detail = f"Twilio error {code}: {text}" if code else f"Twilio HTTP {exc.code}"
        if exc.code == 401:
            return PermanentError("bad credentials")
        if exc.code == 429:
            retry_after = (exc.headers.get("Retry-After") or "").strip() if exc.headers else ""
            return TemporaryError(f"Twilio HTTP 429 (rate limit): {detail}",
                                  retry_after=float(retry_after) if retry_after.isdigit() else None)
        if exc.code >= 500:
            return TemporaryError(f"Twilio HTTP {exc.code}: {detail}", outcome_unknown=True)
        return PermanentError(detail)

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        if request.method.upper() == "POST":
            params = urllib.parse.parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
            url = str(config.get("webhook_url") or request.url)
        else:  # a webhook configured as GET: Twilio signs the URL with its query string and nothing else
            params = []
            url = str(config.get("webhook_url") or "")
            if url and request.query:
                url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(request.query)}"
            url = url or str(request.url)
        self._verify(request, url, params, str(config.get("auth_token") or ""))
        fields = dict(params) if params else dict(request.query)
        answer = WebhookAnswer(body=EMPTY_TWIML, content_type="text/xml")
        message_sid = fields.get("MessageSid") or fields.get("SmsSid") or ""
        status = (fields.get("MessageStatus") or fields.get("SmsStatus") or "").lower()
        at = dt.datetime.now(tz=dt.UTC)  # Twilio's callbacks carry no time of their own
        if not message_sid:
            return answer
        if status and status != "received":
            if status in DELIVERY_STATUSES:
                answer.updates.append(StatusUpdate(message_sid, DELIVERY_STATUSES[status], at))
            elif status in FAILED_STATUSES:
                code = fields.get("ErrorCode", "").strip()
                reason = f"Twilio error {code}: {ERROR_TEXTS.get(code, status)}" if code else f"Twilio: {status}"
                answer.updates.append(StatusUpdate(message_sid, "failed", at, reason=reason))
        elif fields.get("From"):
            answer.inbound.append(Inbound(sender=fields["From"], text=fields.get("Body", ""),
                                          provider_message_id=message_sid, at=at, contact_kind="phone"))
        return answer

    @staticmethod
    def _verify(request: WebhookRequest, url: str, params: list[tuple[str, str]], token: str) -> None:
        given = request.headers.get("x-twilio-signature", "")
        if not given or not token or not url:
            raise WebhookRefused("no Twilio signature, auth token or webhook URL")
        if not any(hmac.compare_digest(signature(token, candidate, params).encode(), given.encode())
                   for candidate in _url_variants(url)):
            raise WebhookRefused("wrong Twilio signature")


PROVIDER = TwilioSmsProvider()
