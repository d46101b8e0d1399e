"""Reading one chunk of a file into records and rejections, and reading the next chunk ahead.

At the end of a chunk the database runs its deferred foreign-key checks, the chunk's longest wait; during it a
thread of the same worker reads and normalises the next chunk: pure Python over the file, no database. The next
chunk's job takes that result only if it was read from the same checkpoint with the same context (mapping,
branches, fields, language); otherwise it reads the rows itself. Nothing read ahead is ever written by itself, so a
worker that dies loses nothing but the reading.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils import translation

from .normalising import Record, RowContext, RowNormaliser, problem_text
from .reading import FileInfo, read_rows

log = logging.getLogger(__name__)
Opener = Callable[[], Any]  # a context manager giving the file as bytes


@dataclass
class ChunkRows:
    records: list[Record] = field(default_factory=list)
    rejections: list[tuple[int, list[str], str]] = field(default_factory=list)  # (row number, cells, reason)
    taken: int = 0  # lines consumed, blank ones included
    offset: int = 0  # CSV: where the next chunk starts
    more: bool = False


@dataclass(frozen=True)
class Where:
    """What a chunk's reading depends on: a read-ahead is used only when all of it is the same."""

    batch_id: int
    file: str
    row: int
    offset: int
    size: int
    language: str
    ctx: RowContext
    labels: tuple[tuple[str, str], ...]


def blank(cells: list[str]) -> bool:
    return not any(c and c.strip() for c in cells)


def read_chunk(handle: IO[bytes], info: FileInfo, where: Where) -> ChunkRows:
    normalise, labels = RowNormaliser(where.ctx), dict(where.labels)
    out = ChunkRows(offset=where.offset)
    for cells, after in read_rows(handle, info, start_row=where.row, start_offset=where.offset):
        if out.taken >= where.size:
            out.more = True
            break
        number = where.row + out.taken + 2
        out.taken, out.offset = out.taken + 1, after
        if blank(cells):
            continue
        record, problems = normalise(cells)
        if record is None:
            out.rejections.append((number, cells, "; ".join(
                f"{label}: {reason}" for label, reason in problem_text(problems, labels))))
        else:
            out.records.append(record)
    return out


class _Ahead:
    def __init__(self, where: Where, info: FileInfo, opener: Opener) -> None:
        self.where = where
        self.rows: ChunkRows | None = None
        self.thread = threading.Thread(target=self._run, args=(info, opener), daemon=True,
                                       name=f"import-{where.batch_id}-read-ahead")
        self.thread.start()

    def _run(self, info: FileInfo, opener: Opener) -> None:
        try:
            with translation.override(self.where.language), opener() as handle:
                self.rows = read_chunk(handle, info, self.where)
        except Exception:  # the job reads the chunk itself and meets the error there, where it is reported
            log.debug("reading ahead failed", exc_info=True)


_lock = threading.Lock()
_ahead: _Ahead | None = None


def read_ahead(where: Where, info: FileInfo, opener: Opener) -> None:
    """Start reading the chunk at `where` in the background (one read-ahead per process; a newer one wins)."""
    global _ahead
    with _lock:
        _ahead = _Ahead(where, info, opener)


def take(where: Where) -> ChunkRows | None:
    """The rows read ahead for exactly this chunk, or None."""
    global _ahead
    with _lock:
        ahead, _ahead = _ahead, None
    if ahead is None or ahead.where != where:
        return None
    ahead.thread.join()
    return ahead.rows
