"""Outgoing notifications: a Notification row per message, written in the caller's
transaction with an outbox item, so a worker sends it once the transaction commits (see
:mod:`core.services.outbox` and :mod:`core.services.mail`).

Bodies: ``body`` is the plain text; the HTML body comes from the renderer the application
installs (:func:`configure`), from ``template`` and ``context`` when given, else from the
generic message layout around ``body``. A tenant may turn off a kind of message
(:mod:`core.rules.notifications`); ``notify`` then records nothing and returns None.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, null, select, union_all
from sqlalchemy.orm import Session

from core import texts
from core.db import read_rows, utcnow, write_transaction
from core.models import Notification, NotificationSetting, Tenant
from core.rules import notifications as rules
from core.rules.accounts import is_email
from core.services import outbox
from core.services.errors import ValidationFailed

log = logging.getLogger("cloudshop.notifications")

EMAIL = "email"  # the outbox kind
# renderer(template name, context) -> (plain text, html); the application installs it
Renderer = Callable[[str, dict], tuple[str, str]]
GENERIC_TEMPLATE = "message"

_renderer: Renderer | None = None
_message_domain = "cloudshop.example"
_operations_default = "operations@cloudshop.example"


def configure(
    *, renderer: Renderer | None, sender: str | None = None, operations: str | None = None
) -> None:
    """Install the body renderer, take the Message-ID domain from the sender address and the
    deployment's operations address (``OPERATIONS_EMAIL``: for tenants that set none)."""
    global _renderer, _message_domain, _operations_default
    _renderer = renderer
    if operations:
        _operations_default = operations
    if sender and "@" in sender:
        _message_domain = sender.rsplit("@", 1)[1].strip("> ") or _message_domain


def notify(
    session: Session,
    tenant_id: int,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    order_id: int | None = None,
    now: datetime | None = None,
    *,
    html: str | None = None,
    template: str | None = None,
    context: dict | None = None,
) -> int | None:
    """Record one message for ``recipient`` (an e-mail address), to be sent after commit.
    Returns the notification's id."""
    off, sender = _turned_off_and_sender(session, tenant_id)
    if not rules.is_enabled(kind, off):
        log.info("notification %s to %s not sent: turned off by the tenant", kind, recipient)
        return None
    message = Message(recipient, subject, body, order_id, html, template, context)
    (note_id,) = _record(session, tenant_id, kind, [message], now or utcnow(), sender)
    log.info("notification %s to %s: %s", kind, recipient, subject)
    return note_id


@dataclass
class Message:
    """One message of :func:`notify_many` (the arguments of :func:`notify` that vary)."""

    recipient: str
    subject: str
    body: str
    order_id: int | None = None
    html: str | None = None
    template: str | None = None
    context: dict | None = None


def notify_many(
    session: Session,
    tenant_id: int,
    kind: str,
    messages: list[Message],
    now: datetime | None = None,
) -> int:
    """:func:`notify` for many messages of one kind (the billing run's reminders): one
    INSERT of the notifications and one of their outbox items. Returns how many were recorded."""
    if not messages:
        return 0
    off, sender = _turned_off_and_sender(session, tenant_id)
    if not rules.is_enabled(kind, off):
        log.info("%s notifications %s not sent: turned off by the tenant", len(messages), kind)
        return 0
    ids = _record(session, tenant_id, kind, messages, now or utcnow(), sender)
    log.info("%s notifications %s recorded", len(ids), kind)
    return len(ids)


def _record(
    session: Session,
    tenant_id: int,
    kind: str,
    messages: list[Message],
    now: datetime,
    sender: str,
) -> list[int]:
    """The notifications' rows and their outbox items, two Core INSERTs, no ORM objects
    (issue 19, seventh pass: one message was an ORM object flushed for its id, then an ORM
    outbox item: a checkout's placement tells its customer once). Returns their ids."""
    table = Notification.__table__
    footer = signature(sender)
    ids = list(
        session.connection()
        .execute(
            insert(table).returning(table.c.id),  # in any order (no per-row INSERT on SQLite)
            [_row(tenant_id, kind, message, now, footer) for message in messages],
        )
        .scalars()
    )
    outbox.add_many(session, tenant_id, EMAIL, ids, now=now)
    return ids


def signature(sender: str) -> str:
    """The line every message ends with, naming the provider (``sender``: the tenant's name)."""
    return texts.EMAIL_FOOTER.format(sender=sender)


def _row(tenant_id: int, kind: str, message: Message, now: datetime, footer: str) -> dict:
    """A notification's columns: the HTML body from the renderer unless given."""
    text, html = message.body, message.html
    if _renderer is not None and html is None:
        values = {
            "subject": message.subject,
            "body": message.body,
            "footer": footer,
            **(message.context or {}),
        }
        text, html = _renderer(message.template or GENERIC_TEMPLATE, values)
    return {
        "tenant_id": tenant_id,
        "at": now,
        "kind": kind,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": text,
        "html_body": html,
        "order_id": message.order_id,
        "message_id": f"<{uuid.uuid4().hex}@{_message_domain}>",
    }


# --- the tenant's settings (BSS Setup > Notifications) ---------------------------------------


def turned_off(session: Session, tenant_id: int) -> frozenset[str]:
    return frozenset(read_rows(session, _TURNED_OFF, {"tenant_id": tenant_id}).scalars())


def _turned_off_and_sender(session: Session, tenant_id: int) -> tuple[frozenset[str], str]:
    """The kinds the tenant turned off and the name its messages are signed with (the
    tenant's: its customers know the provider, not the platform), in one statement: the
    settings' rows and one row with the name."""
    off, sender = set(), ""
    for kind, name in read_rows(session, _TURNED_OFF_AND_SENDER, {"tenant_id": tenant_id}):
        if name is not None:
            sender = name
        else:
            off.add(kind)
    return frozenset(off), sender


# built once (issue 19): read for every message
_TURNED_OFF = select(NotificationSetting.kind).where(
    NotificationSetting.tenant_id == bindparam("tenant_id"),
    NotificationSetting.enabled.is_(False),
)
_TURNED_OFF_AND_SENDER = union_all(
    _TURNED_OFF.add_columns(null().label("name")),
    select(null(), Tenant.name).where(Tenant.id == bindparam("tenant_id")),
)


def settings(session: Session, tenant_id: int) -> dict[str, bool]:
    """Every configurable kind with whether it is sent, in display order."""
    off = turned_off(session, tenant_id)
    return {kind: kind not in off for kind in rules.CONFIGURABLE}


def operations_email_setting(session: Session, tenant_id: int) -> str:
    """The tenant's own operations address ("" when unset). The tenant is usually in the
    session already (the signed-in user's): no query then (issue 19)."""
    tenant = session.get(Tenant, tenant_id)
    return (tenant.operations_email if tenant is not None else None) or ""


def operations_email(session: Session, tenant_id: int) -> str:
    """Where the tenant's operations team hears of each new manual order: its own address
    (Setup > Notifications), else the deployment's ``OPERATIONS_EMAIL``."""
    return operations_email_setting(session, tenant_id) or _operations_default


def operations_default() -> str:
    """The deployment's operations address (``OPERATIONS_EMAIL``)."""
    return _operations_default


def save_settings(
    session: Session, tenant_id: int, enabled: set[str], operations: str | None = None
) -> dict[str, bool]:
    """Turn on exactly the kinds in ``enabled`` (unknown kinds are ignored) and, when
    ``operations`` is given, set the tenant's operations address ("" : the deployment's);
    idempotent. An address that is not one is refused and nothing changes."""
    if operations is not None:
        operations = operations.strip().lower()
        if operations and not is_email(operations):
            raise ValidationFailed(
                texts.OPERATIONS_EMAIL_INVALID,
                {"operations_email": [texts.OPERATIONS_EMAIL_INVALID]},
            )
    with write_transaction(session):
        if operations is not None:
            tenant = session.get(Tenant, tenant_id, with_for_update=True)
            tenant.operations_email = operations or None
        rows = {
            row.kind: row
            for row in session.scalars(
                select(NotificationSetting)
                .where(NotificationSetting.tenant_id == tenant_id)
                .with_for_update()
            )
        }
        for kind in rules.CONFIGURABLE:
            on = kind in enabled
            row = rows.get(kind)
            if row is None:
                if not on:
                    session.add(NotificationSetting(tenant_id=tenant_id, kind=kind, enabled=False))
            else:
                row.enabled = on
    return settings(session, tenant_id)
