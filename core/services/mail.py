"""E-mail delivery (issue 16): one :class:`~core.models.Notification` becomes one message with
a plain-text and an HTML body and its own Message-ID, sent over SMTP by a worker.

The standard library's ``smtplib`` and ``email.message`` do the work: they are what every
Python mail library wraps, they need no application context (the worker runs outside
requests), and they let the test talk to a real SMTP server (aiosmtpd) with nothing mocked.

At most once per successful SMTP answer: the message is sent only while the notification has
no ``sent_at``, and ``sent_at`` is written right after the server accepted it. (A worker killed
between the server's answer and that write sends it again after its lease; the Message-ID is
the same, so mail clients show it once.) Without ``MAIL_SERVER`` in development the message
goes to the development mailbox (the BSS page that lists the notifications) and to the log.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import utcnow, write_transaction
from core.models import Notification, OutboxItem

log = logging.getLogger("cloudshop.mail")

SMTP = "smtp"
MAILBOX = "mailbox"


class MailNotConfigured(RuntimeError):
    """Outside development, a message cannot go anywhere without MAIL_SERVER."""


@dataclass(frozen=True)
class MailSettings:
    server: str | None = None
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "no-reply@cloudshop.example"
    development: bool = True
    timeout: float = 30.0


Sender = Callable[[EmailMessage, MailSettings], None]


def build_message(note: Notification, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Message-ID"] = note.message_id
    message["From"] = sender
    message["To"] = note.recipient
    message["Subject"] = note.subject
    message["Date"] = format_datetime(note.at)
    message.set_content(note.body)
    if note.html_body:
        message.add_alternative(note.html_body, subtype="html")
    return message


def smtp_send(message: EmailMessage, settings: MailSettings) -> None:
    """One SMTP session: STARTTLS when MAIL_USE_TLS (implicit TLS on port 465), then login."""
    context = ssl.create_default_context()
    if settings.use_tls and settings.port == 465:
        client = smtplib.SMTP_SSL(
            settings.server, settings.port, timeout=settings.timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
    with client as smtp:
        if settings.use_tls and settings.port != 465:
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
        smtp.send_message(message)


def deliver(
    session: Session, item: OutboxItem, settings: MailSettings, send: Sender = smtp_send
) -> str:
    """The outbox handler for ``email`` items; returns how the message left (or had left)."""
    note = session.scalar(
        select(Notification)
        .where(Notification.id == item.ref_id)
        .execution_options(populate_existing=True)
    )
    session.expunge(note)
    session.rollback()
    if note.sent_at is not None:
        return note.transport or SMTP  # already sent: never twice
    message = build_message(note, settings.sender)
    if settings.server:
        send(message, settings)
        transport = SMTP
    elif settings.development:
        log.info("development mailbox: message %s\n%s", note.message_id, message.as_string())
        transport = MAILBOX
    else:
        raise MailNotConfigured("MAIL_SERVER is not set: the message cannot be sent")
    with write_transaction(session):
        session.execute(
            update(Notification)
            .where(Notification.id == note.id, Notification.sent_at.is_(None))
            .values(sent_at=utcnow(), transport=transport)
            .execution_options(synchronize_session=False)
        )
    return transport


def mailbox(session: Session, tenant_id: int, limit: int = 100) -> list[Notification]:
    """The development mailbox: the tenant's newest messages."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.tenant_id == tenant_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def message_in_mailbox(session: Session, tenant_id: int, notification_id: int):
    return session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.tenant_id == tenant_id
        )
    )
