"""E-mail over SMTP through Django's mail backend (or any backend, e.g. django-anymail's, named in the config).

Config keys (all optional; Django's EMAIL_* settings otherwise): backend, host, port, username, password,
use_tls, use_ssl, timeout. The sender is the account's `sender` (or DEFAULT_FROM_EMAIL). SMTP knows no
idempotency key: a retry after an unknown outcome may deliver twice and is marked ambiguous by the dispatcher.
Advertising carries List-Unsubscribe and List-Unsubscribe-Post (RFC 8058); service mail does not."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from ..base import ConfigField, Outgoing, PermanentError, Sent, TemporaryError, WebhookAnswer, WebhookRequest


class EmailProvider:
    name: ClassVar[str] = "email"
    label: ClassVar[str] = "SMTP"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("host", "SMTP host", required=True), ConfigField("port", "Port", kind="number"),
        ConfigField("username", "User"), ConfigField("password", "Password", secret=True),
        ConfigField("use_tls", "STARTTLS", kind="bool"), ConfigField("use_ssl", "SSL/TLS", kind="bool"),
    )
    channels: ClassVar[tuple[str, ...]] = ("email",)
    takes_idempotency_key: ClassVar[bool] = False

    def send(self, message: Outgoing, *, config: Mapping[str, Any]) -> Sent:
        options = {k: config[k] for k in ("host", "port", "username", "password", "use_tls", "use_ssl", "timeout")
                   if k in config}
        options.setdefault("timeout", 20)
        connection = get_connection(config.get("backend") or settings.EMAIL_BACKEND, fail_silently=False, **options)
        domain = (message.sender or settings.DEFAULT_FROM_EMAIL).rpartition("@")[2] or "regulars.local"
        message_id = f"<{message.idempotency_key.replace(':', '.')}@{domain}>"
        email = EmailMessage(subject=message.subject, body=message.body,
                             from_email=message.sender or settings.DEFAULT_FROM_EMAIL, to=[message.to],
                             headers={"Message-ID": message_id, **message.headers}, connection=connection)
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"recipient refused: {exc.recipients}") from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from None
            raise TemporaryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", outcome_unknown=True) from None
        except (smtplib.SMTPServerDisconnected, TimeoutError) as exc:
            raise TemporaryError(f"SMTP connection lost: {exc}", outcome_unknown=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryError(f"SMTP: {exc}") from None
        return Sent(provider_message_id=message_id)

    def handle_webhook(self, request: WebhookRequest, *, config: Mapping[str, Any]) -> WebhookAnswer:
        return WebhookAnswer(status=404, body=b"")  # plain SMTP reports nothing back; bounces arrive as mail


PROVIDER = EmailProvider()
