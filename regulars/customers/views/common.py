"""Bits every customer page shares."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from regulars.platform.errors import Conflict, DomainError

from ..selectors import customer_get_for_user


def conflict_owner_html(request: HttpRequest, exc: DomainError, *, kind: str = "") -> SafeString | str:
    """For a Conflict naming the card that already holds a phone or an e-mail: 'belongs to <link to that card>'."""
    owner_id = exc.extra.get("existing_customer_id") if isinstance(exc, Conflict) else None
    if not owner_id:
        return ""
    try:
        owner = customer_get_for_user(request.user, int(owner_id))
    except Http404:
        return str(_("This contact belongs to another card."))
    url = reverse("customers:detail", args=[owner.pk])
    lead = {"phones": _("This phone belongs to"), "emails": _("This e-mail belongs to")}.get(
        kind, _("This contact belongs to"))
    return format_html('{} <a href="{}" data-testid="conflict-owner">{}</a>', lead, url,
                       owner.full_name or f"#{owner.pk}")
