"""Template context shared by every page: the navigation and what the current user may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from regulars.org.permissions import has_perm


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "can": {
            "settings": has_perm(user, "settings.manage"),
            "audit": has_perm(user, "audit.view"),
            "staff": has_perm(user, "staff.view"),
            "edit_customers": has_perm(user, "customers.edit"),
            "flag_customers": has_perm(user, "customers.flag"),
            "export_customers": has_perm(user, "customers.export"),
            "import_customers": has_perm(user, "customers.import"),
            "merge_customers": has_perm(user, "customers.merge"),
            "view_messages": has_perm(user, "messages.view"),
            "manage_templates": has_perm(user, "templates.manage"),
            "view_orders": has_perm(user, "orders.view"),
            "configure_orders": has_perm(user, "orders.configure"),
            "manage_webhooks": has_perm(user, "webhooks.manage"),
        }
    }
