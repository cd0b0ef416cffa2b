"""Append-only history (issue 8): order events, offer events and the audit trail are written
once and never changed or removed through the ORM, whatever code asks.

Installed by ``core.models`` (imported at its end), so every SQLAlchemy session of the
application, with Flask or without, refuses:

- updating or deleting a loaded history row (``before_flush``);
- a bulk ``UPDATE``/``DELETE`` statement aimed at a history table (``do_orm_execute``).

Rows a database-level ``ON DELETE CASCADE`` removes with their abandoned Draft order are not
ORM operations and are not affected.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete a history row."""


def _history_classes() -> tuple[type, ...]:
    from core.models import AuditEntry, CreditLimitChange, OfferEvent, OrderEvent

    return (OrderEvent, OfferEvent, AuditEntry, CreditLimitChange)


def _history_tables() -> set[str]:
    return {cls.__tablename__ for cls in _history_classes()}


@event.listens_for(Session, "before_flush")
def _refuse_changes(session: Session, _flush_context, _instances) -> None:
    classes = _history_classes()
    for obj in session.deleted:
        if isinstance(obj, classes):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, classes) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyViolation(f"{type(obj).__name__} rows are never changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in _history_tables():
        action = "update" if state.is_update else "delete"
        raise AppendOnlyViolation(f"bulk {action} of {table.name}")
