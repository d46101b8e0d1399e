"""One composed message over an open smtplib connection, pipelined when the server offers it (RFC 2920): MAIL,
RCPT and DATA in one write and their three replies read together, then the text — two round trips, where
smtplib's `sendmail` waits for each of four. Errors are smtplib's own exceptions, as `sendmail` raises them."""

from __future__ import annotations

import contextlib
import re
import smtplib

_LEADING_DOT = re.compile(rb"(?m)^\.")


def _stuffed(data: bytes) -> bytes:
    """RFC 5321 4.5.2: a line starting with a dot gets another; the text ends with CRLF . CRLF."""
    data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _abandon(client: smtplib.SMTP) -> None:
    """Back to a clean session after a refusal, so the connection serves the next message."""
    with contextlib.suppress(smtplib.SMTPServerDisconnected):
        client.rset()


def send(client: smtplib.SMTP, *, mail_from: str, to: str, data: bytes) -> None:
    client.ehlo_or_helo_if_needed()
    if not client.has_extn("pipelining"):
        client.sendmail(mail_from, [to], data)
        return
    client.send(f"MAIL FROM:<{mail_from}>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode("ascii"))
    mail, rcpt, ready = client.getreply(), client.getreply(), client.getreply()
    if ready[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
        client.send(b".\r\n")  # a server that opened DATA anyway: an empty text with no recipient goes nowhere
        client.getreply()
    if mail[0] != 250:
        _abandon(client)
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], mail_from)
    if rcpt[0] not in (250, 251):
        _abandon(client)
        raise smtplib.SMTPRecipientsRefused({to: rcpt})
    if ready[0] != 354:
        _abandon(client)
        raise smtplib.SMTPDataError(*ready)
    client.send(_stuffed(data))
    code, reply = client.getreply()
    if code != 250:
        _abandon(client)
        raise smtplib.SMTPDataError(code, reply)
