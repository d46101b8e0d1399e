"""A local stand-in for YooKassa's API v3, served on 127.0.0.1 (an ephemeral port) from a thread, written from
YooKassa's documentation apart from the provider's code.

POST /v3/payments with HTTP Basic auth (shop id, secret key) and the header `Idempotence-Key`: the same key again
answers the same payment, never a new one. GET /v3/payments/<id> answers the payment as it is now. Errors come as
YooKassa's error object {"type": "error", "code", "description", "parameter"}: 401 invalid_credentials, 400
invalid_request, 404 not_found, 500 internal_server_error. A test marks a payment succeeded or canceled and builds
the notification YooKassa would POST to the webhook."""

from __future__ import annotations

import base64
import itertools
import json
import re
import urllib.parse
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.message import Message
from typing import Any

from regulars.messaging.tests.standins import JsonApi, Reply, _JsonHandler

_PAYMENT = re.compile(r"^/v3/payments/(?P<id>[^/]+)$")


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    auth: tuple[str, str] | None
    idempotency_key: str
    body: dict[str, Any] | None


class _Handler(_JsonHandler):
    def do_GET(self) -> None:
        api = self.server.api
        assert isinstance(api, YooKassaApi)
        reply = api.handle_get(self.path, self.headers)
        body = json.dumps(reply.document, ensure_ascii=False).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def _error(status: int, code: str, description: str, parameter: str = "") -> Reply:
    document = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        document["parameter"] = parameter
    return Reply(status, document)


class YooKassaApi(JsonApi):
    """One shop. Switches: `fail_next` answers HTTP 500 to that many requests before doing anything;
    `lose_next_answer` creates the payment and then answers 500 (the outcome a client cannot know); `delay`
    sleeps before answering a create. `payments` holds every payment by id; `by_key` the id per idempotency key."""

    def __init__(self, shop_id: str, secret_key: str) -> None:
        self.shop_id, self.secret_key = shop_id, secret_key
        self.requests: list[ApiRequest] = []
        self.payments: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.fail_next = 0
        self.lose_next_answer = 0
        self.delay = 0.0
        self._ids = itertools.count(1)
        super().__init__()
        self.server.RequestHandlerClass = _Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _checked(self, method: str, path: str, headers: Message, body: dict[str, Any] | None) -> Reply | None:
        auth = _basic(headers.get("Authorization", ""))
        self.requests.append(ApiRequest(method, path, auth, headers.get("Idempotence-Key", ""), body))
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(500, "internal_server_error", "Internal server error")
        if auth != (self.shop_id, self.secret_key):
            return _error(401, "invalid_credentials", "Authentication by given credentials failed")
        return None

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        try:
            document = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            document = None
        with self._lock:
            refused = self._checked("POST", path, headers, document if isinstance(document, dict) else None)
            if refused is not None:
                return refused
            if urllib.parse.urlsplit(path).path != "/v3/payments":
                return _error(404, "not_found", "Not found")
            key = headers.get("Idempotence-Key", "")
            if not key or len(key) > 64:
                return _error(400, "invalid_request", "Idempotence-Key is required, at most 64 characters",
                              "Idempotence-Key")
            if key in self.by_key:
                return Reply(200, self.payments[self.by_key[key]], delay=self.delay)
            problem = self._invalid(document)
            if problem:
                return _error(400, "invalid_request", f"Invalid {problem}", problem)
            assert isinstance(document, dict)
            payment_id = f"2f{next(self._ids):06d}-000f-5000-8000-{uuid.uuid4().hex[:12]}"
            self.payments[payment_id] = {
                "id": payment_id, "status": "pending", "paid": False, "amount": dict(document["amount"]),
                "confirmation": {"type": "redirect", "return_url": document["confirmation"]["return_url"],
                                 "confirmation_url": f"https://yoomoney.ru/checkout/payments/v2/contract?"
                                                     f"orderId={payment_id}"},
                "created_at": "2025-03-12T09:00:00.000Z", "description": document.get("description", ""),
                "metadata": dict(document.get("metadata") or {}), "recipient": {"account_id": self.shop_id},
                "refundable": False, "test": True}
            self.by_key[key] = payment_id
            if self.lose_next_answer > 0:
                self.lose_next_answer -= 1
                return _error(500, "internal_server_error", "Internal server error")
            return Reply(200, self.payments[payment_id], delay=self.delay)

    @staticmethod
    def _invalid(document: Any) -> str:
        """The first field YooKassa would refuse, or ""."""
        if not isinstance(document, dict):
            return "body"
        amount = document.get("amount")
        try:
            value = Decimal(str(amount["value"])) if isinstance(amount, dict) else None
        except (KeyError, InvalidOperation):
            value = None
        if value is None or value <= 0 or not re.fullmatch(r"\d+\.\d{2}", str(amount["value"])):  # type: ignore[index]
            return "amount.value"
        if not isinstance(amount, dict) or not re.fullmatch(r"[A-Z]{3}", str(amount.get("currency", ""))):
            return "amount.currency"
        confirmation = document.get("confirmation") or {}
        if confirmation.get("type") != "redirect" or not str(confirmation.get("return_url", "")).startswith("http"):
            return "confirmation"
        if len(str(document.get("description", ""))) > 128:
            return "description"
        if not isinstance(document.get("metadata", {}), dict):
            return "metadata"
        return ""

    def handle_get(self, path: str, headers: Message) -> Reply:
        with self._lock:
            refused = self._checked("GET", path, headers, None)
            if refused is not None:
                return refused
            match = _PAYMENT.match(urllib.parse.urlsplit(path).path)
            payment = self.payments.get(urllib.parse.unquote(match.group("id"))) if match else None
            if payment is None:
                return _error(404, "not_found", "Payment not found")
            return Reply(200, payment)

    # What a test does to a payment, as the customer and YooKassa would

    def succeed(self, payment_id: str, *, amount: str | None = None) -> None:
        with self._lock:
            payment = self.payments[payment_id]
            payment.update(status="succeeded", paid=True, captured_at="2025-03-12T09:05:00.000Z")
            if amount is not None:
                payment["amount"] = {**payment["amount"], "value": amount}

    def cancel(self, payment_id: str) -> None:
        with self._lock:
            self.payments[payment_id].update(status="canceled", cancellation_details={
                "party": "yoo_money", "reason": "expired_on_confirmation"})

    def notification(self, payment_id: str, event: str = "") -> bytes:
        """The body YooKassa POSTs to the notification URL: the payment object as it was at the event."""
        payment = self.payments[payment_id]
        document = {"type": "notification", "event": event or f"payment.{payment['status']}", "object": payment}
        return json.dumps(document, ensure_ascii=False).encode()

    @property
    def creates(self) -> list[ApiRequest]:
        return [r for r in self.requests if r.method == "POST"]
