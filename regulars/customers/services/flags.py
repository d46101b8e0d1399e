"""Blacklist and risk flags, each with a reason; clearing keeps the flag row for history."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regulars.platform.actor import Actor
from regulars.platform.audit import audit_record
from regulars.platform.errors import Conflict, NotFound, ValidationFailed

from ..models import Flag
from ._common import emit, lock_customer


@transaction.atomic
def flag_set(*, actor: Actor, customer_id: int, kind: str, reason: str) -> Flag:
    if kind not in Flag.Kind.values:
        raise ValidationFailed(_("Unknown flag"), fields={"kind": f"one of {', '.join(Flag.Kind.values)}"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("A flag needs a reason"), fields={"reason": _("required")})
    customer = lock_customer(customer_id)
    if customer.flags.filter(kind=kind, cleared_at=None).exists():
        raise Conflict(_("This flag is already set"), fields={"kind": _("already set")})
    flag = Flag.objects.create(customer=customer, kind=kind, reason=reason[:300], created_at=timezone.now(),
                               created_by_id=actor.user_id)
    emit("flag.set", customer, actor=actor, summary=reason[:200], kind=kind, flag_id=flag.pk)
    audit_record(actor=actor, action="customer.flag_set", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={f"flag.{kind}": [None, reason]})
    return flag


@transaction.atomic
def flag_clear(*, actor: Actor, customer_id: int, flag_id: int, reason: str = "") -> Flag:
    customer = lock_customer(customer_id)
    flag = customer.flags.filter(pk=flag_id).first()
    if flag is None:
        raise NotFound(_("No such flag on this customer"), fields={"flag_id": _("not found")})
    if flag.cleared_at is not None:
        return flag
    flag.cleared_at = timezone.now()
    flag.cleared_by_id = actor.user_id
    flag.cleared_reason = (reason or "").strip()[:300]
    flag.save(update_fields=["cleared_at", "cleared_by", "cleared_reason"])
    emit("flag.cleared", customer, actor=actor, summary=flag.cleared_reason or flag.reason, kind=flag.kind,
         flag_id=flag.pk)
    audit_record(actor=actor, action="customer.flag_clear", object_type="customer", object_id=customer.pk,
                 object_label=customer.full_name, changes={f"flag.{flag.kind}": [flag.reason, None]})
    return flag
