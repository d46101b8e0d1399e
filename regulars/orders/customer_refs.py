"""Customer-owned rows of the orders domain, for the merge (see regulars/customers/merging.py): orders follow their
customer; pickup statistics are added up into the survivor's row."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Sum

from regulars.customers.merging import CustomerReference

from .models import Order, PickupStats


def _move_pickup_stats(survivor_id: int, merged_ids: Sequence[int]) -> None:
    merged = PickupStats.objects.filter(customer_id__in=merged_ids)
    sums = merged.aggregate(orders=Sum("orders"), picked_up=Sum("picked_up"), not_picked_up=Sum("not_picked_up"))
    if sums["orders"] is None:
        return
    stats, _ = PickupStats.objects.get_or_create(customer_id=survivor_id)
    stats.orders += sums["orders"]
    stats.picked_up += sums["picked_up"]
    stats.not_picked_up += sums["not_picked_up"]
    stats.save()
    merged.delete()


REFERENCES = [CustomerReference(Order), CustomerReference(PickupStats, move=_move_pickup_stats)]
