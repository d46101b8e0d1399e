"""A local stand-in for the VK API's messages.send, served on 127.0.0.1 (an ephemeral port) from a thread, and the
Callback API events VK POSTs to a community's server."""

from __future__ import annotations

import itertools
import time
import urllib.parse
from email.message import Message
from typing import Any

from .standins import JsonApi, Reply

TOKEN = "vk1.a.TEST-community-token"
GROUP = 229000111


def _error(code: int, message: str, fields: dict[str, str]) -> dict[str, Any]:
    """An error answer as the VK API writes it (HTTP 200), echoing the parameters without the token."""
    params = [{"key": k, "value": v} for k, v in fields.items() if k != "access_token"]
    return {"error": {"error_code": code, "error_msg": message, "request_params": params}}


class VkApi(JsonApi):
    """POST /messages.send, form-encoded, answered as VK answers: another token gets error 5. A random_id the
    community has used already sends nothing and answers the first message's id, as VK deduplicates.
    Switches for the next messages.send: `too_many_next` (error 6), `internal_next` (error 10), `fail_next` (that many
    HTTP 500s); `deliver_anyway` makes those errors happen after the message was delivered (the outcome the client
    cannot know). User ids in `refused_users` get error 901. Every request's fields land in `requests`; what reached
    the customers in `delivered` (user id, text, random_id), the message ids by random_id in `by_random_id`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[dict[str, str]] = []
        self.delivered: list[tuple[int, str, int]] = []
        self.by_random_id: dict[int, int] = {}
        self.too_many_next = False
        self.internal_next = False
        self.fail_next = 0
        self.deliver_anyway = False
        self.refused_users: set[int] = set()
        self._ids = itertools.count(1001)
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/method"

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        if urllib.parse.urlsplit(path).path != "/method/messages.send":
            return Reply(404, {"error": {"error_code": 3, "error_msg": "Unknown method passed"}})
        fields = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        with self._lock:
            self.requests.append(fields)
            if fields.get("access_token") != self.token:
                return Reply(200, _error(5, "User authorization failed: invalid access_token (4).", fields))
            if self.too_many_next:
                self.too_many_next = False
                return Reply(200, _error(6, "Too many requests per second", fields))
            trouble = self._trouble(fields)
            if trouble is not None and not self.deliver_anyway:
                return trouble
            answer = self._send(fields)
            return trouble or answer

    def _trouble(self, fields: dict[str, str]) -> Reply | None:
        if self.internal_next:
            self.internal_next = False
            return Reply(200, _error(10, "Internal server error", fields))
        if self.fail_next > 0:
            self.fail_next -= 1
            return Reply(500, {"error": "Internal Server Error"})
        return None

    def _send(self, fields: dict[str, str]) -> Reply:
        try:
            user_id, random_id = int(fields["user_id"]), int(fields["random_id"])
        except (KeyError, ValueError):
            return Reply(200, _error(100, "One of the parameters specified was missing or invalid", fields))
        if not -(2**31) <= random_id < 2**31:
            return Reply(200, _error(100, "One of the parameters specified was missing or invalid: random_id "
                                          "is not an int32", fields))
        if user_id in self.refused_users:
            return Reply(200, _error(901, "Can't send messages for users without permission", fields))
        text = fields.get("message", "")
        if not text.strip():
            return Reply(200, _error(100, "One of the parameters specified was missing or invalid: message is "
                                          "empty or invalid", fields))
        if random_id and random_id in self.by_random_id:  # VK: the same random_id sends nothing new
            return Reply(200, {"response": self.by_random_id[random_id]})
        message_id = next(self._ids)
        self.delivered.append((user_id, text, random_id))
        if random_id:
            self.by_random_id[random_id] = message_id
        return Reply(200, {"response": message_id})


def event(kind: str, obj: dict[str, Any] | None = None, *, secret: str | None = None,
          group_id: int = GROUP) -> dict[str, Any]:
    """A Callback API event as VK POSTs it; `secret` None leaves the field out (as in "confirmation")."""
    body: dict[str, Any] = {"type": kind, "group_id": group_id}
    if obj is not None:
        body.update({"event_id": f"ev{abs(hash((kind, str(obj)))) % 10**9}", "v": "5.199", "object": obj})
    if secret is not None:
        body["secret"] = secret
    return body


def message_new(from_id: int, text: str, *, secret: str, message_id: int = 1, date: int = 0,
                peer_id: int | None = None, **extra: Any) -> dict[str, Any]:
    """A message_new event (API 5.103 and later: object.message and object.client_info)."""
    message = {"date": date or int(time.time()), "from_id": from_id, "id": message_id, "out": 0,
               "peer_id": from_id if peer_id is None else peer_id, "text": text, "conversation_message_id": message_id,
               "attachments": [], "important": False, "is_hidden": False, **extra}
    return event("message_new", {"message": message, "client_info": {"button_actions": ["text"], "keyboard": True,
                                                                      "inline_keyboard": True, "lang_id": 0}},
                 secret=secret)
