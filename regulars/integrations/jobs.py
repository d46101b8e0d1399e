"""Job handlers of this domain."""


from django.utils import timezone

from regulars.platform.jobs import JobHandler
from regulars.platform.models import Job

from .inbound import PRUNE_KIND, RECEIPTS_KEPT
from .models import InboundReceipt
from .outbound import JOB_KIND, deliver


def receipts_prune(job: Job) -> None:
    """Forget webhook-ids older than RECEIPTS_KEPT: a message that old is refused by its timestamp anyway, so its
    receipt no longer stops a replay."""
    InboundReceipt.objects.filter(received_at__lt=timezone.now() - RECEIPTS_KEPT).delete()


HANDLERS: dict[str, JobHandler] = {JOB_KIND: deliver, PRUNE_KIND: receipts_prune}
