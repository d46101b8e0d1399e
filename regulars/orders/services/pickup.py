"""Pickup history per customer and the low-pickup rule (PRODUCT C1.7): a card whose parcels mostly stay unclaimed
gets a risk flag that rules and segments can use; the flag is cleared when the rate recovers."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils.translation import gettext_noop

from regulars.customers.models import Flag
from regulars.customers.services import flag_clear, flag_set
from regulars.platform.actor import Actor

from ..models import Order, OrdersPolicy, OrderStatus, PickupStats
from ..texts import stored

# The reason of the flag this rule sets starts with this (in the business's language), so the rule clears only its
# own flag; the English words are recognised too, whatever language the business had when the flag was set.
LOW_PICKUP = gettext_noop("Low pickup")
LOW_PICKUP_REASON = gettext_noop("Low pickup: %(picked)s of %(decided)s picked up (%(rate)s%%)")
RECOVERED = gettext_noop("pickup rate %(rate)s%%")


def policy() -> OrdersPolicy:
    return OrdersPolicy.objects.get_or_create(pk=1)[0]


def pickup_record(*, order: Order, outcome: str, actor: Actor) -> PickupStats:
    """Count the order's outcome once (an order reaches one outcome: the alternatives share a rank)."""
    stats, _created = PickupStats.objects.get_or_create(customer_id=order.customer_id)
    column = "picked_up" if outcome == OrderStatus.Outcome.PICKED_UP else "not_picked_up"
    PickupStats.objects.filter(pk=stats.pk).update(orders=F("orders") + 1, **{column: F(column) + 1})
    stats.refresh_from_db()
    pickup_rule_apply(customer_id=order.customer_id, stats=stats, actor=actor)
    return stats


def is_low(stats: PickupStats, rule: OrdersPolicy) -> bool:
    return rule.flag_low_pickup and stats.decided >= rule.min_orders and (stats.rate or 0) < rule.min_rate


def pickup_rule_apply(*, customer_id: int, stats: PickupStats, actor: Actor) -> None:
    rule = policy()
    ours = Flag.objects.filter(Q(reason__startswith=LOW_PICKUP) | Q(reason__startswith=stored(LOW_PICKUP)),
                               customer_id=customer_id, kind=Flag.Kind.RISK, cleared_at=None).first()
    if is_low(stats, rule) and ours is None:
        if Flag.objects.filter(customer_id=customer_id, kind=Flag.Kind.RISK, cleared_at=None).exists():
            return  # a person already flagged the card as risky: theirs stands
        flag_set(actor=actor, customer_id=customer_id, kind=Flag.Kind.RISK,
                 reason=stored(LOW_PICKUP_REASON, picked=stats.picked_up, decided=stats.decided, rate=stats.rate))
    elif ours is not None and not is_low(stats, rule):
        flag_clear(actor=actor, customer_id=customer_id, flag_id=ours.pk,
                   reason=stored(RECOVERED, rate=stats.rate))
