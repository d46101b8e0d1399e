"""`{% orders_section customer %}`: the card's Orders section without touching the customers views."""

from __future__ import annotations

from typing import Any

from django import template

from regulars.org.permissions import has_perm

from ..selectors import customer_orders, pickup_stats_of
from ..services.pickup import is_low, policy

register = template.Library()


@register.inclusion_tag("orders/_section.html", takes_context=True)
def orders_section(context: template.Context, customer: Any) -> dict[str, Any]:
    request = context["request"]
    if not has_perm(request.user, "orders.view"):
        return {"hidden": True}
    orders, elsewhere = customer_orders(request.user, customer.pk)
    stats = pickup_stats_of(customer.pk)
    return {"customer": customer, "orders": orders, "elsewhere": elsewhere, "stats": stats,
            "low": bool(stats and is_low(stats, policy())), "request": request}
