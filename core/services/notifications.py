"""Outgoing notifications: a Notification row per message, written in the caller's
transaction, and a log line. E-mail delivery (when MAIL_SERVER is configured) is left to a
sender that reads unsent rows; in development the log is the mailbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from core.db import utcnow
from core.models import Notification

log = logging.getLogger("cloudshop.notifications")


def notify(
    session: Session,
    tenant_id: int,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    order_id: int | None = None,
    now: datetime | None = None,
) -> Notification:
    """Record one message for ``recipient`` (an e-mail address) and log it."""
    note = Notification(
        tenant_id=tenant_id,
        at=now or utcnow(),
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        order_id=order_id,
    )
    session.add(note)
    log.info("notification %s to %s: %s", kind, recipient, subject)
    return note
