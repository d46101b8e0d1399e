"""Per-provider send rates in one worker process: Telegram allows about 30 messages a second per bot, the
WhatsApp Cloud API 80 per number. A worker waits before a send that would exceed its provider's rate; the
provider's own 429 answers (with retry-after) remain the last word, and several workers each keep to the rate."""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_RATES: dict[str, float] = {"telegram": 30.0, "whatsapp": 80.0}


class Throttle:
    """A token bucket per key, one second of burst."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when)

    def wait(self, key: str, rate: float) -> float:
        """Block until one send is allowed; returns the seconds waited (0 without a rate)."""
        if rate <= 0:
            return 0.0
        now = self._clock()
        tokens, when = self._buckets.get(key, (rate, now))
        tokens = min(rate, tokens + (now - when) * rate)
        waited = 0.0
        if tokens < 1:
            waited = (1 - tokens) / rate
            self._sleep(waited)
            now, tokens = now + waited, 1.0
        self._buckets[key] = (tokens - 1, now)
        return waited


THROTTLE = Throttle()
