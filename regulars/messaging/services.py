"""Writes of the messaging domain: templates, queueing a message, delivery reports, unsubscribing.

Sending itself happens in dispatch.py, from the rows written here, after they commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from regulars.customers.models import Channel, Customer, Purpose
from regulars.customers.services import consent_set
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import NotFound, ValidationFailed
from regulars.platform.events import EventSpec, publish

from . import rendering
from .addressing import address_for, channel_order, variables_for
from .models import FINAL, STATUS_RANK, Message, Template, TemplateVersion
from .providers.base import StatusUpdate
from .rules import sms_segments

MAX_BODY = 10_000


def template_save(*, actor: Actor, key: str, name: str, channel: str, body: str, subject: str = "",
                  category: str = "", purpose: str = Purpose.SERVICE, template_id: int | None = None) -> Template:
    """Create or edit a template; every change of its text is a new version (messages keep the one they used)."""
    errors: dict[str, str] = {}
    if channel not in Channel.values:
        errors["channel"] = _("one of: %(choices)s") % {"choices": ", ".join(Channel.values)}
    if purpose not in Purpose.values:
        errors["purpose"] = _("one of: %(choices)s") % {"choices": ", ".join(Purpose.values)}
    if not (key or "").strip():
        errors["key"] = _("required")
    if not (body or "").strip():
        errors["body"] = _("required")
    for field, text in (("body", body), ("subject", subject)):
        if field not in errors and text:
            try:
                rendering.check(text, field=field)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("The template could not be saved"), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        if template_id is None:
            template = Template(key=key.strip(), channel=channel, category=category.strip(), version=0)
        else:
            template = Template.objects.select_for_update().filter(pk=template_id).first()  # type: ignore[assignment]
            if template is None:
                raise NotFound(_("No such template"), fields={"template_id": _("not found")})
        text_changed = (template.body, template.subject) != (body, subject) or template.pk is None
        template.name, template.purpose, template.subject, template.body = name or key, purpose, subject, body
        template.updated_at = now
        if text_changed:
            template.version += 1
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            raise ValidationFailed(_("The template could not be saved"), fields={
                "key": _("a template with this key, channel and category exists")}) from None
        if text_changed:
            TemplateVersion.objects.create(template=template, version=template.version, subject=subject, body=body,
                                           created_at=now, created_by_label=actor.label[:200])
        audit_record(actor=actor, action="template.save", object_type="template", object_id=template.pk,
                     object_label=str(template), changes={"version": template.version, "body": body})
    return template


def template_edit(*, actor: Actor, template_id: int, name: str, body: str, subject: str = "",
                  purpose: str = Purpose.SERVICE) -> Template:
    """A new version of an existing template (its key, channel and category stay)."""
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound(_("No such template"), fields={"template_id": _("not found")})
    return template_save(actor=actor, template_id=template.pk, key=template.key, channel=template.channel,
                         category=template.category, name=name, body=body, subject=subject, purpose=purpose)


def template_preview(*, customer: Customer, body: str, subject: str = "",
                     context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The text as this customer would get it, with its SMS length; writes nothing."""
    variables = variables_for(customer, context)
    rendered = rendering.render(body, variables)
    characters, segments, encoding = sms_segments(rendered)
    return {"subject": rendering.render(subject, variables) if subject else "", "body": rendered,
            "characters": characters, "sms_segments": segments, "encoding": encoding}


def template_for(key: str, channel: str, customer: Customer) -> Template | None:
    """The customer's category wins (a tag of the card naming a category), then the template for everyone."""
    return pick_template(list(Template.objects.filter(key=key, channel=channel, is_active=True)),
                         set(customer.tags.values_list("name", flat=True)))


def pick_template(candidates: list[Template], tags: set[str]) -> Template | None:
    """Of one key's active templates for one channel: the customer's category, else the one for everyone."""
    for template in candidates:
        if template.category and template.category in tags:
            return template
    return next((t for t in candidates if not t.category), None)


def render_version(customer: Customer, version: TemplateVersion, context: dict[str, Any]) -> tuple[str, str]:
    """(body, subject) for this customer; ValidationFailed naming the values the template needs and lacks."""
    variables = variables_for(customer, context)
    absent = rendering.missing(version.body + " " + version.subject, variables)
    if absent:
        raise ValidationFailed(_("The message could not be queued"), fields={
            "template": _("the template needs %(names)s, which this message does not have") % {
                "names": ", ".join(absent)}})
    return rendering.render(version.body, variables), rendering.render(version.subject, variables)


def _compose(customer: Customer, channel: str, *, template_key: str, text: str, subject: str,
             context: dict[str, Any], rendered: bool = False) -> tuple[str, str, TemplateVersion | None]:
    if rendered:  # a fallback of a free text: the words are already the customer's, render nothing again
        return text, subject, None
    if not template_key:
        variables = variables_for(customer, context)
        return rendering.render(text, variables), rendering.render(subject, variables) if subject else "", None
    template = template_for(template_key, channel, customer)
    if template is None:
        return "", "", None
    version = template.versions.get(version=template.version)
    body, subject_text = render_version(customer, version, context)
    return body, subject_text, version


def message_send(*, actor: Actor, customer_id: int, purpose: str = Purpose.SERVICE, text: str = "",
                 subject: str = "", template_key: str = "", channel: str = "", context: dict[str, Any] | None = None,
                 idempotency_key: str, due_at: dt.datetime | None = None, send_by: dt.datetime | None = None,
                 source: str = "") -> tuple[Message, bool]:
    """Queue one message; returns (message, created). The same idempotency key again returns the first message,
    whatever else was asked, and queues nothing. The worker sends it after this transaction commits."""
    existing = Message.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    errors: dict[str, str] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = _("one of: %(choices)s") % {"choices": ", ".join(Purpose.values)}
    if channel and channel not in Channel.values:
        errors["channel"] = _("one of: %(choices)s") % {"choices": ", ".join(Channel.values)}
    if bool(text.strip()) == bool(template_key):
        errors["text" if not template_key else "template"] = _("give either a text or a template")
    if len(text) > MAX_BODY:
        errors["text"] = _("at most %(n)s characters") % {"n": MAX_BODY}
    if not idempotency_key or len(idempotency_key) > 255:
        errors["idempotency_key"] = _("required, at most 255 characters")
    for field, value in (("text", text), ("subject", subject)):
        if value and field not in errors:
            try:
                rendering.check(value, field=field)
            except ValidationFailed as exc:
                errors.update(exc.fields)
    customer = Customer.objects.select_related("home_branch").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer"), fields={"customer_id": _("not found")})
    if customer.status == Customer.Status.MERGED and customer.merged_into_id:
        customer = Customer.objects.select_related("home_branch").get(pk=customer.merged_into_id)
    if template_key and not errors and not Template.objects.filter(key=template_key, is_active=True).exists():
        errors["template"] = _("no such template")
    if errors:
        raise ValidationFailed(_("The message could not be queued"), fields=errors)
    channels = channel_order(customer, wanted=channel)
    if template_key:  # only channels the template is written for
        written = set(Template.objects.filter(key=template_key, is_active=True).values_list("channel", flat=True))
        channels = [c for c in channels if c in written]
        if not channels:
            raise ValidationFailed(_("The message could not be queued"), fields={
                "channel": _("the template has no text for this channel")})
    try:
        with transaction.atomic():
            message = _queue(customer, channels, purpose=purpose, text=text, subject=subject,
                             template_key=template_key, context=context or {}, key=idempotency_key,
                             due_at=due_at, send_by=send_by, source=source, actor=actor)
    except IntegrityError:  # the same key queued concurrently: the first one wins
        return Message.objects.get(idempotency_key=idempotency_key), False
    return message, True


def _queue(customer: Customer, channels: list[str], *, purpose: str, text: str, subject: str, template_key: str,
           context: dict[str, Any], key: str, due_at: dt.datetime | None, send_by: dt.datetime | None, source: str,
           actor: Actor, fallback_of: Message | None = None) -> Message:
    channel, rest = channels[0], channels[1:]
    body, subject_text, version = _compose(customer, channel, template_key=template_key, text=text,
                                           subject=subject, context=context,
                                           rendered=fallback_of is not None and not template_key)
    return Message.objects.create(
        customer=customer, channel=channel, purpose=purpose, to=address_for(customer.pk, channel),
        subject=subject_text[:300], body=body or text, template_version=version, template_key=template_key,
        context=context, idempotency_key=key, due_at=due_at or timezone.now(), send_by=send_by, source=source[:100],
        created_by_label=actor.label[:200], next_channels=rest, fallback_of=fallback_of, created_at=timezone.now(),
    )


def message_fall_back(message: Message, *, reason: str) -> Message | None:
    """The same message in the next channel of its list (inside the caller's transaction), or None at the end."""
    if not message.next_channels:
        return None
    customer = Customer.objects.select_related("home_branch").get(pk=message.customer_id)
    key = f"{message.idempotency_key}>{message.next_channels[0]}"
    existing = Message.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    channels = list(message.next_channels)
    if message.template_key:
        written = set(Template.objects.filter(key=message.template_key, is_active=True)
                      .values_list("channel", flat=True))
        channels = [c for c in channels if c in written]
        if not channels:
            return None
    return _queue(customer, channels, purpose=message.purpose, text=message.body if not message.template_key else "",
                  subject=message.subject, template_key=message.template_key, context=message.context, key=key,
                  due_at=None, send_by=message.send_by, source=message.source,
                  actor=Actor.system(f"fallback after {message.channel}: {reason}"[:100]), fallback_of=message)


def status_event(message: Message, name: str, summary: str) -> EventSpec:
    return EventSpec(name=f"message.{name}", subject_type="customer", subject_id=message.customer_id,
                     payload={"customer_id": message.customer_id, "summary": summary[:300], "message_id": message.pk,
                              "channel": message.channel, "status": message.status,
                              "reason": message.status_reason})


def emit_status(message: Message, name: str, summary: str) -> None:
    spec = status_event(message, name, summary)
    publish(spec.name, subject_type=spec.subject_type, subject_id=spec.subject_id, payload=spec.payload,
            actor=Actor.system("messaging"))


def channel_label(channel: str) -> str:
    """The channel's name in the business's language: timeline text is stored, whoever's request wrote it."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(dict(Channel.choices).get(channel, channel))


def status_summary(message: Message) -> str:
    """"E-mail (why, if held back): the first words". The entry's kind already says sent/delivered/…; the text is
    stored, so it is written in the business's language, whoever's request or worker wrote it."""
    text = message.body.replace("\n", " ")
    excerpt = text[:80] + ("…" if len(text) > 80 else "")
    label = channel_label(message.channel)
    reason = f" ({message.status_reason})" if message.status_reason else ""
    return f"{label}{reason}: {excerpt}"


def messages_apply_reports(*, provider: str, updates: Iterable[StatusUpdate]) -> int:
    """Delivery reports, in any order and any number of times: a status only moves forward. Returns how many
    messages changed."""
    changed = 0
    for update in updates:
        with transaction.atomic():
            message = (Message.objects.select_for_update()
                       .filter(provider=provider, provider_message_id=update.provider_message_id).first())
            if message is None or not _moves_forward(message.status, update.status):
                continue
            message.status = update.status
            field = {"sent": "sent_at", "delivered": "delivered_at", "read": "read_at"}.get(update.status)
            if field and getattr(message, field) is None:
                setattr(message, field, update.at)
            if update.status == Message.Status.FAILED:
                message.status_reason, message.finished_at = update.reason[:300], update.at
            message.save(update_fields=["status", "sent_at", "delivered_at", "read_at", "status_reason",
                                        "finished_at"])
            emit_status(message, update.status, status_summary(message))
            if update.status == Message.Status.FAILED:
                message_fall_back(message, reason=update.reason)
            changed += 1
    return changed


def _moves_forward(current: str, new: str) -> bool:
    if current in FINAL or current == new:
        return False
    if new == Message.Status.FAILED:  # a failure report after "delivered" is stale
        return STATUS_RANK.get(current, 0) < STATUS_RANK["delivered"]
    return STATUS_RANK.get(new, -1) > STATUS_RANK.get(current, 99)


def unsubscribe(*, message_id: int, via: str) -> Message:
    """One-click unsubscribe from advertising in the message's channel, effective at once."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("No such message"), fields={"message": _("not found")})
    with transaction.atomic():
        consent_set(actor=Actor.system(f"unsubscribe:{via}"), customer_id=message.customer_id,
                    channel=message.channel, purpose=Purpose.MARKETING, granted=False,
                    source=f"unsubscribe ({via}) from message #{message.pk}")
    return message

