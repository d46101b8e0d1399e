"""Text that is stored (timeline summaries, reasons on messages) is written in the business's language, whoever's
request wrote it: an ERP's English API call and a Russian operator's click leave the same words on the card."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_noop

ORDER_RECEIVED = gettext_noop("Order %(number)s received, %(total)s %(currency)s")
ORDER_UPDATED = gettext_noop("Order %(number)s updated")
ORDER_STATUS = gettext_noop("Order %(number)s: %(status)s")
NOTHING_SENT = gettext_noop("Order %(number)s: no message sent (%(reason)s)")
MOVED_ON = gettext_noop("the order moved on to %(status)s")


def stored(message: str, **values: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(message) % values
