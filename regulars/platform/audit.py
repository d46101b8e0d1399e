"""The audit log: services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .actor import Actor
from .models import AuditEntry


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    object_label: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor_id=actor.user_id,
        actor_label=actor.label[:200],
        ip=actor.ip,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:200],
        changes=changes or {},
    )


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for the fields that changed; values are made JSON-safe with str()."""

    def safe(value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | str | list | dict):
            return value
        return str(value)

    return {k: [safe(before.get(k)), safe(after.get(k))] for k in after if before.get(k) != after.get(k)}
