"""YooKassa (ЮKassa), API v3.

Create: POST <api_url>/v3/payments with HTTP Basic auth (shop_id : secret_key), the header `Idempotence-Key` (our
`order:<id>:pay:<n>`; YooKassa answers the same key with the same payment for 24 hours) and JSON
{"amount": {"value": "990.00", "currency": "RUB"}, "confirmation": {"type": "redirect", "return_url": ...},
"capture": true, "description": <at most 128 characters>, "metadata": {"order_id": ...}}; the answer is the
payment {"id", "status": "pending", "confirmation": {"confirmation_url"}, ...}: that URL is what the customer opens.

Fetch: GET <api_url>/v3/payments/<id> → the payment with its current status (pending, waiting_for_capture,
succeeded, canceled) and amount. Webhooks are checked this way, as YooKassa recommends: a notification
{"type": "notification", "event": "payment.succeeded", "object": {"id": ...}} only names the payment to fetch.

Errors: HTTP 500, 429, a timeout or a garbled answer → temporary (YooKassa: "the result is unknown, repeat with
the same idempotency key"); other 4xx (400 invalid_request, 401 invalid_credentials, 403, 404) → refused, with
YooKassa's `description` as the reason.

Config: shop_id (required), secret_key (required, write-only), return_url (required: where the customer lands
after paying), api_url (default https://api.yookassa.ru), timeout (seconds, default 15)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from regulars.messaging.providers.base import TemporaryError
from regulars.messaging.providers.http import call_json

from ...base import ConfigField, CreatedPayment, PaymentProviderError, PaymentState

DEFAULT_API_URL = "https://api.yookassa.ru"
MAX_DESCRIPTION = 128
STATUSES = {"pending", "waiting_for_capture", "succeeded", "canceled"}


def _reason(exc: urllib.error.HTTPError) -> str:
    """YooKassa's error object: {"type": "error", "code": "invalid_request", "description": ..., "parameter"}."""
    try:
        error = json.loads(exc.read().decode("utf-8"))
    except (ValueError, OSError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    text = str(error.get("description") or error.get("code") or "").strip()
    parameter = str(error.get("parameter") or "").strip()
    text = f"{text} ({parameter})" if parameter else text
    return f"YooKassa HTTP {exc.code}: {text}" if text else f"YooKassa HTTP {exc.code}"


def _refusal(exc: urllib.error.HTTPError) -> Exception:
    return PaymentProviderError(_reason(exc), temporary=exc.code >= 500 or exc.code == 429)


def _config(account: Any) -> Mapping[str, Any]:
    config: Mapping[str, Any] = account.config or {}
    if not config.get("shop_id") or not config.get("secret_key"):
        raise PaymentProviderError("the YooKassa account has no shop_id or secret_key", temporary=False)
    return config


def _request(config: Mapping[str, Any], path: str, *, body: dict[str, Any] | None = None,
             idempotency_key: str = "") -> Any:
    url = str(config.get("api_url") or DEFAULT_API_URL).rstrip("/") + path
    credentials = base64.b64encode(f"{config['shop_id']}:{config['secret_key']}".encode()).decode()
    headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        headers["Idempotence-Key"] = idempotency_key
        data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, headers=headers,  # noqa: S310 - the account's own https URL
                                     method="POST" if body is not None else "GET")
    try:
        return call_json(request, timeout=float(config.get("timeout") or 15), name="YooKassa", refusal=_refusal,
                         secret=str(config["secret_key"]))
    except TemporaryError as exc:
        raise PaymentProviderError(str(exc), temporary=True) from None


def _amount(payment: Mapping[str, Any]) -> tuple[Decimal, str]:
    amount = payment.get("amount") or {}
    try:
        return Decimal(str(amount["value"])), str(amount["currency"])
    except (KeyError, TypeError, InvalidOperation):
        raise PaymentProviderError("YooKassa answered a payment without an amount", temporary=True) from None


class YooKassaProvider:
    name: ClassVar[str] = "yookassa"
    label: ClassVar[str] = "YooKassa"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("shop_id", _("Shop ID"), required=True),
        ConfigField("secret_key", _("Secret key"), secret=True, required=True),
        ConfigField("return_url", _("Where the customer returns after paying (URL)"), required=True),
        ConfigField("api_url", _("API URL (default https://api.yookassa.ru)")),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )

    def create(self, account: Any, *, amount: Decimal, currency: str, description: str, idempotency_key: str,
               return_url: str, metadata: Mapping[str, str]) -> CreatedPayment:
        config = _config(account)
        body = {"amount": {"value": f"{amount.quantize(Decimal('0.01'))}", "currency": currency},
                "confirmation": {"type": "redirect", "return_url": return_url or str(config.get("return_url") or "")},
                "capture": True, "description": description[:MAX_DESCRIPTION],
                "metadata": {str(k): str(v) for k, v in metadata.items()}}
        answer = _request(config, "/v3/payments", body=body, idempotency_key=idempotency_key)
        if not isinstance(answer, dict) or not answer.get("id"):
            raise PaymentProviderError("YooKassa answered an unexpected shape", temporary=True)
        status = str(answer.get("status") or "")
        url = str((answer.get("confirmation") or {}).get("confirmation_url") or "")
        if status == "canceled":
            reason = (answer.get("cancellation_details") or {}).get("reason") or "canceled"
            raise PaymentProviderError(f"YooKassa canceled the payment: {reason}", temporary=False)
        if status not in STATUSES or (status == "pending" and not url):
            raise PaymentProviderError("YooKassa answered a payment without a confirmation URL", temporary=True)
        return CreatedPayment(provider_payment_id=str(answer["id"]), url=url, status=status)

    def fetch(self, account: Any, provider_payment_id: str) -> PaymentState:
        config = _config(account)
        answer = _request(config, "/v3/payments/" + urllib.parse.quote(provider_payment_id, safe=""))
        if not isinstance(answer, dict) or str(answer.get("id") or "") != provider_payment_id:
            raise PaymentProviderError("YooKassa answered another payment than asked", temporary=True)
        amount, currency = _amount(answer)
        raw = answer.get("metadata")
        metadata: dict[str, Any] = raw if isinstance(raw, dict) else {}
        return PaymentState(id=provider_payment_id, status=str(answer.get("status") or ""), amount=amount,
                            currency=currency, metadata={str(k): str(v) for k, v in metadata.items()})

    def parse_webhook(self, body: bytes) -> str | None:
        try:
            notification = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(notification, dict) or notification.get("type") != "notification":
            return None
        if not str(notification.get("event") or "").startswith("payment."):
            return None  # refunds, payouts, deals: not ours to act on
        found = (notification.get("object") or {}).get("id") if isinstance(notification.get("object"), dict) else None
        return str(found) if isinstance(found, str) and found and len(found) <= 100 else None


PROVIDER = YooKassaProvider()
