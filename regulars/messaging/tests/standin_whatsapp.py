"""A local stand-in for Meta's WhatsApp Cloud API, served on 127.0.0.1 (an ephemeral port) from a thread, and
the webhook notifications Meta POSTs back, signed the way Meta signs them."""

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

VERSION = "v21.0"
_MESSAGES = re.compile(rf"^/{re.escape(VERSION)}/(?P<number_id>[^/]+)/messages$")


@dataclass(frozen=True)
class CloudRequest:
    path: str
    authorization: str
    json: dict[str, Any]


def graph_error(code: int, message: str, details: str = "") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


REENGAGEMENT_DETAILS = ("Message failed to send because more than 24 hours have passed since the customer last "
                        "replied to this number.")


class WhatsAppCloud(JsonApi):
    """POST /v21.0/<phone_number_id>/messages with `Authorization: Bearer <token>`. Every request to a messages
    path lands in `requests`; the ids handed out in `wamids`. Switches, each for that many requests: `rate_limit_next`
    (429, code 130429), `fail_next` (500, code 1), `reengagement_next` (400, code 131047). `delay` sleeps that long
    before answering."""

    def __init__(self, token: str = "EAAG-token", phone_number_id: str = "106540352242922") -> None:  # noqa: S107
        self.token = token
        self.phone_number_id = phone_number_id
        self.requests: list[CloudRequest] = []
        self.wamids: list[str] = []
        self.rate_limit_next = 0
        self.fail_next = 0
        self.reengagement_next = 0
        self.delay = 0.0
        super().__init__()

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        try:
            document = json.loads(body.decode("utf-8"))
        except ValueError:
            document = {}
        status, answer = self.answer(path, headers.get("Authorization", ""), document)
        return Reply(status, answer, self.delay)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def answer(self, path: str, authorization: str, document: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        found = _MESSAGES.match(urllib.parse.urlsplit(path).path)
        if found is None:
            return 404, graph_error(100, "Unknown path components")
        with self._lock:
            self.requests.append(CloudRequest(path=path, authorization=authorization, json=document))
            if authorization != f"Bearer {self.token}":
                return 401, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            if found["number_id"] != self.phone_number_id:
                return 400, graph_error(100, f"Unsupported post request. Object with ID '{found['number_id']}' "
                                             "does not exist")
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                return 429, graph_error(130429, "(#130429) Rate limit hit")
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, graph_error(1, "An unknown error occurred")
            if self.reengagement_next > 0:
                self.reengagement_next -= 1
                return 400, graph_error(131047, "(#131047) Re-engagement message", REENGAGEMENT_DETAILS)
            if document.get("messaging_product") != "whatsapp" or not document.get("to"):
                return 400, graph_error(100, "Invalid parameter")
            wamid = f"wamid.HBgLNzkxNjAwMDAwMDEVAgARGBI{next(self._numbers):06d}"
            self.wamids.append(wamid)
        to = str(document["to"])
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                     "messages": [{"id": wamid}]}


# What Meta POSTs to the webhook


def notification(value: dict[str, Any], phone_number_id: str = "106540352242922") -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "74950000000", "phone_number_id": phone_number_id},
                  **value}}]}]}


def status_value(wamid: str, status: str, timestamp: int, *, recipient: str = "79160000001",
                 error_title: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp), "recipient_id": recipient}
    if error_title:
        item["errors"] = [{"code": 131047, "title": error_title, "message": error_title,
                           "error_data": {"details": REENGAGEMENT_DETAILS}}]
    return {"statuses": [item]}


def text_value(sender: str, text: str, wamid: str, timestamp: int, *, name: str = "") -> dict[str, Any]:
    return {"contacts": [{"profile": {"name": name}, "wa_id": sender}],
            "messages": [{"from": sender, "id": wamid, "timestamp": str(timestamp), "type": "text",
                          "text": {"body": text}}]}


def signed(document: dict[str, Any], app_secret: str) -> tuple[bytes, str]:
    """The raw body and its X-Hub-Signature-256 header value."""
    body = json.dumps(document, ensure_ascii=False).encode()
    return body, "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
