"""Per-account send rates shared by every worker: Telegram allows about 30 messages a second per bot, the WhatsApp
Cloud API 80 per number, an SMS gateway what its contract says (the account's "messages per second" setting).

Each send reserves the account's next slot in the database (`SendSlot`, one upsert … RETURNING, outside any
transaction) and waits for it, so however many workers send through one account, their sends are spaced 1/rate
apart. The provider's own 429 answers (with retry-after) remain the last word."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from .models import SendSlot
from .providers.base import ConfigField

DEFAULT_RATES: dict[str, float] = {"telegram": 30.0, "whatsapp": 80.0}
RATE_FIELD = ConfigField("rate_per_second", _("Messages per second at most (empty: the provider's usual limit)"),
                         kind="number")


def rate_for(provider: str, config: Mapping[str, Any]) -> float:
    """The account's own limit when it has one, else the provider's usual one; 0 means none."""
    own = config.get(RATE_FIELD.key)
    return float(own) if own not in (None, "") else DEFAULT_RATES.get(provider, 0.0)


def reserve(key: str, *, now: float, interval: float) -> float:
    """The moment (epoch seconds) this send may go: the key's next free slot, never earlier than now; the slot
    after it is taken in the same statement."""
    table = connection.ops.quote_name(SendSlot._meta.db_table)
    later = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, next_at) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE "  # noqa: S608
            f"SET next_at = {later}({table}.next_at, %s) + %s RETURNING next_at",
            [key, now + interval, now, interval])
        row = cursor.fetchone()
    return float(row[0]) - interval


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep

    def wait(self, key: str, rate: float) -> float:
        """Block until this send's slot; returns the seconds waited (0 without a rate)."""
        if rate <= 0:
            return 0.0
        now = self._clock()
        waited = max(0.0, reserve(key, now=now, interval=1.0 / rate) - now)
        if waited:
            self._sleep(waited)
        return waited


THROTTLE = Throttle()
