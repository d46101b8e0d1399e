"""The journey settings: what the customer is told at each step of a flow, the reminders while an order waits,
and the low-pickup rule. Audited like every other setting."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from regulars.messaging.models import Template
from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import NotFound, ValidationFailed

from ..models import Flow, OrdersPolicy, OrderStatus, StatusReminder

MAX_MINUTES = 60 * 24 * 60  # two months


def _template_exists(key: str) -> bool:
    return Template.objects.filter(key=key, is_active=True).exists()


@transaction.atomic
def step_save(*, actor: Actor, status_id: int, name: str, notify: bool, template_key: str, delay_minutes: int,
              send_within_minutes: int | None) -> OrderStatus:
    status = OrderStatus.objects.select_for_update().select_related("flow").filter(pk=status_id).first()
    if status is None:
        raise NotFound(_("No such status"), fields={"status_id": _("not found")})
    errors: dict[str, str] = {}
    name = (name or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("required, at most 100 characters")
    template_key = (template_key or "").strip()
    if notify and not template_key:
        errors["template_key"] = _("choose the template to send")
    elif template_key and not _template_exists(template_key):
        errors["template_key"] = _("no such template")
    if not 0 <= delay_minutes <= MAX_MINUTES:
        errors["delay_minutes"] = _("from 0 to %(n)s") % {"n": MAX_MINUTES}
    if send_within_minutes is not None and not 1 <= send_within_minutes <= MAX_MINUTES:
        errors["send_within_minutes"] = _("from 1 to %(n)s, or empty for no limit") % {"n": MAX_MINUTES}
    elif send_within_minutes is not None and send_within_minutes <= delay_minutes:
        errors["send_within_minutes"] = _("must be longer than the delay")
    if errors:
        raise ValidationFailed(_("The step could not be saved"), fields=errors)
    before = {"name": status.name, "notify": status.notify, "template_key": status.template_key,
              "delay_minutes": status.delay_minutes, "send_within_minutes": status.send_within_minutes}
    status.name, status.notify, status.template_key = name, notify, template_key
    status.delay_minutes, status.send_within_minutes = delay_minutes, send_within_minutes
    status.save()
    after = {k: getattr(status, k) for k in before}
    audit_record(actor=actor, action="orders.step_save", object_type="order_status", object_id=status.pk,
                 object_label=str(status), changes={k: [before[k], after[k]] for k in before if before[k] != after[k]})
    return status


@transaction.atomic
def reminder_save(*, actor: Actor, status_id: int, after_days: int, template_key: str, is_last: bool,
                  reminder_id: int | None = None) -> StatusReminder:
    status = OrderStatus.objects.filter(pk=status_id).first()
    if status is None:
        raise NotFound(_("No such status"), fields={"status_id": _("not found")})
    errors: dict[str, str] = {}
    if not 1 <= after_days <= 365:
        errors["after_days"] = _("from 1 to 365")
    if not template_key or not _template_exists(template_key):
        errors["template_key"] = _("no such template")
    if errors:
        raise ValidationFailed(_("The reminder could not be saved"), fields=errors)
    reminder = (StatusReminder.objects.filter(pk=reminder_id, status=status).first() if reminder_id
                else StatusReminder(status=status))
    if reminder is None:
        raise NotFound(_("No such reminder"), fields={"reminder_id": _("not found")})
    reminder.after_days, reminder.template_key, reminder.is_last = after_days, template_key, is_last
    try:
        with transaction.atomic():
            reminder.save()
    except IntegrityError:
        raise ValidationFailed(_("The reminder could not be saved"), fields={
            "after_days": _("this step already has a reminder on that day")}) from None
    audit_record(actor=actor, action="orders.reminder_save", object_type="order_status", object_id=status.pk,
                 object_label=str(status), changes={"reminder": [None, f"+{after_days}d {template_key}"]})
    return reminder


@transaction.atomic
def reminder_delete(*, actor: Actor, reminder_id: int) -> None:
    reminder = StatusReminder.objects.select_related("status").filter(pk=reminder_id).first()
    if reminder is None:
        raise NotFound(_("No such reminder"), fields={"reminder_id": _("not found")})
    audit_record(actor=actor, action="orders.reminder_delete", object_type="order_status",
                 object_id=reminder.status_id, object_label=str(reminder.status),
                 changes={"reminder": [f"+{reminder.after_days}d {reminder.template_key}", None]})
    reminder.delete()


@transaction.atomic
def orders_policy_save(*, actor: Actor, flag_low_pickup: bool, min_orders: int, min_rate: int, keep_days: int,
                       review_url: str) -> OrdersPolicy:
    errors: dict[str, str] = {}
    if not 1 <= min_orders <= 1000:
        errors["min_orders"] = _("from 1 to 1000")
    if not 1 <= min_rate <= 100:
        errors["min_rate"] = _("from 1 to 100")
    if not 1 <= keep_days <= 90:
        errors["keep_days"] = _("from 1 to 90")
    review_url = (review_url or "").strip()
    if review_url and not review_url.startswith(("https://", "http://")):
        errors["review_url"] = _("a link starting with https://")
    if errors:
        raise ValidationFailed(_("The settings could not be saved"), fields=errors)
    policy = OrdersPolicy.objects.select_for_update().get_or_create(pk=1)[0]
    before = {"flag_low_pickup": policy.flag_low_pickup, "min_orders": policy.min_orders,
              "min_rate": policy.min_rate, "keep_days": policy.keep_days, "review_url": policy.review_url}
    policy.flag_low_pickup, policy.min_orders, policy.min_rate = flag_low_pickup, min_orders, min_rate
    policy.keep_days, policy.review_url = keep_days, review_url
    policy.save()
    audit_record(actor=actor, action="orders.policy_save", object_type="orders_policy", object_id=1,
                 changes={k: [v, getattr(policy, k)] for k, v in before.items() if v != getattr(policy, k)})
    return policy


@transaction.atomic
def step_add(*, actor: Actor, flow_id: int, code: str, name: str, rank: int, outcome: str = "") -> OrderStatus:
    """A new step of a flow. Its rank places it: orders only move to higher ranks; steps that exclude each other
    (picked up / not picked up) share one. A new step tells the customer nothing until it is given a template."""
    flow = Flow.objects.select_for_update().filter(pk=flow_id).first()
    if flow is None:
        raise NotFound(_("No such flow"), fields={"flow_id": _("not found")})
    errors: dict[str, str] = {}
    code, name = (code or "").strip(), (name or "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code):
        errors["code"] = _("lower-case Latin letters, digits and _, starting with a letter, at most 40")
    elif flow.statuses.filter(code=code).exists():
        errors["code"] = _("this flow already has this step")
    if not name or len(name) > 100:
        errors["name"] = _("required, at most 100 characters")
    if not 1 <= rank <= 10_000:
        errors["rank"] = _("from 1 to 10000")
    if outcome not in OrderStatus.Outcome.values:
        choices = ", ".join(v for v in OrderStatus.Outcome.values if v)
        errors["outcome"] = _("one of: %(choices)s") % {"choices": choices}
    if errors:
        raise ValidationFailed(_("The step could not be added"), fields=errors)
    status = OrderStatus.objects.create(flow=flow, code=code, name=name, rank=rank, outcome=outcome)
    audit_record(actor=actor, action="orders.step_add", object_type="order_status", object_id=status.pk,
                 object_label=str(status), changes={"step": [None, f"{code} ({rank})"]})
    return status


@transaction.atomic
def flow_default_set(*, actor: Actor, flow_id: int) -> Flow:
    """The flow an order follows when the source does not name one."""
    flow = Flow.objects.select_for_update().filter(pk=flow_id).first()
    if flow is None:
        raise NotFound(_("No such flow"), fields={"flow_id": _("not found")})
    previous = Flow.objects.filter(is_default=True).exclude(pk=flow.pk).first()
    Flow.objects.exclude(pk=flow.pk).update(is_default=False)
    Flow.objects.filter(pk=flow.pk).update(is_default=True)
    flow.is_default = True
    audit_record(actor=actor, action="orders.flow_default", object_type="order_flow", object_id=flow.pk,
                 object_label=flow.key, changes={"default": [previous.key if previous else None, flow.key]})
    return flow
