"""The messaging part of the REST API: send, list and read messages; templates; providers' callbacks."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema, Status

from regulars.customers.selectors import customer_get_for_user, viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor
from regulars.platform.errors import ValidationFailed

from . import rendering, services
from .models import Message, Template
from .selectors import MessageFilters, message_get_for_user, message_list
from .webhooks import webhook_response

router = Router(tags=["messages"])


class MessageIn(Schema):
    customer_id: int
    purpose: str = "service"
    channel: str = ""
    text: str = ""
    subject: str = ""
    template: str = ""
    context: dict[str, Any] = {}
    send_by: dt.datetime | None = None
    due_at: dt.datetime | None = None


class MessageOut(Schema):
    id: int
    customer_id: int
    channel: str
    purpose: str
    to: str
    subject: str
    body: str
    template: str
    template_version: int | None
    status: str
    status_reason: str
    ambiguous: bool
    provider: str
    provider_message_id: str
    attempts: int
    fallback_of: int | None
    next_channels: list[str]
    due_at: dt.datetime
    send_by: dt.datetime | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None


class MessagePage(Schema):
    items: list[MessageOut]
    next_offset: int | None


class ListQuery(Schema):
    customer_id: int | None = None
    channel: str = ""
    status: str = ""
    purpose: str = ""
    limit: int = 50
    offset: int = 0


def message_json(message: Message) -> dict[str, Any]:
    version = message.template_version.version if message.template_version_id else None  # type: ignore[union-attr]
    return {
        "id": message.pk, "customer_id": message.customer_id, "channel": message.channel,
        "purpose": message.purpose, "to": message.to, "subject": message.subject, "body": message.body,
        "template": message.template_key, "template_version": version, "status": message.status,
        "status_reason": message.status_reason, "ambiguous": message.ambiguous, "provider": message.provider,
        "provider_message_id": message.provider_message_id, "attempts": message.attempts,
        "fallback_of": message.fallback_of_id, "next_channels": message.next_channels, "due_at": message.due_at,
        "send_by": message.send_by, "created_at": message.created_at, "sent_at": message.sent_at,
        "delivered_at": message.delivered_at, "read_at": message.read_at,
    }


@router.post("/messages", response={200: MessageOut, 201: MessageOut}, summary="Send a message",
             description="Either `text` or `template` (its key; rendered per channel and customer category). "
                         "Without `channel` the card's preferred order is used, falling back to the next channel "
                         "when one is impossible. Send an `Idempotency-Key` header: the same key again answers "
                         "200 with the first message and sends nothing more.")
def send(request: HttpRequest, payload: MessageIn, idempotency_key: str = Header("", alias="Idempotency-Key")) -> Any:
    require(request, "messages.send")
    customer = customer_get_for_user(viewer_of(request), payload.customer_id)
    api_key = getattr(request, "api_key", None)
    client = f"key{api_key.pk}" if api_key is not None else f"user{request.user.pk}"
    key = f"api:{client}:{idempotency_key or uuid.uuid4().hex}"
    message, created = services.message_send(
        actor=Actor.from_request(request), customer_id=customer.pk, purpose=payload.purpose, text=payload.text,
        subject=payload.subject, template_key=payload.template, channel=payload.channel, context=payload.context,
        idempotency_key=key, due_at=payload.due_at, send_by=payload.send_by, source="api")
    return Status(201 if created else 200, message_json(message))


@router.get("/messages", response=MessagePage, summary="List messages, newest first")
def list_messages(request: HttpRequest, query: Query[ListQuery]) -> Any:
    require(request, "messages.view")
    if not 1 <= query.limit <= 200:
        raise ValidationFailed("Invalid limit", fields={"limit": "between 1 and 200"})
    if query.offset < 0:
        raise ValidationFailed("Invalid offset", fields={"offset": "0 or more"})
    filters = MessageFilters(customer_id=query.customer_id, channel=query.channel, status=query.status,
                             purpose=query.purpose)
    rows = list(message_list(viewer_of(request), filters).select_related("template_version")
                [query.offset: query.offset + query.limit + 1])
    more = len(rows) > query.limit
    return {"items": [message_json(m) for m in rows[: query.limit]],
            "next_offset": query.offset + query.limit if more else None}


@router.get("/messages/{message_id}", response=MessageOut, summary="Get a message")
def get_message(request: HttpRequest, message_id: int) -> Any:
    require(request, "messages.view")
    return message_json(message_get_for_user(viewer_of(request), message_id))


class TemplateEdit(Schema):
    name: str = ""
    purpose: str = "service"
    subject: str = ""
    body: str


class TemplateIn(TemplateEdit):
    key: str
    channel: str
    category: str = ""


class TemplateOut(Schema):
    id: int
    key: str
    name: str
    channel: str
    category: str
    purpose: str
    subject: str
    body: str
    version: int


class PreviewIn(Schema):
    customer_id: int
    body: str
    subject: str = ""
    context: dict[str, Any] = {}


class PreviewOut(Schema):
    subject: str
    body: str
    characters: int
    sms_segments: int
    encoding: str


def template_json(template: Template) -> dict[str, Any]:
    return {f: getattr(template, f) for f in ("key", "name", "channel", "category", "purpose", "subject", "body",
                                              "version")} | {"id": template.pk}


@router.get("/templates", response=list[TemplateOut], summary="Message templates")
def list_templates(request: HttpRequest) -> Any:
    require(request, "messages.view")
    return [template_json(t) for t in Template.objects.filter(is_active=True)]


@router.post("/templates", response={201: TemplateOut}, summary="Create a template",
             description="Variables: " + ", ".join(f"`{{{{ {v} }}}}`" for v in rendering.VARIABLES) +
                         ". Only `if`/`elif`/`else` tags and a few text filters are allowed.")
def create_template(request: HttpRequest, payload: TemplateIn) -> Any:
    require(request, "templates.manage")
    template = services.template_save(actor=Actor.from_request(request), **payload.model_dump())
    return Status(201, template_json(template))


@router.put("/templates/{int:template_id}", response=TemplateOut, summary="Edit a template (a new version)")
def edit_template(request: HttpRequest, template_id: int, payload: TemplateEdit) -> Any:
    require(request, "templates.manage")
    template = services.template_edit(actor=Actor.from_request(request), template_id=template_id,
                                      **payload.model_dump())
    return template_json(template)


@router.post("/templates/preview", response=PreviewOut, summary="Render a text for a real customer")
def preview(request: HttpRequest, payload: PreviewIn) -> Any:
    require(request, "messages.view")
    customer = customer_get_for_user(viewer_of(request), payload.customer_id)
    return services.template_preview(customer=customer, body=payload.body, subject=payload.subject,
                                     context=payload.context)


@router.api_operation(["GET", "POST"], "/messaging/callbacks/{account_id}/{secret}", auth=None,
                      url_name="provider_callback",
                      summary="A provider's webhook: delivery reports and inbound messages",
                      description="The URL given to the provider, with the account's secret in it. GET answers "
                                  "a provider's verification handshake where it has one.")
def provider_callback(request: HttpRequest, account_id: int, secret: str) -> HttpResponse:
    return webhook_response(request, account_id=account_id, secret=secret)
