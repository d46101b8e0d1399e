"""A local stand-in for Twilio's Messages API, served on 127.0.0.1 (an ephemeral port) from a thread, and the
signing of the webhooks Twilio sends (written here from Twilio's documentation, apart from the provider's code).

POST /2010-04-01/Accounts/<sid>/Messages.json with HTTP Basic auth (sid, token) and form fields To, Body, From or
MessagingServiceSid, StatusCallback. It answers as Twilio does: 201 with the message resource, 401 code 20003 for
wrong credentials, 400 with Twilio's error codes, and whatever it is told to misbehave with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse
from dataclasses import dataclass
from email.message import Message
from typing import Any

from .standins import JsonApi, Reply

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio documents it: HMAC-SHA1 keyed with the auth token over the full URL followed
    by each POST parameter, sorted by name, as name then value; base64."""
    text = url
    for name in sorted(params):
        text += name + params[name]
    return base64.b64encode(hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()).decode()


@dataclass(frozen=True)
class ApiRequest:
    path: str
    auth: tuple[str, str] | None  # (user, password) from the Basic Authorization header
    fields: dict[str, str]


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}


class TwilioApi(JsonApi):
    """Twilio's Messages endpoint for one account. Switches: `rate_limit_next` answers 429 (code 20429) and
    `fail_next` HTTP 500 to that many requests; a To in `invalid_numbers` is refused with 400 code 21211. Every
    request to a Messages.json path lands in `requests`; the sids given out in `sids`."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.requests: list[ApiRequest] = []
        self.sids: list[str] = []
        self.rate_limit_next = 0
        self.fail_next = 0
        self.invalid_numbers: set[str] = set()
        super().__init__()

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        fields = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return Reply(*self.answer(path, _basic(headers.get("Authorization", "")), fields))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str, auth: tuple[str, str] | None, fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        match = _MESSAGES.match(urllib.parse.urlsplit(path).path)
        if match is None:
            return _error(404, 20404, "The requested resource was not found")
        with self._lock:
            self.requests.append(ApiRequest(path, auth, fields))
            if auth != (self.account_sid, self.auth_token) or match["sid"] != self.account_sid:
                return _error(401, 20003, "Authenticate")
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return _error(429, 20429, "Too Many Requests")
            if self.fail_next > 0:
                self.fail_next -= 1
                return _error(500, 20500, "Internal Server Error")
            to = fields.get("To", "")
            if not to:
                return _error(400, 21604, "A 'To' phone number is required.")
            if not fields.get("Body"):
                return _error(400, 21602, "Message body is required.")
            if not (fields.get("From") or fields.get("MessagingServiceSid")):
                return _error(400, 21603, "A 'From' phone number is required.")
            if to in self.invalid_numbers or not re.fullmatch(r"\+[1-9]\d{6,14}", to):
                return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            sid = f"SM{next(self._numbers):032x}"
            self.sids.append(sid)
        return 201, {"sid": sid, "account_sid": self.account_sid, "to": to, "from": fields.get("From"),
                     "messaging_service_sid": fields.get("MessagingServiceSid"), "body": fields["Body"],
                     "status": "queued", "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                     "error_code": None, "error_message": None,
                     "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"}
