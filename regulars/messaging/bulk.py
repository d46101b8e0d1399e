"""Many template messages queued at once, for a set-based caller (a batch of order statuses): the same rules as
`services.message_send` with a template — same channel choice, template, rendering and address — read with a few
queries for the whole batch and written with one INSERT.

The callers hold the locks that make their keys unique within the transaction (an order's row lock); a key that
already exists is answered with its message, as `message_send` does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.customers.models import ContactPoint, Customer, Purpose
from regulars.platform.actor import Actor
from regulars.platform.errors import DomainError, ValidationFailed
from regulars.platform.events import publish_many
from regulars.platform.fastcopy import copy_objects

from .addressing import CONTACT_FOR_CHANNEL, channel_order, pick_address
from .models import Message, Template, TemplateVersion
from .services import pick_template, render_version, status_event, status_summary

# What choosing the channel and filling the template read of a card (a batch loads only these columns).
CUSTOMER_FIELDS = ("id", "first_name", "last_name", "middle_name", "preferred_channels", "home_branch__name",
                   "home_branch__phone", "home_branch__address")


@dataclass
class MessageRequest:
    customer_id: int
    template_key: str
    idempotency_key: str
    source: str
    context: dict[str, Any] = field(default_factory=dict)
    due_at: dt.datetime | None = None
    send_by: dt.datetime | None = None
    purpose: str = Purpose.SERVICE
    # Queued already superseded within the same transaction: stored held back with this reason, never sent.
    withdrawn_reason: str = ""


@dataclass
class _Reads:
    customers: dict[int, Customer]
    templates: dict[tuple[str, str], list[Template]]  # (key, channel) → active templates
    versions: dict[tuple[int, int], TemplateVersion]
    tags: dict[int, set[str]]
    contacts: dict[tuple[int, str], list[str]]  # (customer, kind) → values, primary first


def _read(requests: list[MessageRequest]) -> _Reads:
    customer_ids = {r.customer_id for r in requests}
    customers = Customer.objects.select_related("home_branch").only(*CUSTOMER_FIELDS).in_bulk(customer_ids)
    templates: dict[tuple[str, str], list[Template]] = defaultdict(list)
    for template in Template.objects.filter(key__in={r.template_key for r in requests}, is_active=True):
        templates[(template.key, template.channel)].append(template)
    wanted = Q()
    for group in templates.values():
        for template in group:
            wanted |= Q(template_id=template.pk, version=template.version)
    versions = {(v.template_id, v.version): v for v in TemplateVersion.objects.filter(wanted)} if wanted else {}
    tags: dict[int, set[str]] = defaultdict(set)
    for customer_id, name in Customer.tags.through.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "tag__name"):
        tags[customer_id].add(name)
    contacts: dict[tuple[int, str], list[str]] = defaultdict(list)
    for customer_id, kind, value in ContactPoint.objects.filter(customer_id__in=customer_ids).order_by(
            "-is_primary", "id").values_list("customer_id", "kind", "value"):
        contacts[(customer_id, kind)].append(value)
    return _Reads(customers, templates, versions, tags, contacts)


def _build(request: MessageRequest, reads: _Reads, actor: Actor, now: dt.datetime) -> Message:
    customer = reads.customers.get(request.customer_id)
    if customer is None:
        raise ValidationFailed(_("No such customer"), fields={"customer_id": _("not found")})
    tags = reads.tags.get(customer.pk, set())
    usable = {channel: template for channel in channel_order(customer)
              if (template := pick_template(reads.templates.get((request.template_key, channel), []), tags))}
    channels = list(usable)
    if not channels:
        raise ValidationFailed(_("The message could not be queued"), fields={
            "channel": _("the template has no text for this channel")})
    channel = channels[0]
    template = usable[channel]
    version = reads.versions[(template.pk, template.version)]
    body, subject = render_version(customer, version, request.context)
    kind = CONTACT_FOR_CHANNEL.get(channel)  # type: ignore[call-overload]
    message = Message(
        customer=customer, channel=channel, purpose=request.purpose,
        to=pick_address(reads.contacts.get((customer.pk, kind), []), channel) if kind else "",
        subject=subject[:300], body=body, template_version=version, template_key=request.template_key,
        context=request.context, idempotency_key=request.idempotency_key, due_at=request.due_at or now,
        send_by=request.send_by, source=request.source[:100], created_by_label=actor.label[:200],
        next_channels=channels[1:], created_at=now)
    if request.withdrawn_reason:
        message.status, message.status_reason = Message.Status.SUPPRESSED, request.withdrawn_reason[:300]
        message.finished_at = now
    return message


def messages_queue_many(*, actor: Actor, requests: list[MessageRequest]) -> list[Message | DomainError]:
    """One answer per request, in order: the queued (or already existing) message, or why it cannot be said.
    Inside the caller's transaction."""
    if not requests:
        return []
    existing = {m.idempotency_key: m for m in Message.objects.filter(
        idempotency_key__in=[r.idempotency_key for r in requests])}
    reads = _read([r for r in requests if r.idempotency_key not in existing])
    now = timezone.now()
    answers: list[Message | DomainError] = []
    new: list[Message] = []
    for request in requests:
        if request.idempotency_key in existing:
            answers.append(existing[request.idempotency_key])
            continue
        try:
            message = _build(request, reads, actor, now)
        except DomainError as exc:
            answers.append(exc)
            continue
        existing[request.idempotency_key] = message
        new.append(message)
        answers.append(message)
    copy_objects(Message, new)
    publish_many([status_event(m, "suppressed", status_summary(m)) for m in new
                  if m.status == Message.Status.SUPPRESSED], actor=Actor.system("messaging"))
    return answers


def messages_withdraw_many(*, reasons: dict[str, str]) -> int:
    """`messages_withdraw` for many sources at once (source → reason); returns how many were withdrawn. One UPDATE
    per distinct reason (a batch has a few: one per step an order moved to)."""
    if not reasons:
        return 0
    now = timezone.now()
    rows = list(Message.objects.select_for_update().filter(source__in=list(reasons), status=Message.Status.QUEUED)
                .values_list("id", "customer_id", "channel", "body", "source"))
    by_reason: dict[str, list[int]] = defaultdict(list)
    for pk, _customer, _channel, _body, source in rows:
        by_reason[reasons[source][:300]].append(pk)
    for reason, ids in by_reason.items():
        Message.objects.filter(pk__in=ids).update(status=Message.Status.SUPPRESSED, status_reason=reason,
                                                  finished_at=now)
    held = [Message(pk=pk, customer_id=customer, channel=channel, body=body, status=Message.Status.SUPPRESSED,
                    status_reason=reasons[source][:300]) for pk, customer, channel, body, source in rows]
    publish_many([status_event(m, "suppressed", status_summary(m)) for m in held], actor=Actor.system("messaging"))
    return len(rows)


def messages_withdraw(*, source: str, reason: str) -> int:
    """Hold back the messages of this source not yet taken by a sender (an order moved on: its older step's
    message would now be stale). Inside the caller's transaction; returns how many were withdrawn."""
    return messages_withdraw_many(reasons={source: reason})
