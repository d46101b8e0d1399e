"""A local stand-in for Telegram's Bot API, served on 127.0.0.1 (an ephemeral port) from a thread, and the Updates
Telegram POSTs to a bot's webhook."""

from __future__ import annotations

import itertools
import json
import re
import time
import urllib.parse
from email.message import Message
from typing import Any

from .standins import JsonApi, Reply

TOKEN = "123456:TEST-bot-token"
_METHOD = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)")


def _error(code: int, description: str, **parameters: Any) -> dict[str, Any]:
    """An error answer as the Bot API writes it."""
    answer: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        answer["parameters"] = parameters
    return answer


class TelegramBotApi(JsonApi):
    """POST /bot<token>/sendMessage and /bot<token>/setWebhook with JSON, answered as the Bot API answers; another
    token gets 401 Unauthorized. Switches for the next sendMessage: `retry_after_next` (429 "Too Many Requests"
    with parameters.retry_after), `fail_next` (that many 500s), `block_next` (403 "Forbidden: bot was blocked by the
    user"); chat ids in `missing_chats` get 400 "Bad Request: chat not found"; `delay` sleeps before a success.
    Every sendMessage body lands in `requests`, the ids given in `message_ids`; setWebhook's body in `webhook`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[dict[str, Any]] = []
        self.message_ids: list[int] = []
        self.webhook: dict[str, Any] | None = None
        self.retry_after_next: int | None = None
        self.fail_next = 0
        self.block_next = False
        self.missing_chats: set[int] = set()
        self.delay = 0.0
        self._ids = itertools.count(1)
        super().__init__()

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        status, answer, delay = self.answer(path, headers.get("Content-Type", ""), body)
        retry = {"Retry-After": str(answer["parameters"]["retry_after"])} if status == 429 else {}
        return Reply(status, answer, delay, retry)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, path: str, content_type: str, raw: bytes) -> tuple[int, dict[str, Any], float]:
        found = _METHOD.fullmatch(urllib.parse.urlsplit(path).path)
        if not found or found["method"] not in ("sendMessage", "setWebhook"):
            return 404, _error(404, "Not Found"), 0.0
        if found["token"] != self.token:
            return 401, _error(401, "Unauthorized"), 0.0
        try:
            payload = json.loads(raw) if content_type.startswith("application/json") else None
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return 400, _error(400, "Bad Request: the request has no JSON object"), 0.0
        with self._lock:
            if found["method"] == "setWebhook":
                self.webhook = payload
                return 200, {"ok": True, "result": True, "description": "Webhook was set"}, 0.0
            self.requests.append(payload)
            return self._sent(payload)

    def _sent(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
        if self.retry_after_next is not None:
            seconds, self.retry_after_next = self.retry_after_next, None
            return 429, _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds), 0.0
        if self.fail_next > 0:
            self.fail_next -= 1
            return 500, _error(500, "Internal Server Error"), 0.0
        if self.block_next:
            self.block_next = False
            return 403, _error(403, "Forbidden: bot was blocked by the user"), 0.0
        chat_id, text = payload.get("chat_id"), payload.get("text")
        if not isinstance(chat_id, int) or chat_id in self.missing_chats:
            return 400, _error(400, "Bad Request: chat not found"), 0.0
        if not isinstance(text, str) or not text.strip():
            return 400, _error(400, "Bad Request: message text is empty"), 0.0
        message_id = next(self._ids)
        self.message_ids.append(message_id)
        return 200, {"ok": True, "result": {
            "message_id": message_id, "from": {"id": 123456, "is_bot": True, "first_name": "Regulars",
                                               "username": "RegularsShopBot"},
            "chat": {"id": chat_id, "type": "private"}, "date": int(time.time()), "text": text}}, self.delay


def update(chat_id: int, text: str, *, message_id: int = 1, date: int = 0, first_name: str = "Иван",
           last_name: str = "", update_id: int = 1, chat_type: str = "private") -> dict[str, Any]:
    """An Update with a `message`, as Telegram POSTs it to the webhook."""
    sender: dict[str, Any] = {"id": chat_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}
    if last_name:
        sender["last_name"] = last_name
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type, "first_name": first_name}
    if chat_type != "private":
        chat = {"id": chat_id, "type": chat_type, "title": "Автолюбители"}
    return {"update_id": update_id, "message": {"message_id": message_id, "from": sender, "chat": chat,
                                                "date": date or int(time.time()), "text": text}}
