"""Reading an uploaded file: CSV in any common encoding and delimiter, or XLSX, as a header and rows.

The format is decided by the content (an XLSX file is a zip holding a workbook), never by the extension.
CSV rows are read with their byte offsets, so a chunk of an import starts where the previous one stopped
instead of re-reading the file from the top.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.utils.translation import gettext as _

from regulars.platform.errors import ValidationFailed

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class FileInfo:
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    header: tuple[str, ...] = ()
    data_offset: int = 0  # CSV: byte offset of the first data row


def _bad(reason: str) -> ValidationFailed:
    return ValidationFailed(_("The file cannot be read"), fields={"file": reason})


def detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # The sample may end in the middle of a multi-byte character.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    return "cp1251"


def _looks_like_text(sample: bytes, encoding: str) -> bool:
    text = sample.decode(encoding, errors="replace")
    if "\x00" in text:
        return False
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t")
    return controls <= len(text) // 100


def _sniff_delimiter(text: str) -> str:
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) for d in DELIMITERS} if lines else {}
        best = max(counts, key=lambda d: counts[d]) if counts else ","
        return best if counts.get(best) else ","


def inspect(handle: IO[bytes], name: str = "") -> FileInfo:
    """Decide what the file is and read its header. Raises ValidationFailed(file=…) with the reason.

    The content decides; a known extension that disagrees with the content is refused rather than guessed at.
    """
    info = _inspect(handle)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in ("xlsx", "xlsm") and info.format != "xlsx":
        raise _bad(_("the file is named .%(ext)s but is not an Excel workbook") % {"ext": extension})
    if extension in ("csv", "txt", "tsv") and info.format != "csv":
        raise _bad(_("the file is named .%(ext)s but is an Excel workbook: rename it to .xlsx") % {
            "ext": extension})
    return info


def _inspect(handle: IO[bytes]) -> FileInfo:
    handle.seek(0)
    sample = handle.read(SAMPLE_BYTES)
    if not sample or not sample.strip():
        raise _bad(_("the file is empty"))
    if sample[:4] == b"PK\x03\x04":
        return _inspect_xlsx(handle)
    if sample[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _bad(_("old Excel (.xls) files are not supported: save it as .xlsx or CSV"))
    encoding = detect_encoding(sample)
    if not _looks_like_text(sample, encoding):
        raise _bad(_("this is neither a CSV (text) file nor an XLSX workbook"))
    delimiter = _sniff_delimiter(sample.decode(encoding, errors="replace"))
    info = FileInfo(format="csv", encoding=encoding, delimiter=delimiter)
    for header, offset in _csv_rows(handle, info, 0):
        names = tuple(h.strip() for h in header)
        if not any(names):
            raise _bad(_("the first row (the header) is empty"))
        return FileInfo(format="csv", encoding=encoding, delimiter=delimiter, header=names, data_offset=offset)
    raise _bad(_("the file has no header row"))


def _inspect_xlsx(handle: IO[bytes]) -> FileInfo:
    for header in _xlsx_rows(handle, 1):
        names = tuple(cell_text(h).strip() for h in header)
        while names and not names[-1]:
            names = names[:-1]
        if not any(names):
            raise _bad(_("the first row (the header) of the first sheet is empty"))
        return FileInfo(format="xlsx", header=names)
    raise _bad(_("the first sheet of the workbook is empty"))


def _csv_rows(handle: IO[bytes], info: FileInfo, offset: int) -> Iterator[tuple[list[str], int]]:
    """(row, byte offset just after it) from `offset` on."""
    handle.seek(offset)
    position = offset
    decoder_name = "utf-8" if info.encoding == "utf-8-sig" and offset > 0 else info.encoding

    def lines() -> Iterator[str]:
        nonlocal position
        while True:
            line = handle.readline()
            if not line:
                return
            position += len(line)
            try:
                yield line.decode(decoder_name)
            except UnicodeDecodeError as exc:
                raise _bad(_("the text is not in one encoding (%(encoding)s) throughout") % {
                    "encoding": info.encoding}) from exc

    try:
        for row in csv.reader(lines(), delimiter=info.delimiter):
            yield row, position
    except csv.Error as exc:
        raise _bad(_("broken CSV: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(handle: IO[bytes], min_row: int) -> Iterator[tuple[Any, ...]]:
    import openpyxl  # imported here: only XLSX imports pay for it

    handle.seek(0)
    try:
        book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _bad(_("this is not a valid XLSX workbook")) from exc
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise _bad(_("this is not a valid XLSX workbook")) from exc
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(min_row=min_row, values_only=True)
    finally:
        book.close()


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(handle: IO[bytes], info: FileInfo, *, start_row: int, start_offset: int = 0) -> Iterator[
        tuple[list[str], int]]:
    """Data rows (as text cells) from data row `start_row` (0-based) with the CSV offset after each row.

    For CSV give `start_offset` (the checkpoint) to start there without re-reading; 0 means the first data row.
    Blank lines are returned as empty lists so that row numbers stay those a spreadsheet shows.
    """
    if info.format == "xlsx":
        for values in _xlsx_rows(handle, start_row + 2):
            yield [cell_text(v) for v in values], 0
        return
    offset = start_offset or info.data_offset
    rows = _csv_rows(handle, info, offset)
    if not start_offset:
        for _skipped in range(start_row):
            next(rows, None)
    yield from rows


def open_bytes(data: bytes) -> IO[bytes]:
    return io.BytesIO(data)
