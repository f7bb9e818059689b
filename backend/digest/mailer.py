"""Send one email through the configured SMTP server: the only module that imports smtplib.

`smtp_security` is `starttls` (upgrade a plain connection, port 587), `tls` (implicit TLS, port 465) or
`none` (plain; only for a relay on the same machine). Certificates are verified against the system's CAs.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from backend.settings import Settings


class MailUnavailable(Exception):
    """The SMTP server could not be reached or refused for now (4xx): try again later."""


class MailRefused(Exception):
    """The SMTP server refused this message for good (5xx): do not retry."""


def send(settings: Settings, to: str, subject: str, text: str, html: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    timeout = float(settings.channel_timeout_seconds)
    # Loading the CA bundle costs more than sending a digest: only when TLS is used.
    context = ssl.create_default_context() if settings.smtp_security != "none" else None
    try:
        if settings.smtp_security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if context is not None and settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
            client.send_message(message)
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise MailRefused(f"SMTP {exc.smtp_code}") from None
        raise MailUnavailable(f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused:
        raise MailRefused("recipient refused") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailUnavailable(type(exc).__name__) from None
