"""Presentation helpers of the customer pages: phones for the eye, labels for stored codes, and a title, an icon
and a one-line detail per timeline entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.platform.phones import format_phone

from ..models import Channel, ContactKind, Flag, Purpose
from ..search import query_terms

register = template.Library()

# kind → (title, icon name in web/components/icon.html, tone)
TIMELINE: dict[str, tuple[Any, str, str]] = {
    "customer.created": (gettext_lazy("Card created"), "plus", "primary"),
    "customer.updated": (gettext_lazy("Card changed"), "edit", "neutral"),
    "contact.added": (gettext_lazy("Contact added"), "phone", "neutral"),
    "contact.removed": (gettext_lazy("Contact removed"), "x", "muted"),
    "consent.given": (gettext_lazy("Consent given"), "check-circle", "success"),
    "consent.revoked": (gettext_lazy("Consent revoked"), "ban", "warning"),
    "flag.set": (gettext_lazy("Flag set"), "flag", "danger"),
    "flag.cleared": (gettext_lazy("Flag cleared"), "flag", "muted"),
    "asset.added": (gettext_lazy("Asset added"), "layers", "primary"),
    "asset.updated": (gettext_lazy("Asset changed"), "layers", "neutral"),
    "asset.archived": (gettext_lazy("Asset archived"), "layers", "muted"),
    "note.added": (gettext_lazy("Note"), "edit", "note"),
    "call.ended": (gettext_lazy("Call"), "phone", "info"),
    "call.missed": (gettext_lazy("Missed call"), "phone", "danger"),
    "visit.completed": (gettext_lazy("Visit"), "check", "success"),
    "order.created": (gettext_lazy("Order received"), "package", "primary"),
    "order.updated": (gettext_lazy("Order changed"), "package", "neutral"),
    "order.status_changed": (gettext_lazy("Order"), "package", "info"),
    "order.paid": (gettext_lazy("Order paid"), "check-circle", "success"),
    "order.notification_skipped": (gettext_lazy("Order: nothing sent"), "alert", "warning"),
    "message.sent": (gettext_lazy("Message sent"), "mail", "info"),
    "message.delivered": (gettext_lazy("Message delivered"), "mail", "success"),
    "message.read": (gettext_lazy("Message read"), "mail", "success"),
    "message.failed": (gettext_lazy("Message failed"), "alert", "danger"),
    "message.expired": (gettext_lazy("Message expired"), "clock", "muted"),
    "message.suppressed": (gettext_lazy("Message held back"), "ban", "muted"),
    "message.received": (gettext_lazy("Message received"), "inbox", "info"),
    "review.created": (gettext_lazy("Review"), "info", "info"),
    "booking.created": (gettext_lazy("Booking"), "clock", "info"),
}

# Names of card fields as the services report them in `changes`, for "Card changed · Phones, Home branch".
CHANGED_FIELDS: dict[str, Any] = {
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "middle_name": gettext_lazy("middle name"),
    "birthday": gettext_lazy("birthday"),
    "language": gettext_lazy("language"),
    "time_zone": gettext_lazy("time zone"),
    "home_branch_id": gettext_lazy("home branch"),
    "responsible_id": gettext_lazy("responsible employee"),
    "preferred_channels": gettext_lazy("preferred channels"),
    "custom": gettext_lazy("custom fields"),
    "status": gettext_lazy("status"),
    "phones": gettext_lazy("phones"),
    "emails": gettext_lazy("e-mails"),
    "telegram": gettext_lazy("Telegram"),
    "whatsapp": gettext_lazy("WhatsApp"),
    "vk": gettext_lazy("VK"),
    "tags": gettext_lazy("tags"),
}


@register.filter
def phone(value: str) -> str:
    """'+79123456789' → '+7 912 345-67-89'."""
    return format_phone(value) if value else ""


@register.filter
def phone_hit(value: str, query: str) -> SafeString:
    """The formatted phone with the digits the operator typed marked: '+7 916 555-<mark>43-21</mark>'."""
    shown = format_phone(value) if value else ""
    terms = query_terms(query or "")
    wanted = terms[0] if len(terms) == 1 and terms[0].isdigit() else ""
    positions = [i for i, ch in enumerate(shown) if ch.isdigit()]
    digits = "".join(shown[i] for i in positions)
    start = digits.find(wanted) if wanted else -1
    if start < 0 and wanted and digits.startswith("7"):
        start = ("8" + digits[1:]).find(wanted)  # typed the Russian way: 8 916 …
    if start < 0:
        return escape(shown)
    first, last = positions[start], positions[start + len(wanted) - 1]
    return mark_safe(  # every piece is escaped
        f'{escape(shown[:first])}<mark class="hit">{escape(shown[first:last + 1])}</mark>{escape(shown[last + 1:])}')


@register.filter
def contact_display(value: str, kind: str) -> str:
    """A contact as people read it: phones grouped, messenger handles with '@'."""
    if kind in (ContactKind.PHONE, ContactKind.WHATSAPP):
        return format_phone(value)
    if kind == ContactKind.TELEGRAM:
        return f"@{value}"
    return value


@register.filter
def channel_label(value: str) -> str:
    return str(dict(Channel.choices).get(value, value))


@register.filter
def purpose_label(value: str) -> str:
    return str(dict(Purpose.choices).get(value, value))


@register.filter
def language_label(value: str) -> str:
    return str(dict(settings.LANGUAGES).get(value, value))


@register.filter
def flag_label(value: str) -> str:
    return str(dict(Flag.Kind.choices).get(value, value))


@register.filter
def stored_value(value: Any, kind: str = "") -> str:
    """A value of a configured field (asset or custom field) for the screen: ISO dates as dd.mm.yyyy."""
    if value in (None, ""):
        return "—"
    if kind == "date":
        try:
            return date_format(dt.date.fromisoformat(str(value)), "d.m.Y")
        except ValueError:
            return str(value)
    return str(value)


@register.simple_tag
def timeline_meta(kind: str) -> dict[str, Any]:
    title, icon, tone = TIMELINE.get(kind, (kind, "info", "neutral"))
    return {"title": str(title), "icon": icon, "tone": tone}


@register.simple_tag
def timeline_detail(entry: Any) -> str:
    """The one line after the title: what exactly happened, in the reader's language."""
    data = entry.data or {}
    kind = entry.kind
    if kind in ("contact.added", "contact.removed") and data.get("value"):
        return contact_display(str(data["value"]), str(data.get("kind", "")))
    if kind in ("consent.given", "consent.revoked") and data.get("channel"):
        line = f"{channel_label(data['channel'])} · {purpose_label(data.get('purpose', ''))}"
        return f"{line} · {data['source']}" if data.get("source") else line
    if kind in ("flag.set", "flag.cleared") and data.get("kind"):
        return f"{flag_label(data['kind'])}: {entry.summary}" if entry.summary else flag_label(data["kind"])
    if kind == "customer.updated" and isinstance(data.get("changes"), dict):
        names = [str(CHANGED_FIELDS.get(name, name)) for name in data["changes"]]
        return ", ".join(names)
    return str(entry.summary or "")


@register.filter
def when(value: dt.datetime | None) -> str:
    """'today 14:05', 'yesterday 09:12', '12.03 18:40' this year, '12.03.2024 18:40' before."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    today = timezone.localdate()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("today %(time)s") % {"time": clock}
    if local.date() == today - dt.timedelta(days=1):
        return _("yesterday %(time)s") % {"time": clock}
    if local.year == today.year:
        return f"{local:%d.%m} {clock}"
    return f"{local:%d.%m.%Y} {clock}"
