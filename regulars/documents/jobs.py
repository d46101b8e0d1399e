"""Job kinds of the documents domain (listed in REGULARS_JOB_HANDLERS)."""

from __future__ import annotations

from regulars.platform.jobs import JobHandler

HANDLERS: dict[str, JobHandler] = {}
