"""Telegram through the Bot API (https://core.telegram.org/bots/api).

Send: POST <base_url>/bot<token>/sendMessage with JSON {"chat_id": <numeric chat id>, "text": <body>} (plain text,
no parse_mode); the answer {"ok": true, "result": {"message_id": N, ...}} gives our id "<chat_id>:<N>". A bot can
only write to a person who started a chat with it: a card holding only a @username cannot be written to, the
message fails with an explanation and the customer should be sent the deep link (`deep_link`,
t.me/<bot>?start=<token>); the /start message it opens brings the numeric chat id to the card.

Errors as the Bot API reports them ({"ok": false, "error_code", "description", "parameters"}): 429 → try again
after parameters.retry_after seconds; 5xx, a timeout or an answer that is not JSON → try again, maybe sent (the
Bot API takes no idempotency key, so the dispatcher marks the retry ambiguous); 401/404 → the bot token is wrong;
400/403 and other 4xx (chat not found, bot blocked by the user) → the message fails with Telegram's description.
The Bot API tells a bot nothing about delivery or reading: a sent message stays "sent".

Webhook (registered with `set_webhook`, which passes the secret token): Telegram POSTs one Update as JSON with
`X-Telegram-Bot-Api-Secret-Token: <secret token>`; a request without the right one (or any request while no secret
token is configured) is refused. A `message` from a private chat becomes an inbound message from its chat id;
"/start <token>" carries a deep link's token. A `my_chat_member` update for a private chat whose new status is
"kicked" (the user blocked the bot) closes the channel; "member" (started it again) reopens it. Anything else is
answered 200 and dropped: Telegram repeats an update it got no 2xx for.

Config: bot_token (required), bot_username (for deep links), secret_token, base_url (default
https://api.telegram.org), timeout (seconds, default 15)."""

from __future__ import annotations

import hmac
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..base import (
    ConfigField,
    Inbound,
    Outgoing,
    PermanentError,
    Reachability,
    Sent,
    TemporaryError,
    WebhookAnswer,
    WebhookRefused,
    WebhookRequest,
)
from ..http import call_json
from ..payload import moment, whole

DEFAULT_BASE_URL = "https://api.telegram.org"
VERIFY_HEADER = "x-telegram-bot-api-secret-token"
MAX_TEXT = 4096  # characters after entity parsing, counted in UTF-16 code units
# Stored as the message's reason in English and shown translated, like the dispatcher's own reasons.
NOT_STARTED = gettext_noop("the customer has not started a chat with the bot; send them the link")
TOO_LONG = gettext_noop("the text is longer than the 4096 characters Telegram takes")
_CHAT_ID = re.compile(r"-?[0-9]{1,20}")
_START = re.compile(r"/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*")
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what t.me/<bot>?start= may carry
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
# What a message without text holds, in the order the Bot API documents the fields.
MEDIA = ("animation", "audio", "document", "photo", "sticker", "story", "video", "video_note", "voice", "contact",
         "dice", "game", "poll", "venue", "location")


class TelegramProvider:
    name: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram Bot API"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("bot_token", _("Bot token (from @BotFather)"), secret=True, required=True),
        ConfigField("bot_username", _("Bot username (for t.me links)")),
        ConfigField("secret_token", _("Webhook secret token"), secret=True),
        ConfigField("base_url", _("Bot API URL (default https://api.telegram.org)")),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )
    channels: ClassVar[tuple[str, ...]] = ("telegram",)
    takes_idempotency_key: ClassVar[bool] = False
    reports_delivery: ClassVar[bool] = False

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        chat_id = message.to.strip()
        if not _CHAT_ID.fullmatch(chat_id):  # a @username: bots cannot open a chat
            raise PermanentError(NOT_STARTED)
        if len(message.body.encode("utf-16-le")) // 2 > MAX_TEXT:
            raise PermanentError(TOO_LONG)
        result = bot_call(config, "sendMessage", {"chat_id": int(chat_id), "text": message.body})
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise TemporaryError("Telegram answered without a message id", outcome_unknown=True)
        return Sent(provider_message_id=f"{chat_id}:{message_id}")

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        expected = str(config.get("secret_token") or "")
        given = request.headers.get(VERIFY_HEADER, "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookRefused("wrong or missing X-Telegram-Bot-Api-Secret-Token")
        inbound = parse_update(request.body)
        reachability = parse_member(request.body)
        return WebhookAnswer(inbound=[inbound] if inbound else [], reachability=[reachability] if reachability else [])


def _update(body: bytes) -> dict[str, Any]:
    """The Update object, or {} for a body that is not one."""
    try:
        update = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return update if isinstance(update, dict) else {}


def parse_member(body: bytes) -> Reachability | None:
    """A private chat's my_chat_member update: the user blocked the bot ("kicked") or started it again."""
    member = _update(body).get("my_chat_member")
    if not isinstance(member, dict):
        return None
    chat, new = member.get("chat"), member.get("new_chat_member")
    if not isinstance(chat, dict) or not isinstance(new, dict) or chat.get("type") != "private":
        return None
    status, chat_id, date = new.get("status"), chat.get("id"), member.get("date")
    if status not in ("kicked", "member") or not whole(chat_id):
        return None
    at = moment(date)
    return Reachability(sender=str(chat_id), contact_kind="telegram", allowed=status == "member", at=at)


def parse_update(body: bytes) -> Inbound | None:
    """The inbound message of one Update, or None when it holds none we take (not JSON, an edit, a group...)."""
    message = _update(body).get("message")
    if not isinstance(message, dict):
        return None
    chat, sender = message.get("chat"), message.get("from")
    chat = chat if isinstance(chat, dict) else {}
    sender = sender if isinstance(sender, dict) else {}
    chat_id, message_id = chat.get("id"), message.get("message_id")
    if chat.get("type", "private") != "private" or not whole(chat_id) or not whole(message_id):
        return None  # groups and channels are not customers
    text = message.get("text") or message.get("caption") or ""
    if not isinstance(text, str):
        return None
    if not text:
        text = next((f"[{kind}]" for kind in MEDIA if kind in message), "")
    start_token = ""
    start = _START.fullmatch(text.strip())
    if start:
        payload = start.group(1) or ""
        start_token, text = (payload if _PAYLOAD.fullmatch(payload) else ""), "/start"
    names = (sender.get("first_name"), sender.get("last_name"))
    name = " ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    date = message.get("date")
    at = moment(date)
    return Inbound(sender=str(chat_id), text=text, provider_message_id=f"{chat_id}:{message_id}", at=at,
                   contact_kind="telegram", sender_name=name, start_token=start_token)


def deep_link(config: Mapping[str, Any], token: str) -> str:
    """https://t.me/<bot username>?start=<token>: opening it starts a chat with the bot that sends "/start <token>".
    ValueError when the account has no bot username or the token is not what Telegram allows (1-64 of A-Z a-z
    0-9 _ -; `inbound.chat_link_token` makes such tokens)."""
    username = str(config.get("bot_username") or "").strip().removeprefix("https://t.me/").removeprefix("@")
    if not _USERNAME.fullmatch(username):
        raise ValueError("the Telegram account has no bot username")
    if not _PAYLOAD.fullmatch(token):
        raise ValueError("a deep-link token is 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"https://t.me/{username}?start={token}"


def set_webhook(config: Mapping[str, Any], url: str) -> None:
    """Tell Telegram to POST this account's updates (messages only) to `url` with the secret token."""
    secret = str(config.get("secret_token") or "")
    if not secret:
        raise ValueError("set a webhook secret token first: without one every update is refused")
    bot_call(config, "setWebhook", {"url": url, "secret_token": secret, "allowed_updates": ["message"]})


def bot_call(config: Mapping[str, Any], method: str, payload: Mapping[str, Any]) -> Any:
    """One Bot API method; its `result`, or TemporaryError / PermanentError. The token never appears in errors."""
    token = str(config.get("bot_token") or "")
    if not token:
        raise PermanentError("no bot token configured")
    url = f"{str(config.get('base_url') or DEFAULT_BASE_URL).rstrip('/')}/bot{token}/{method}"
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(),  # noqa: S310
                                     method="POST", headers={"Content-Type": "application/json"})
    answer = call_json(request, timeout=float(config.get("timeout") or 15), name="Telegram", secret=token,
                       refusal=lambda exc: _refusal(exc.code, _body(exc), exc.headers.get("Retry-After")))
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        code = answer.get("error_code") if isinstance(answer, dict) else None
        raise _refusal(code if whole(code) else 500, answer, None)
    return answer.get("result")


def _refusal(code: int, answer: Any, retry_header: str | None) -> TemporaryError | PermanentError:
    answer = answer if isinstance(answer, dict) else {}
    description = str(answer.get("description") or f"HTTP {code}")[:300]
    parameters = answer.get("parameters") if isinstance(answer.get("parameters"), dict) else {}
    if code == 429:
        retry_after = parameters.get("retry_after", retry_header)
        try:
            seconds = max(0.0, float(retry_after)) if retry_after is not None else None
        except (TypeError, ValueError):
            seconds = None
        return TemporaryError(f"Telegram: {description}", retry_after=seconds)
    if code >= 500:
        return TemporaryError(f"Telegram HTTP {code}: {description}", outcome_unknown=True)
    if code in (401, 404):
        return PermanentError(f"the bot token was refused: {description}")
    return PermanentError(description)


def _body(error: urllib.error.HTTPError) -> Any:
    try:
        return json.loads(error.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


PROVIDER = TelegramProvider()
