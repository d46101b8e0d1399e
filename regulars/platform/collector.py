"""Pausing Python's cyclic garbage collector around bulk work.

A chunk of an import allocates hundreds of thousands of small containers that all stay alive until the chunk
ends; the collector would walk them again and again (about a tenth of an import's time), and they hold no reference
cycles to find. Reference counting still frees everything as usual; the collector runs again afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
