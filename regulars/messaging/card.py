"""What the card's "Messages" section shows: used by the template tag and by the send view's fragment."""

from __future__ import annotations

from typing import Any

from regulars.customers.models import Customer
from regulars.org.permissions import has_perm

from .addressing import channel_order
from .forms import SendForm
from .linking import telegram_link
from .selectors import MessageFilters, message_list, templates_all

RECENT = 10


def section_context(user: Any, customer: Customer, *, form: SendForm | None = None, open_form: bool = False,
                    sent: bool = False) -> dict[str, Any]:
    return {
        "customer": customer,
        "messages": list(message_list(user, MessageFilters(customer_id=customer.pk))[:RECENT]),
        "send_form": form or SendForm(),
        "send_open": open_form,
        "sent": sent,
        "suggested_channel": channel_order(customer)[0],
        "templates": sorted({t.key: t.name for t in templates_all().filter(is_active=True)}.items()),
        "can_send": has_perm(user, "messages.send"),
        "telegram_link": telegram_link(customer.pk),
    }
