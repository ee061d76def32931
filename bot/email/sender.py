"""The e-mail sender: one message per delivery, over SMTP (SMTP_SECURITY starttls, tls or none).

The message is built with the standard library (`email.message.EmailMessage`): multipart/alternative with a
plain-text part and an HTML part; inline images (the weekly chart) are related parts of the HTML, referenced
by Content-ID, so no mail client fetches anything remote. Its Message-ID is derived from the delivery's
idempotency key: if the bot stops between the server's "250 OK" and marking the delivery sent, the resend
carries the same Message-ID, and mail systems and clients treat it as the same message.

What the server says: a 4xx (greylisting, mailbox busy, too many connections) or no answer: retried with
the worker's backoff; a 5xx (no such mailbox, refused, too big): failed for good with the server's reason
kept in the outbox and shown in /healthz?detail=1.
"""

from __future__ import annotations

import base64
import hashlib
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlmodel import Session

from bot.config import Settings
from bot.delivery.worker import Delivery, Permanent, Retry


def message_id(key: str, sender: str) -> str:
    """``<hex@domain>``: the same for every attempt of one delivery, different for every other."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "remediate.invalid"
    return f"<{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}@{domain}>"


def build_message(delivery: Delivery, *, sender: str) -> EmailMessage:
    payload = delivery.payload
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = str(payload["to"])
    msg["Subject"] = str(payload["subject"])
    msg["Date"] = format_datetime(datetime.fromisoformat(str(payload.get("date") or delivery.created_at)))
    msg["Message-ID"] = message_id(delivery.key or f"delivery-{delivery.id}", sender)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the bot
    msg.set_content(str(payload.get("text") or ""), subtype="plain", charset="utf-8")
    msg.add_alternative(str(payload.get("html") or ""), subtype="html", charset="utf-8")
    inline = payload.get("inline") or []
    if inline:
        html_part = msg.get_body(preferencelist=("html",))
        assert isinstance(html_part, EmailMessage)
        for image in inline:
            html_part.add_related(
                base64.b64decode(image["content_b64"]),
                maintype="image",
                subtype=str(image.get("subtype") or "png"),
                cid=f"<{image['cid']}>",
                filename=str(image.get("filename") or "image.png"),
                disposition="inline",
            )
    return msg


class EmailSender:
    destination = "email"
    min_interval = 0.0
    max_attempts: int | None = None  # an outage delays mail, it never loses it; a 5xx fails it at once

    def __init__(self, settings: Settings):
        self.host = settings.smtp_host
        self.port = settings.smtp_port_or_default
        self.security = settings.smtp_security
        self.username = settings.smtp_username
        self._password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
        self.sender = settings.email_from
        self.timeout = settings.smtp_timeout_seconds

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            conn.ehlo()
            conn.starttls(context=context)
            conn.ehlo()
        return conn

    def send(self, delivery: Delivery, now: datetime) -> dict[str, Any]:
        msg = build_message(delivery, sender=self.sender)
        envelope_from = parseaddr(self.sender)[1]
        try:
            with self._connect() as conn:
                if self.username:
                    conn.login(self.username, self._password)
                conn.send_message(msg, from_addr=envelope_from, to_addrs=[str(delivery.payload["to"])])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()), (550, b"refused"))
            raise _by_code(code, reason) from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise Retry(None, f"SMTP {self.host}:{self.port}: {exc!r}") from exc
        return {"message_id": msg["Message-ID"]}

    def sent(self, session: Session, delivery: Delivery, result: dict[str, Any], now: datetime) -> None:
        return None

    def describe(self, delivery: Delivery) -> str:
        return f"e-mail to {delivery.payload.get('to')}: {delivery.payload.get('subject')}"

    def hold(self, session: Session, deliveries: list[Delivery], now: datetime) -> dict[int, datetime]:
        return {}


def _by_code(code: int, reason: bytes | str) -> Exception:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    if 400 <= code < 500:
        return Retry(None, f"SMTP {code} {text}")
    return Permanent(f"SMTP {code} {text}")
