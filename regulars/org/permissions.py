"""What each role may do. One table, read by views, the API and services alike."""

from __future__ import annotations

from typing import Any

from regulars.platform.errors import Forbidden

from .models import Role

# Permission names are "<area>.<verb>". Customers are shared by the whole network (PRODUCT C1);
# branch-scoped work (requests, deals) is filtered by selectors on top of these.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            "customers.view", "customers.edit", "customers.flag", "customers.export", "customers.import",
            "customers.merge", "settings.manage", "staff.view", "audit.view", "apikeys.manage",
            "messages.view", "messages.send", "templates.manage", "orders.view", "orders.edit", "orders.configure",
            "webhooks.manage",
        }
    ),
    Role.MANAGER: frozenset(
        {
            "customers.view", "customers.edit", "customers.flag", "customers.import", "customers.merge",
            "staff.view", "audit.view", "messages.view", "messages.send", "templates.manage", "orders.view",
            "orders.edit", "orders.configure",
        }
    ),
    Role.OPERATOR: frozenset({"customers.view", "customers.edit", "messages.view", "messages.send", "orders.view",
                              "orders.edit"}),
    Role.CONSULTANT: frozenset({"customers.view", "customers.edit", "messages.view", "messages.send",
                                "orders.view"}),
    Role.MARKETER: frozenset({"customers.view", "customers.export", "messages.view", "messages.send",
                              "templates.manage", "orders.view"}),
}


def has_perm(user: Any, permission: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def branch_ids_for(user: Any) -> set[int] | None:
    """The branches whose branch-scoped work this user sees; None means every branch (administrators)."""
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    return set(user.branches.values_list("id", flat=True))


def require(request: Any, permission: str) -> None:
    """For API handlers: an API key acts as a network-wide integration; a person needs the permission."""
    if getattr(request, "api_key", None) is not None:
        return
    if not has_perm(request.user, permission):
        raise Forbidden("You do not have permission to do this", fields={"permission": permission})
