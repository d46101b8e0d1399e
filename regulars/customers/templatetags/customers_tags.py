"""Presentation helpers for the card: phones for the eye, a title and an icon per timeline entry."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regulars.platform.phones import format_phone

register = template.Library()

# kind → (title, icon name in web/components/icon.html, tone)
TIMELINE: dict[str, tuple[Any, str, str]] = {
    "customer.created": (gettext_lazy("Card created"), "plus", "primary"),
    "customer.updated": (gettext_lazy("Card changed"), "edit", "neutral"),
    "contact.added": (gettext_lazy("Contact added"), "phone", "neutral"),
    "contact.removed": (gettext_lazy("Contact removed"), "phone", "muted"),
    "consent.given": (gettext_lazy("Consent given"), "check-circle", "success"),
    "consent.revoked": (gettext_lazy("Consent revoked"), "ban", "warning"),
    "flag.set": (gettext_lazy("Flag set"), "flag", "danger"),
    "flag.cleared": (gettext_lazy("Flag cleared"), "flag", "muted"),
    "asset.added": (gettext_lazy("Asset added"), "layers", "primary"),
    "asset.updated": (gettext_lazy("Asset changed"), "layers", "neutral"),
    "asset.archived": (gettext_lazy("Asset archived"), "layers", "muted"),
    "note.added": (gettext_lazy("Note"), "edit", "neutral"),
    "call.ended": (gettext_lazy("Call"), "phone", "info"),
    "call.missed": (gettext_lazy("Missed call"), "phone", "danger"),
    "visit.completed": (gettext_lazy("Visit"), "check", "success"),
    "order.status_changed": (gettext_lazy("Order"), "inbox", "info"),
    "message.sent": (gettext_lazy("Message sent"), "mail", "info"),
}


@register.filter
def phone(value: str) -> str:
    return format_phone(value)


@register.simple_tag
def timeline_meta(kind: str) -> dict[str, Any]:
    title, icon, tone = TIMELINE.get(kind, (kind, "info", "neutral"))
    return {"title": str(title), "icon": icon, "tone": tone}


@register.filter
def consent_label(value: str) -> str:
    return {"service": _("Service"), "marketing": _("Advertising")}.get(value, value)
