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


def _preview(key: str, templates: dict[str, list[Template]]) -> dict[str, Any] | None:
    written = templates.get(key, [])
    if not written:
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
    statuses = list(flow.statuses.prefetch_related("reminders").order_by("rank", "id"))
    keys = {s.template_key for s in statuses} | {r.template_key for s in statuses for r in s.reminders.all()}
    templates: dict[str, list[Template]] = {}
    for template in Template.objects.filter(key__in=keys, is_active=True, category="").order_by("channel"):
        templates.setdefault(template.key, []).append(template)
    ranks = [s.rank for s in statuses]
    steps = []
    for status in statuses:
        steps.append({"status": status, "preview": _preview(status.template_key, templates) if status.notify else None,
                      "delay": duration(status.delay_minutes), "within": duration(status.send_within_minutes),
                      "reminders": [{"reminder": r, "preview": _preview(r.template_key, templates)}
                                    for r in status.reminders.all()],
                      "alternative": ranks.count(status.rank) > 1})
    return {"flow": flow, "steps": steps, "sample_note": _("Previews use a sample customer and order.")}
