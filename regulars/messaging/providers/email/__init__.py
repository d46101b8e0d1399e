"""E-mail over SMTP through Django's mail backend (or any backend, e.g. django-anymail's, named in the config).
With Django's SMTP backend the connection is its own (TLS, login), but the message is composed here and pipelined
(compose.py, wire.py): the general path costs three times the SMTP exchange. Other backends get an EmailMessage.

Config keys (all optional; Django's EMAIL_* settings otherwise): backend, host, port, username, password,
use_tls, use_ssl, timeout. The sender is the account's `sender` (or DEFAULT_FROM_EMAIL). SMTP knows no
idempotency key: a retry after an unknown outcome may deliver twice and is marked ambiguous by the dispatcher.
Advertising carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058); service mail does not."""

from __future__ import annotations

import contextlib
import smtplib
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.utils.translation import gettext_lazy as _

from ..base import ConfigField, Outgoing, PermanentError, Sent, TemporaryError, WebhookAnswer, WebhookRequest
from . import wire
from .compose import compose

IDLE_SECONDS = 10.0  # a kept connection idle longer than this is reopened


class EmailProvider:
    name: ClassVar[str] = "email"
    label: ClassVar[str] = "SMTP"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("host", _("SMTP host"), required=True), ConfigField("port", _("Port"), kind="number"),
        ConfigField("username", _("User")), ConfigField("password", _("Password"), secret=True),
        ConfigField("use_tls", _("STARTTLS"), kind="bool"), ConfigField("use_ssl", _("SSL/TLS"), kind="bool"),
    )
    channels: ClassVar[tuple[str, ...]] = ("email",)
    takes_idempotency_key: ClassVar[bool] = False
    reports_delivery: ClassVar[bool] = False

    def __init__(self) -> None:
        # One open connection per server for the life of a worker: a handshake per message would cost more than
        # the message. Reopened when it has been idle (servers drop idle clients) or after any error.
        self._open: dict[str, tuple[Any, float]] = {}

    def _connection(self, config: Mapping[str, Any]) -> tuple[str, Any]:
        options = {k: config[k] for k in ("host", "port", "username", "password", "use_tls", "use_ssl", "timeout")
                   if k in config}
        options.setdefault("timeout", 20)
        backend = config.get("backend") or settings.EMAIL_BACKEND
        key = repr((backend, sorted(options.items())))
        held = self._open.get(key)
        if held is not None and time.monotonic() - held[1] < IDLE_SECONDS:
            return key, held[0]
        self._close(key)
        connection = get_connection(backend, fail_silently=False, **options)
        connection.open()
        self._open[key] = (connection, time.monotonic())
        return key, connection

    def _close(self, key: str) -> None:
        held = self._open.pop(key, None)
        if held is not None:
            with contextlib.suppress(Exception):
                held[0].close()

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        try:
            key, connection = self._connection(config)
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryError(f"SMTP: cannot connect: {exc}") from None
        sender = message.sender or settings.DEFAULT_FROM_EMAIL
        domain = sender.rpartition("@")[2].rstrip(">") or "regulars.local"
        message_id = f"<{message.idempotency_key.replace(':', '.')}@{domain}>"
        try:
            if not self._send_direct(connection, message, sender, message_id):
                EmailMessage(subject=message.subject, body=message.body, from_email=sender, to=[message.to],
                             headers={"Message-ID": message_id, **message.headers}, connection=connection).send()
            self._open[key] = (connection, time.monotonic())
        except smtplib.SMTPRecipientsRefused as exc:  # the session was reset: the connection stays usable
            codes = [code for code, _text in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise PermanentError(f"recipient refused: {exc.recipients}") from None
            raise TemporaryError(f"recipient deferred: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            self._close(key)
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
            raise TemporaryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", outcome_unknown=True) from None
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            self._close(key)
            raise TemporaryError(f"SMTP connection lost: {exc}", outcome_unknown=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._close(key)
            raise TemporaryError(f"SMTP: {exc}") from None
        return Sent(provider_message_id=message_id)

    @staticmethod
    def _send_direct(connection: Any, message: Outgoing, sender: str, message_id: str) -> bool:
        """Plain SMTP: the message composed here and pipelined (wire.py); False when Django's path must do it
        (another backend, or an address compose() leaves to the email package)."""
        client = getattr(connection, "connection", None)
        if not isinstance(connection, SmtpBackend) or not isinstance(client, smtplib.SMTP):
            return False
        client.ehlo_or_helo_if_needed()
        composed = compose(sender=sender, to=message.to, subject=message.subject, body=message.body,
                           message_id=message_id, headers=message.headers, now=time.time(),
                           eight_bit=client.has_extn("8bitmime"))
        if composed is None:
            return False
        wire.send(client, mail_from=composed.mail_from, to=composed.rcpt_to, data=composed.data)
        return True

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        return WebhookAnswer(status=404, body=b"")  # plain SMTP reports nothing back; bounces arrive as mail


PROVIDER = EmailProvider()
