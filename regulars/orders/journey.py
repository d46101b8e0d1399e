"""What the journey page shows: each step of a flow in order, with the message the customer would get, rendered on
a sample customer and order so the business reads its journey as the customer will."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from regulars.customers.models import Customer
from regulars.messaging.models import Template
from regulars.messaging.services import template_preview
from regulars.platform.errors import DomainError

from .models import Flow


def duration(minutes: int | None) -> str:
    """90 → "90 min", 120 → "2 h", 1440 → "1 d": how people say waits."""
    if not minutes:
        return ""
    if minutes % (24 * 60) == 0:
        return _("%(n)s d") % {"n": minutes // (24 * 60)}
    if minutes % 60 == 0:
        return _("%(n)s h") % {"n": minutes // 60}
    return _("%(n)s min") % {"n": minutes}


def sample_context() -> dict[str, Any]:
    return {"branch": {"name": "Регулярс на Ленина", "phone": "+7 495 123-45-67", "address": "ул. Ленина, 1"},
            "order": {"number": "A-1024", "status": "", "total": "4 990.00 RUB", "courier_name": "Алексей",
                      "courier_phone": "+7 916 123-45-67", "tracking_number": "CD123456789RU",
                      "pickup_point": "ул. Ленина, 1", "keep_until": "12.12", "payment_url": "https://pay.example/abc",
                      "review_url": "https://example.com/review"}}


def _preview(key: str) -> dict[str, Any] | None:
    written = list(Template.objects.filter(key=key, is_active=True, category="").order_by("channel"))
    if not key or not written:
        return None
    preferred = next((t for t in written if t.channel == "sms"), written[0])  # the shortest form shows best
    sample = Customer(first_name="Анна", last_name="Смирнова")
    try:
        shown = template_preview(customer=sample, body=preferred.body, context=sample_context())
    except DomainError as exc:
        return {"error": "; ".join(exc.fields.values()) or exc.message, "channel": preferred.channel}
    return {**shown, "channel": preferred.get_channel_display(), "template_id": preferred.pk,
            "channels": [t.get_channel_display() for t in written]}


def journey_context(flow: Flow | None) -> dict[str, Any]:
    if flow is None:
        return {"flow": None, "steps": []}
    steps = []
    for status in flow.statuses.prefetch_related("reminders").order_by("rank", "id"):
        steps.append({"status": status, "preview": _preview(status.template_key) if status.notify else None,
                      "delay": duration(status.delay_minutes), "within": duration(status.send_within_minutes),
                      "reminders": [{"reminder": r, "preview": _preview(r.template_key)}
                                    for r in status.reminders.all()],
                      "alternative": any(s.rank == status.rank and s.pk != status.pk for s in flow.statuses.all())})
    return {"flow": flow, "steps": steps, "sample_note": _("Previews use a sample customer and order.")}
