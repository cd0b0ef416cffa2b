"""Append-only history: order events and the audit trail of setup changes."""

from __future__ import annotations

import json

from sqlalchemy import insert
from sqlalchemy.orm import Session

from core import texts
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


def record_order_event(session: Session, order: Order, kind: str, **fields) -> None:
    """One history line of ``order`` (``fields``: those of :func:`order_event`), written now
    (:func:`record_order_events`). An order not yet inserted is flushed first (its id)."""
    if order.id is None:
        session.flush()
    record_order_events(session, [order_event(order, kind, **fields)])


def order_event(
    order: Order,
    kind: str,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    from_status_id: int | None = None,
    to_status_id: int | None = None,
    note: str | None = None,
) -> dict:
    """The columns of one history line of ``order`` (an inserted order: its id is known)."""
    return {
        "order_id": order.id,
        "actor_user_id": actor.id if actor else None,
        "actor_label": actor_label(actor, actor_name),
        "kind": kind,
        "from_status_id": from_status_id,
        "to_status_id": to_status_id,
        "note": note,
    }


def hold_event(
    order: Order,
    kind: str,
    template: str,
    reason: str,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    detail: str | None = None,
) -> dict:
    """A history line about one of the order's holds: ``template`` names it by its label,
    ``detail`` follows in brackets."""
    note = template.format(hold=texts.HOLD_LABELS.get(reason, reason))
    if detail:
        note += f" ({detail})"
    return order_event(order, kind, actor=actor, actor_name=actor_name, note=note)


def record_order_events(session: Session, lines: list[dict]) -> None:
    """History lines (:func:`order_event`), in their order, written now in one Core INSERT in
    the caller's transaction (issue 19, eighth pass: ORM objects nobody reads back, inserted
    one at a time on SQLite to learn their ids, made every use case's flush heavier; a
    placement's lines written together are one statement on both engines)."""
    if lines:
        session.connection().execute(_INSERT_EVENT, lines)


_INSERT_EVENT = insert(OrderEvent.__table__)  # built once
