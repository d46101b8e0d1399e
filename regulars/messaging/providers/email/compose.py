"""A plain-text e-mail as bytes, written directly: the `email` package (which Django's EmailMessage builds on)
spends about a millisecond per message folding and re-encoding headers, more than the SMTP exchange itself.

Only what the dispatcher sends is handled — one text part, an ASCII address each side, a subject and a sender's
name in any script (RFC 2047 encoded words), ASCII extra headers. Anything else returns None and goes through
Django's EmailMessage.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

MAX_LINE = 998  # RFC 5322 2.1.1, without the CRLF
# UTF-8 bytes per encoded word: base64 makes 52 characters, 64 with "=?utf-8?b?…?=", so that even after
# "Subject: " a header line stays within the 78 characters RFC 5322 asks for.
WORD_BYTES = 39


def _folded(text: str, room: int) -> str:
    """ASCII header text folded at spaces into lines of at most 78 characters where the words allow it; `room` is
    what the header's name leaves on the first line."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line, room = word, 77  # a continuation line starts with the folding space
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\r\n ".join(lines)


def _encoded_words(text: str, room: int = 78) -> str:
    """Text for a header: ASCII as it is (folded when long), else RFC 2047 base64 words that never split a
    character."""
    if text.isascii():
        return text if len(text) <= room else _folded(text, room)
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in text:
        length = len(char.encode("utf-8"))
        if size + length > WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += length
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words)


def _one_line(text: str) -> str:
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


@lru_cache(maxsize=16)  # the senders: a worker writes from a handful of accounts' addresses
def _sender_box(value: str) -> tuple[str, str] | None:
    return mailbox(value)


def mailbox(value: str) -> tuple[str, str] | None:
    """("Name <address>" for the From header, the bare address for the envelope), or None when the address is not
    plain ASCII (it needs SMTPUTF8 or IDNA, which Django's path handles)."""
    name, address = email.utils.parseaddr(value)
    if not address or not address.isascii() or "@" not in address or any(c in address for c in " <>\r\n\",;"):
        return None
    if not name:
        return address, address
    if name.isascii():
        name = email.utils.quote(name)
        return f'"{name}" <{address}>', address
    return f"{_encoded_words(name)}\r\n <{address}>", address


@lru_cache(maxsize=4)
def _date(second: int) -> str:
    return email.utils.format_datetime(dt.datetime.fromtimestamp(second, dt.UTC), usegmt=True)


def _body(text: str, eight_bit: bool) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, the body with CRLF line ends)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    raw = "\r\n".join(lines).encode("utf-8")
    if eight_bit and all(len(line.encode("utf-8")) <= MAX_LINE for line in lines):
        return "8bit", raw
    return "base64", base64.encodebytes(raw).replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class Composed:
    data: bytes  # what goes after DATA, before dot-stuffing
    mail_from: str  # the bare addresses for the envelope
    rcpt_to: str


def compose(*, sender: str, to: str, subject: str, body: str, message_id: str, headers: Mapping[str, str],
            now: float, eight_bit: bool = True) -> Composed | None:
    """The message and its envelope, or None when it needs the general path."""
    sender_box, recipient = _sender_box(sender), mailbox(to)
    if sender_box is None or recipient is None:
        return None
    extra = []
    for name, value in headers.items():
        if not (name.isascii() and value.isascii()) or any(c in name + value for c in "\r\n"):
            return None
        extra.append(f"{name}: {value}\r\n")
    encoding, payload = _body(body, eight_bit)
    head = (f"From: {sender_box[0]}\r\nTo: {recipient[0]}\r\nSubject: {_encoded_words(_one_line(subject), 78 - 9)}\r\n"
            f"Date: {_date(int(now))}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: {encoding}\r\n"
            f"{''.join(extra)}\r\n")
    return Composed(head.encode("ascii") + payload, mail_from=sender_box[1], rcpt_to=recipient[1])
