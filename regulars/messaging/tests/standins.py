"""Local stand-ins for the world the providers talk to, served on 127.0.0.1 (an ephemeral port) from a thread:
an SMS.ru-style HTTP gateway and an SMTP sink. Both record what they receive and can be told to misbehave."""

from __future__ import annotations

import email
import itertools
import json
import re
import socketserver
import threading
import urllib.parse
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class _Served:
    """A socketserver run by a daemon thread between start() and stop()."""

    server: socketserver.BaseServer
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        address = self.server.server_address
        assert isinstance(address, tuple)
        return int(address[1])


# HTTP APIs that answer POSTs with JSON (every provider's stand-in)


@dataclass
class Reply:
    status: int
    document: dict[str, Any]
    delay: float = 0.0  # seconds to wait before answering (past the client's timeout, say)
    headers: dict[str, str] = field(default_factory=dict)


class _JsonServer(ThreadingHTTPServer):
    daemon_threads = True
    api: JsonApi


class _JsonHandler(BaseHTTPRequestHandler):
    server: _JsonServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if len(raw) < length:  # the client died while sending (a SIGKILLed worker): a real API never sees a request
            return
        reply = api.handle(self.path, self.headers, raw)
        if reply.delay:
            api.stopping.wait(reply.delay)  # the client has given up by now; stop() ends the wait at once
        body = json.dumps(reply.document, ensure_ascii=False).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client timed out and closed the connection
            pass


class JsonApi(_Served):
    """A stand-in API: `handle(path, headers, body)` decides each answer; stop() also ends any delayed answer."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)
        server = _JsonServer(("127.0.0.1", 0), _JsonHandler)
        server.api = self
        self.server = server

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        super().stop()


# SMS.ru-style gateway


class SmsGateway(JsonApi):
    """POST /sms/send with api_id, to, msg, json=1, from. `fail_next` answers HTTP 500 to that many requests;
    `delay` sleeps that long before answering. Every request to /sms/send lands in `requests`."""

    def __init__(self, api_id: str = "k") -> None:
        self.api_id = api_id
        self.requests: list[dict[str, str]] = []
        self.sms_ids: list[str] = []
        self.fail_next = 0
        self.delay = 0.0
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, path: str, headers: Message, body: bytes) -> Reply:
        fields = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return Reply(*self.answer(path, fields))

    def answer(self, path: str, fields: dict[str, str]) -> tuple[int, dict[str, Any], float]:
        if urllib.parse.urlsplit(path).path != "/sms/send":
            return 404, {"status": "ERROR", "status_code": 404}, 0.0
        with self._lock:
            self.requests.append(fields)
            if self.fail_next > 0:
                self.fail_next -= 1
                return 500, {"status": "ERROR", "status_text": "internal error"}, 0.0
            if fields.get("api_id") != self.api_id:
                return 200, {"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"}, self.delay
            sms_id = f"{next(self._numbers):06d}-{len(self.requests)}"
            self.sms_ids.append(sms_id)
        to = fields.get("to", "")
        return 200, {"status": "OK", "status_code": 100,
                     "sms": {to: {"status": "OK", "status_code": 100, "sms_id": sms_id}}, "balance": 100}, self.delay


# SMTP sink


@dataclass
class Received:
    mail_from: str
    rcpt_to: list[str]
    data: bytes

    @property
    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Envelope:
    mail_from: str | None = None
    rcpt_to: list[str] = field(default_factory=list)


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: SmtpSink


_ADDRESS = re.compile(r"<([^>]*)>")


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer
    timeout = 10

    def reply(self, *lines: str) -> None:
        text = "".join(f"{line[:3]}{'-' if i < len(lines) - 1 else ' '}{line[4:]}\r\n" for i, line in enumerate(lines))
        self.wfile.write(text.encode())

    def handle(self) -> None:
        sink = self.server.sink
        envelope = _Envelope()
        self.reply("220 sink.test ESMTP stand-in")
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            verb, _, argument = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            verb = verb.upper()
            found = _ADDRESS.search(argument)
            address = found.group(1) if found else argument.strip()
            if verb == "EHLO":
                self.reply("250 sink.test", "250 8BITMIME", *(["250 PIPELINING"] if sink.pipelining else []),
                           "250 HELP")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "MAIL":
                envelope = _Envelope(mail_from=address)
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT" and envelope.mail_from is None:
                self.reply("503 5.5.1 MAIL first")
            elif verb == "RCPT" and address.lower() in sink.refuse:
                self.reply(f"550 5.1.1 <{address}>: mailbox unavailable")
            elif verb == "RCPT" and address.lower() in sink.defer:
                self.reply(f"450 4.2.0 <{address}>: greylisted, try again later")
            elif verb == "RCPT":
                envelope.rcpt_to.append(address)
                self.reply("250 2.1.5 OK")
            elif verb == "DATA" and not envelope.rcpt_to:
                self.reply("503 5.5.1 RCPT first")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                sink.record(Received(envelope.mail_from or "", envelope.rcpt_to, self._data()))
                envelope = _Envelope()
                self.reply("250 2.0.0 OK queued")
            elif verb == "RSET":
                envelope = _Envelope()
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 command not implemented")

    def _data(self) -> bytes:
        lines: list[bytes] = []
        while True:
            line = self.rfile.readline(1 << 20)
            if line in (b".\r\n", b".\n", b""):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)  # RFC 5321 4.5.2: undo the dot-stuffing


class SmtpSink(_Served):
    """An SMTP server that keeps each message (envelope and raw data) in `messages`; RCPT of an address in
    `refuse` is answered 550, of one in `defer` 450. It offers PIPELINING (RFC 2920) when asked to: commands are read
    a line at a time either way, so pipelined ones are answered in order."""

    def __init__(self, *, pipelining: bool = False) -> None:
        self.messages: list[Received] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.pipelining = pipelining
        self._lock = threading.Lock()
        server = _SmtpServer(("127.0.0.1", 0), _SmtpHandler)
        server.sink = self
        self.server = server

    def record(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)
