"""Helpers for the job-queue tests (issue 16): messages, the in-process SMTP server."""

from __future__ import annotations

import socket
from contextlib import contextmanager

from sqlalchemy import func, select

from core.db import write_transaction
from core.models import Notification, OutboxItem, Tenant


def demo_tenant_id(session) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))


def send_note(session, subject="Hello", recipient="ops@example.test", kind="manual_order"):
    """One notification written and committed as a use case would: returns its outbox item id."""
    from core.services.notifications import notify

    with write_transaction(session):
        note_id = notify(session, demo_tenant_id(session), kind, recipient, subject, "Body text.")
    item_id = item_of(session, note_id).id
    session.rollback()  # no read transaction (and snapshot) left open behind the caller
    return item_id


def item_of(session, notification_id: int) -> OutboxItem:
    session.expire_all()
    return session.scalar(
        select(OutboxItem).where(OutboxItem.kind == "email", OutboxItem.ref_id == notification_id)
    )


def item(session, item_id: int) -> OutboxItem:
    session.expire_all()
    found = session.get(OutboxItem, item_id)
    session.expunge(found)  # readable without reopening a transaction (and its snapshot)
    session.rollback()
    return found


def note_of(session, item_id: int) -> Notification:
    session.expire_all()
    found = session.get(Notification, session.get(OutboxItem, item_id).ref_id)
    session.expunge(found)
    session.rollback()
    return found


def count(session, model, *where) -> int:
    value = session.scalar(select(func.count()).select_from(model).where(*where))
    session.rollback()
    return value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server():
    """A real SMTP server on a free local port: yields (port, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()
