"""A local stand-in for the HTTP voice-call API of providers/voice_http, served on 127.0.0.1 (an ephemeral port)
from a thread, and the signing of the webhooks it sends (written here from the contract, apart from the provider).

POST /api/v1/calls with `Authorization: Bearer <key>`, `Idempotency-Key` and a JSON body {"to", "caller_id",
"tts": {"text", "voice"}, "gather", "callback_url"}. 201 {"call_id"} places a call; a key seen before answers 200
with the first call's id and places nothing (a key reused with another body: 409); 401 for a wrong key; 400 for a
bad number or a missing text."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.parse
from dataclasses import dataclass
from email.message import Message
from typing import Any

from .standins import JsonApi, Reply

PREFIX = "/api/v1"


def voice_signature(secret: str, body: bytes) -> str:
    """X-Signature as the contract says: sha256= and the hex HMAC-SHA256 of the raw body keyed with the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CallRequest:
    path: str
    authorization: str
    idempotency_key: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Call:
    call_id: str
    idempotency_key: str
    document: dict[str, Any]


class VoiceApi(JsonApi):
    """The /calls endpoint for one API key. Switches: `rate_limit_next` answers 429 with `Retry-After:
    retry_after`, `fail_next` HTTP 500, `reject_next` HTTP 400 to that many requests (none of them places a call);
    a "to" in `invalid_numbers` is refused with 400; `delay` holds each placed call's answer back that long (the
    call is placed: past the client's timeout, the outcome is unknown to it). Every request to /calls lands in
    `requests`; the calls placed (one per distinct Idempotency-Key) in `calls`."""

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[CallRequest] = []
        self.calls: list[Call] = []
        self._by_key: dict[str, Call] = {}
        self.rate_limit_next = 0
        self.retry_after = "30"
        self.fail_next = 0
        self.reject_next = 0
        self.invalid_numbers: set[str] = set()
        self.delay = 0.0
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PREFIX}"

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        if urllib.parse.urlsplit(path).path != f"{PREFIX}/calls":
            return Reply(404, {"error": "not found"})
        try:
            document = json.loads(body.decode("utf-8"))
        except ValueError:
            document = None
        with self._lock:
            self.requests.append(CallRequest(path, headers.get("Authorization", ""),
                                             headers.get("Idempotency-Key", ""), document or {}))
            return self._answer(headers, document)

    def _answer(self, headers: Message, document: Any) -> Reply:
        if headers.get("Authorization", "") != f"Bearer {self.api_key}":
            return Reply(401, {"error": "invalid API key"})
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return Reply(429, {"error": "too many requests"}, headers={"Retry-After": self.retry_after})
        if self.fail_next > 0:
            self.fail_next -= 1
            return Reply(500, {"error": "internal error"})
        if self.reject_next > 0:
            self.reject_next -= 1
            return Reply(400, {"error": "request rejected"})
        if not isinstance(document, dict):
            return Reply(400, {"error": "the body must be a JSON object"})
        key = headers.get("Idempotency-Key", "")
        if key and key in self._by_key:
            first = self._by_key[key]
            if first.document != document:
                return Reply(409, {"error": "Idempotency-Key reused with another request"})
            return Reply(200, {"call_id": first.call_id, "status": "queued"}, delay=self.delay)
        to, tts = str(document.get("to") or ""), document.get("tts")
        if to in self.invalid_numbers or not re.fullmatch(r"\+[1-9]\d{6,14}", to):
            return Reply(400, {"error": f"invalid number {to}"})
        if not str(document.get("caller_id") or ""):
            return Reply(400, {"error": "caller_id is required"})
        if not isinstance(tts, dict) or not str(tts.get("text") or "").strip():
            return Reply(400, {"error": "tts.text is required"})
        call = Call(f"call-{next(self._numbers):06d}", key, document)
        self.calls.append(call)
        if key:
            self._by_key[key] = call
        return Reply(201, {"call_id": call.call_id, "status": "queued"}, delay=self.delay)
