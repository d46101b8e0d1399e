"""Job kinds of the messaging domain (listed in REGULARS_JOB_HANDLERS)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from regulars.platform.jobs import JobHandler
from regulars.platform.models import Job

from .models import Message
from .services import message_fall_back

NOT_DELIVERED = gettext_noop("not delivered in time")


def delivery_check(job: Job) -> None:
    """Due N minutes after a send: still only "sent" → the same message in the customer's next channel as well.
    A message delivered or read meanwhile (or one that failed, which fell back already) needs nothing."""
    message = Message.objects.select_for_update().filter(pk=job.payload["message_id"]).first()
    if message is not None and message.status == Message.Status.SENT:
        message_fall_back(message, reason=NOT_DELIVERED)


HANDLERS: dict[str, JobHandler] = {"messaging.delivery_check": delivery_check}
