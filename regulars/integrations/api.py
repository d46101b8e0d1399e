"""The integrations API: custom events, webhook subscriptions and their delivery log, inbound endpoints, and the
signed inbound webhook itself."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Query, Router, Status

from regulars.customers.selectors import viewer_of
from regulars.org.permissions import require
from regulars.platform.actor import Actor, client_ip
from regulars.platform.errors import ValidationFailed

from . import services
from .events_api import event_record, received_event_json
from .inbound import endpoint_url_path, inbound_receive
from .models import InboundEndpoint, WebhookDelivery, WebhookSubscription
from .schemas import (
    DeliveryOut,
    DeliveryPage,
    EventIn,
    EventOut,
    InboundEndpointCreated,
    InboundEndpointIn,
    InboundEndpointOut,
    PageQuery,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    customer_ref_of,
)
from .selectors import (
    inbound_endpoints,
    received_event_get_for_user,
    webhook_deliveries,
    webhook_subscription_get,
    webhook_subscriptions,
)

router = Router(tags=["integrations"])
PERMISSION = "webhooks.manage"


# ---- custom events ------------------------------------------------------------------------------------------

@router.post("/events", response={200: EventOut, 201: EventOut}, summary="Record a custom event about a customer",
             description="Business events of your programs (`visit.completed`, `eye_test.done`): the customer is "
                         "found by `id`, `source`+`external_id`, `phone` or `email` (a card is started when none "
                         "matches), the event lands on the card's history and goes out to webhooks. The "
                         "`Idempotency-Key` header is required: the same key again answers 200 with the first "
                         "event and records nothing.")
def record_event(request: HttpRequest, payload: EventIn,
                 idempotency_key: str = Header("", alias="Idempotency-Key")) -> Any:
    require(request, "customers.edit")
    key = idempotency_key.strip()
    if not key or len(key) > 200:
        raise ValidationFailed("Invalid request", fields={"Idempotency-Key": "required, at most 200 characters"})
    api_key = getattr(request, "api_key", None)
    client = f"key{api_key.pk}" if api_key is not None else f"user{request.user.pk}"
    received, created = event_record(
        actor=Actor.from_request(request), name=payload.name, customer_ref=customer_ref_of(payload.customer),
        occurred_at=payload.occurred_at, data=payload.data, summary=payload.summary,
        idempotency_key=f"api:{client}:{key}")
    return Status(201 if created else 200, received_event_json(received))


@router.get("/events/{int:received_id}", response=EventOut, summary="Get a recorded custom event")
def get_event(request: HttpRequest, received_id: int) -> Any:
    require(request, "customers.view")
    return received_event_json(received_event_get_for_user(viewer_of(request), received_id))


# ---- outbound webhooks --------------------------------------------------------------------------------------

def webhook_json(subscription: WebhookSubscription, *, with_secret: bool = False) -> dict[str, Any]:
    out = {"id": subscription.pk, "url": subscription.url, "description": subscription.description,
           "event_types": list(subscription.event_types), "is_active": subscription.is_active,
           "created_at": subscription.created_at,
           "previous_secret_until": subscription.grace_until(timezone.now())}
    return out | {"secret": subscription.secret} if with_secret else out


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk, "subscription_id": delivery.subscription_id, "event_id": delivery.event_id,
        "event_type": delivery.event.name, "msg_id": delivery.msg_id, "status": delivery.status,
        "attempts": delivery.attempts, "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code, "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "attempt_log": [{"number": a.number, "attempted_at": a.attempted_at, "status_code": a.status_code,
                         "duration_ms": a.duration_ms, "error": a.error, "response_excerpt": a.response_excerpt}
                        for a in delivery.attempt_log.all()],
    }


@router.get("/webhooks", response=list[WebhookOut], summary="Webhook subscriptions")
def list_webhooks(request: HttpRequest) -> Any:
    require(request, PERMISSION)
    return [webhook_json(s) for s in webhook_subscriptions()]


@router.post("/webhooks", response={201: WebhookCreated}, summary="Subscribe a URL to events",
             description="`event_types` holds names (`order.status_changed`), prefixes (`order.*`) or `*`. Each "
                         "POST is signed as Standard Webhooks define (webhook-id, webhook-timestamp, "
                         "webhook-signature); the signing `secret` is in this answer only.")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    require(request, PERMISSION)
    subscription = services.webhook_subscription_save(actor=Actor.from_request(request), **payload.model_dump())
    return Status(201, webhook_json(subscription, with_secret=True))


@router.get("/webhooks/{int:subscription_id}", response=WebhookOut, summary="A webhook subscription")
def get_webhook(request: HttpRequest, subscription_id: int) -> Any:
    require(request, PERMISSION)
    return webhook_json(webhook_subscription_get(subscription_id))


@router.patch("/webhooks/{int:subscription_id}", response=WebhookOut, summary="Change a webhook subscription")
def patch_webhook(request: HttpRequest, subscription_id: int, payload: WebhookPatch) -> Any:
    require(request, PERMISSION)
    current = webhook_subscription_get(subscription_id)
    changes = payload.model_dump(exclude_none=True)
    subscription = services.webhook_subscription_save(
        actor=Actor.from_request(request), subscription_id=current.pk, url=changes.get("url", current.url),
        event_types=changes.get("event_types", current.event_types),
        description=changes.get("description", current.description),
        is_active=changes.get("is_active", current.is_active))
    return webhook_json(subscription)


@router.delete("/webhooks/{int:subscription_id}", response={204: None}, summary="Delete a webhook subscription")
def delete_webhook(request: HttpRequest, subscription_id: int) -> Any:
    require(request, PERMISSION)
    services.webhook_subscription_delete(actor=Actor.from_request(request), subscription_id=subscription_id)
    return Status(204, None)


@router.post("/webhooks/{int:subscription_id}/rotate-secret", response=WebhookCreated,
             summary="A new signing secret (shown in this answer only)")
def rotate_webhook_secret(request: HttpRequest, subscription_id: int) -> Any:
    require(request, PERMISSION)
    subscription = services.webhook_secret_rotate(actor=Actor.from_request(request), subscription_id=subscription_id)
    return webhook_json(subscription, with_secret=True)


@router.get("/webhooks/{int:subscription_id}/deliveries", response=DeliveryPage,
            summary="A subscription's deliveries, newest first, with their attempts")
def list_deliveries(request: HttpRequest, subscription_id: int, query: Query[PageQuery]) -> Any:
    require(request, PERMISSION)
    if not 1 <= query.limit <= 200:
        raise ValidationFailed("Invalid limit", fields={"limit": "between 1 and 200"})
    if query.offset < 0:
        raise ValidationFailed("Invalid offset", fields={"offset": "0 or more"})
    webhook_subscription_get(subscription_id)
    rows = list(webhook_deliveries(subscription_id)[query.offset: query.offset + query.limit + 1])
    more = len(rows) > query.limit
    return {"items": [delivery_json(d) for d in rows[: query.limit]],
            "next_offset": query.offset + query.limit if more else None}


@router.post("/webhooks/deliveries/{int:delivery_id}/redeliver", response={202: DeliveryOut},
             summary="Send a delivery again now (a new attempt)")
def redeliver(request: HttpRequest, delivery_id: int) -> Any:
    require(request, PERMISSION)
    delivery = services.webhook_redeliver(actor=Actor.from_request(request), delivery_id=delivery_id)
    return Status(202, delivery_json(webhook_deliveries(delivery.subscription_id).get(pk=delivery.pk)))


# ---- inbound endpoints --------------------------------------------------------------------------------------

def endpoint_json(request: HttpRequest, endpoint: InboundEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    out = {"id": endpoint.pk, "name": endpoint.name, "source": endpoint.source, "is_active": endpoint.is_active,
           "created_at": endpoint.created_at, "url": request.build_absolute_uri(endpoint_url_path(endpoint.pk)),
           "previous_secret_until": endpoint.grace_until(timezone.now())}
    return out | {"secret": endpoint.secret} if with_secret else out


@router.get("/inbound-endpoints", response=list[InboundEndpointOut], summary="Inbound webhook endpoints")
def list_inbound_endpoints(request: HttpRequest) -> Any:
    require(request, PERMISSION)
    return [endpoint_json(request, e) for e in inbound_endpoints()]


@router.post("/inbound-endpoints", response={201: InboundEndpointCreated},
             summary="Create an inbound endpoint for an ERP or a shop (the secret is in this answer only)")
def create_inbound_endpoint(request: HttpRequest, payload: InboundEndpointIn) -> Any:
    require(request, PERMISSION)
    endpoint = services.inbound_endpoint_save(actor=Actor.from_request(request), **payload.model_dump())
    return Status(201, endpoint_json(request, endpoint, with_secret=True))


@router.post("/inbound/{int:endpoint_id}", auth=None, url_name="inbound_webhook",
             summary="A signed webhook from an ERP or a shop",
             description="Signed as Standard Webhooks define, with the endpoint's secret: `webhook-id` (a repeat "
                         "is refused with 409), `webhook-timestamp` (within 5 minutes) and `webhook-signature`. "
                         'Body: `{"type": "event" | "order" | "order.status" | "orders.batch", "data": {...}}`; '
                         "`event` takes the fields of POST /events.")
def inbound(request: HttpRequest, endpoint_id: int) -> Any:
    return inbound_receive(endpoint_id=endpoint_id, headers=dict(request.headers), body=request.body,
                           ip=client_ip(request))
