"""SMS through an SMS.ru-style HTTP gateway.

Send: POST <base_url>/sms/send with api_id, to (digits), msg, json=1 and from (the sender name, when agreed with
the gateway); the answer names an sms_id per number. Delivery reports: the gateway POSTs form fields `data[N]`,
each "sms_status\\n<sms_id>\\n<code>\\n<unix time>", and wants the body "100" back. Codes: 102 sent, 103
delivered, 104–108 and 150 not delivered. The gateway knows no idempotency key, so a retry after an unknown outcome
may send twice and is marked ambiguous by the dispatcher.

Config: api_id (required), base_url (default https://sms.ru), timeout (seconds, default 15)."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from ..base import (
    ConfigField,
    Outgoing,
    PermanentError,
    Sent,
    StatusUpdate,
    TemporaryError,
    WebhookAnswer,
    WebhookRequest,
)
from ..http import call_json

DEFAULT_BASE_URL = "https://sms.ru"
DELIVERY_CODES = {"102": "sent", "103": "delivered", "110": "read"}
FAILED_CODES = {"104": "expired at the operator", "105": "deleted by the operator", "106": "phone failure",
                "107": "unknown delivery error", "108": "rejected", "150": "no route to the number"}
# Account-level refusals (bad api_id, no money, sender not agreed): nothing to gain by retrying this message soon.
TEMPORARY_ACCOUNT_CODES = {"201", "220", "230", "231", "232", "233"}


def _refusal(exc: urllib.error.HTTPError) -> Exception:
    if exc.code >= 500 or exc.code == 429:
        return TemporaryError(f"gateway HTTP {exc.code}", outcome_unknown=exc.code >= 500)
    return PermanentError(f"gateway HTTP {exc.code}")


class SmsRuProvider:
    name: ClassVar[str] = "sms_smsru"
    label: ClassVar[str] = "SMS.ru"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("api_id", _("api_id"), secret=True, required=True),
        ConfigField("base_url", _("Gateway URL (default https://sms.ru)")),
    )
    channels: ClassVar[tuple[str, ...]] = ("sms",)
    takes_idempotency_key: ClassVar[bool] = False
    reports_delivery: ClassVar[bool] = True

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        fields = {"api_id": str(config.get("api_id", "")), "to": message.to.lstrip("+"), "msg": message.body,
                  "json": "1"}
        if message.sender:
            fields["from"] = message.sender
        url = str(config.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + "/sms/send"
        request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        answer = call_json(request, timeout=float(config.get("timeout", 15)), name="gateway", refusal=_refusal)
        return self._sent(answer, message.to.lstrip("+"))

    @staticmethod
    def _sent(answer: Any, number: str) -> Sent:
        if not isinstance(answer, dict):
            raise TemporaryError("gateway answered an unexpected shape", outcome_unknown=True)
        if answer.get("status") != "OK":
            code = str(answer.get("status_code", ""))
            text = f"gateway error {code}: {answer.get('status_text', '')}".strip()
            raise TemporaryError(text) if code in TEMPORARY_ACCOUNT_CODES else PermanentError(text)
        item = (answer.get("sms") or {}).get(number) or {}
        if item.get("status") != "OK" or not item.get("sms_id"):
            code = str(item.get("status_code", ""))
            raise PermanentError(f"gateway refused the number ({code}): {item.get('status_text', '')}".strip())
        return Sent(provider_message_id=str(item["sms_id"]))

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        # The gateway signs nothing: the secret in the callback URL is what proves the caller.
        return WebhookAnswer(body=b"100", updates=self.parse_callback(request.body))

    @staticmethod
    def parse_callback(body: bytes) -> list[StatusUpdate]:
        updates: list[StatusUpdate] = []
        for key, value in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            if not key.startswith("data["):
                continue
            lines = value.split("\n")
            if len(lines) < 3 or lines[0].strip() != "sms_status":
                continue
            sms_id, code = lines[1].strip(), lines[2].strip()
            try:
                at = dt.datetime.fromtimestamp(int(lines[3].strip()), tz=dt.UTC)
            except (IndexError, ValueError):
                at = dt.datetime.now(tz=dt.UTC)
            if code in DELIVERY_CODES:
                updates.append(StatusUpdate(sms_id, DELIVERY_CODES[code], at))
            elif code in FAILED_CODES:
                updates.append(StatusUpdate(sms_id, "failed", at, reason=FAILED_CODES[code]))
        return updates


PROVIDER = SmsRuProvider()
