"""Job handlers of this domain."""

from regulars.platform.jobs import JobHandler

from .outbound import JOB_KIND, deliver

HANDLERS: dict[str, JobHandler] = {JOB_KIND: deliver}
