"""VK community messages through the VK API (https://dev.vk.com/method/messages.send) and the Callback API.

Send: POST <base_url>/messages.send, form-encoded access_token, v, user_id, message, random_id (the token travels in
the body, never in the URL). A community can only write to a numeric user id: the card keeps VK ids as lower-cased
handles, so "123456" (or "id123456", what vk.com/id123456 leaves) is sent and a screen name fails with an
explanation. The answer {"response": <message id>} (or [{"message_id": ...}] for peer_ids) gives our id.

random_id: VK keeps it with the message and sends nothing for a random_id it has already seen, answering the first
message's id, so the same Outgoing sent again (a worker died after VK took it) cannot reach the customer twice and
`takes_idempotency_key` is True. It is derived from our idempotency key: the first 8 bytes of its SHA-256, folded
into 1..2**31-1 (VK's random_id is an int32; 0 would mean "no check"). Two different keys collide with odds of
1 in 2**31 per pair. VK checks a random_id among the community's messages (in practice per conversation); for n
messages in that scope the odds of any collision are about n**2 / 2**32: 1 in ~4,300 at 1,000 messages to one
customer, small for one dialog, but ~2% at 10,000 if the scope is the whole community. A collision would make VK
drop the later message silently while we record it as sent.

Errors ({"error": {"error_code", "error_msg"}}, with HTTP 200): 6 "too many requests per second" → try again in a
second; 9 flood control → try again later; 10 internal error → try again, maybe sent (random_id keeps it once);
5 → the access token was refused; 7, 900 (blacklisted), 901 (the user has not allowed messages), 902 and others →
the message fails with VK's error_msg. HTTP 5xx, a timeout or an answer that is not JSON → try again, maybe sent.

Callback API: VK POSTs one event as JSON. {"type": "confirmation", "group_id": N} (sent when the server is added,
carrying no secret) is answered with the configured confirmation string. Every other event must carry "secret"
equal to the configured secret key (refused otherwise, and always while no secret key is configured). "message_new"
from a private dialog becomes an inbound message from its from_id; "message_deny" / "message_allow" (the user
forbade or allowed the community's messages, object.user_id) say whether the channel is open. VK repeats an event
until it gets exactly "ok", so every accepted event is answered "ok", including those we drop.

Config: access_token (community token with the "messages" right, required), group_id (required), confirmation,
secret_key, base_url (default https://api.vk.com/method), api_version (default 5.199), timeout (seconds, 15)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.error
import urllib.parse
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

DEFAULT_BASE_URL = "https://api.vk.com/method"
DEFAULT_VERSION = "5.199"
MAX_TEXT = 4096  # characters VK takes in one message (longer: error 914)
# Stored as the message's reason in English and shown translated, like the dispatcher's own reasons.
NOT_NUMERIC = gettext_noop("VK needs the customer's numeric user id (like 123456), not a screen name")
TOO_LONG = gettext_noop("the text is longer than the 4096 characters VK takes")
_USER_ID = re.compile(r"(?:id)?([1-9][0-9]{0,19})")
RETRY_LATER = {6: 1.0, 9: None}  # too many requests per second, flood control: not sent
MAYBE_SENT = {10}  # internal server error: the message may have gone


class VkProvider:
    name: ClassVar[str] = "vk"
    label: ClassVar[str] = "VK community messages"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("access_token", _("Community access token (messages right)"), secret=True, required=True),
        ConfigField("group_id", _("Community (group) id"), required=True, kind="number"),
        ConfigField("confirmation", _("Callback API confirmation string")),
        ConfigField("secret_key", _("Callback API secret key"), secret=True),
        ConfigField("base_url", _("API URL (default https://api.vk.com/method)")),
        ConfigField("api_version", _("API version (default 5.199)")),
        ConfigField("timeout", _("Timeout, seconds (default 15)"), kind="number"),
    )
    channels: ClassVar[tuple[str, ...]] = ("vk",)
    takes_idempotency_key: ClassVar[bool] = True
    reports_delivery: ClassVar[bool] = False  # the Callback API reports no delivery

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        found = _USER_ID.fullmatch(message.to.strip().lower())
        if not found:
            raise PermanentError(NOT_NUMERIC)
        if len(message.body) > MAX_TEXT:
            raise PermanentError(TOO_LONG)
        response = api_call(config, "messages.send", {"user_id": found.group(1), "message": message.body,
                                                      "random_id": str(random_id(message.idempotency_key))})
        if isinstance(response, list) and response and isinstance(response[0], dict):
            if response[0].get("error"):
                error = response[0]["error"]
                raise _refusal(error.get("code") if isinstance(error, dict) else None, error)
            response = response[0].get("message_id")
        if not whole(response):
            raise TemporaryError("VK answered without a message id", outcome_unknown=True)
        return Sent(provider_message_id=str(response))

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        try:
            event = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise WebhookRefused("not a Callback API event") from None
        if not isinstance(event, dict):
            raise WebhookRefused("not a Callback API event")
        group_id = str(config.get("group_id") or "").strip()
        if "group_id" in event and str(event.get("group_id")) != group_id:
            raise WebhookRefused("an event of another community")
        if event.get("type") == "confirmation":
            return WebhookAnswer(body=str(config.get("confirmation") or "").encode())
        expected, given = str(config.get("secret_key") or ""), event.get("secret")
        if not expected or not isinstance(given, str) or not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookRefused("wrong or missing Callback API secret")
        inbound = parse_message(event, group_id) if event.get("type") == "message_new" else None
        reachability = parse_permission(event)
        return WebhookAnswer(body=b"ok", inbound=[inbound] if inbound else [],
                             reachability=[reachability] if reachability else [])


def random_id(idempotency_key: str) -> int:
    """VK's random_id for our key: the same key always gives the same id, in 1..2**31-1."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % (2**31 - 1) + 1


def parse_message(event: Mapping[str, Any], group_id: str) -> Inbound | None:
    """The inbound message of a message_new event, or None for one we do not take (a chat, a community...)."""
    obj = event.get("object")
    message = obj.get("message", obj) if isinstance(obj, dict) else None  # before 5.103 the object is the message
    if not isinstance(message, dict):
        return None
    from_id, message_id, peer_id = message.get("from_id"), message.get("id"), message.get("peer_id")
    if not whole(from_id) or from_id <= 0 or not whole(message_id):
        return None  # communities write with negative ids
    if whole(peer_id) and peer_id != from_id:
        return None  # a group chat (peer_id 2000000000 + n) is not a customer
    text = message.get("text") or ""
    if not isinstance(text, str):
        return None
    attachments = message.get("attachments")
    if not text and isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        text = f"[{attachments[0].get('type') or 'attachment'}]"
    date = message.get("date")
    at = moment(date)
    # Message ids are counted per community: the group id keeps two communities' messages apart.
    return Inbound(sender=str(from_id), text=text, provider_message_id=f"{group_id}:{message_id}", at=at,
                   contact_kind="vk")


def parse_permission(event: Mapping[str, Any]) -> Reachability | None:
    """message_deny / message_allow: the user closed or reopened their dialog with the community."""
    kind, obj = event.get("type"), event.get("object")
    if kind not in ("message_deny", "message_allow") or not isinstance(obj, dict):
        return None
    user_id = obj.get("user_id")
    if not whole(user_id) or user_id <= 0:
        return None
    return Reachability(sender=str(user_id), contact_kind="vk", allowed=kind == "message_allow",
                        at=dt.datetime.now(tz=dt.UTC))


def api_call(config: Mapping[str, Any], method: str, params: Mapping[str, str]) -> Any:
    """One VK API method; its `response`, or TemporaryError / PermanentError. The token never appears in errors."""
    token = str(config.get("access_token") or "")
    if not token:
        raise PermanentError("no community access token configured")
    url = f"{str(config.get('base_url') or DEFAULT_BASE_URL).rstrip('/')}/{method}"
    form = {**params, "access_token": token, "v": str(config.get("api_version") or DEFAULT_VERSION)}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = call_json(request, timeout=float(config.get("timeout") or 15), name="VK", secret=token,
                       refusal=_http_refusal)
    if not isinstance(answer, dict) or "response" not in answer:
        error = answer.get("error") if isinstance(answer, dict) else None
        code = error.get("error_code") if isinstance(error, dict) else None
        raise _refusal(code, error)
    return answer["response"]


def _refusal(code: Any, error: Any) -> TemporaryError | PermanentError:
    error = error if isinstance(error, dict) else {}
    description = str(error.get("error_msg") or error.get("description") or f"error {code}")[:300]
    if not whole(code):
        return TemporaryError(f"VK answered without a response: {description}", outcome_unknown=True)
    if code in RETRY_LATER:
        return TemporaryError(f"VK: {description}", retry_after=RETRY_LATER[code])
    if code in MAYBE_SENT:
        return TemporaryError(f"VK: {description}", outcome_unknown=True)
    if code == 5:
        return PermanentError(f"the community access token was refused: {description}")
    return PermanentError(description)


PROVIDER = VkProvider()


def _http_refusal(exc: urllib.error.HTTPError) -> Exception:
    if exc.code >= 500:
        return TemporaryError(f"VK HTTP {exc.code}", outcome_unknown=True)
    if exc.code == 429:
        return TemporaryError("VK HTTP 429: too many requests")
    return PermanentError(f"VK HTTP {exc.code}")
