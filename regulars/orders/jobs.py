"""Job handlers of the orders domain."""

from __future__ import annotations

from regulars.platform.jobs import JobHandler

from .notify import remind

HANDLERS: dict[str, JobHandler] = {"order.reminder": remind}
