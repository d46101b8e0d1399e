"""`{% messages_section customer %}`: the card's Messages section without touching the customers views."""

from __future__ import annotations

from typing import Any

from django import template

from ..card import section_context

register = template.Library()


@register.inclusion_tag("messaging/_section.html", takes_context=True)
def messages_section(context: template.Context, customer: Any) -> dict[str, Any]:
    request = context["request"]
    return {**section_context(request.user, customer), "request": request}
