"""Append-only history: order events and the audit trail of setup changes."""

from __future__ import annotations

import json

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.models import AuditEntry, Order, OrderEvent, User


def actor_label(user: User | None, fallback: str = "system") -> str:
    return f"{user.name} <{user.email}>" if user else fallback


def record_audit(
    session: Session,
    tenant_id: int,
    actor: User | None,
    entity: str,
    entity_id: int | None,
    action: str,
    detail: dict | None = None,
    *,
    at_once: bool = False,
) -> None:
    """One audit row. ``at_once``: written now with a Core INSERT, no ORM object, for a use
    case whose other writes are flushed already (issue 19, seventh pass: the back-ordering's
    note of missing products was the only object of a whole ORM flush in a placement)."""
    values = _audit_values(tenant_id, actor, entity, entity_id, action, detail)
    if at_once:
        session.connection().execute(insert(AuditEntry.__table__), values)
    else:
        session.add(AuditEntry(**values))


def _audit_values(tenant_id, actor, entity, entity_id, action, detail) -> dict:
    return {
        "tenant_id": tenant_id,
        "actor_user_id": actor.id if actor else None,
        "actor_label": actor_label(actor),
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "detail": json.dumps(detail, default=str, sort_keys=True) if detail else None,
    }


def record_order_event(
    session: Session,
    order: Order,
    kind: str,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    from_status_id: int | None = None,
    to_status_id: int | None = None,
    note: str | None = None,
) -> OrderEvent:
    event = OrderEvent(
        order_id=order.id,
        actor_user_id=actor.id if actor else None,
        actor_label=actor_label(actor, actor_name),
        kind=kind,
        from_status_id=from_status_id,
        to_status_id=to_status_id,
        note=note,
    )
    session.add(event)
    return event
