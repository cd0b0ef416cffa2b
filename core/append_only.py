"""Append-only history (issue 8): order events, offer events and the audit trail are written
once and never changed or removed through the ORM, whatever code asks.

Installed by ``core.models`` (imported at its end), so every SQLAlchemy session of the
application, with Flask or without, refuses:

- updating or deleting a loaded history row (``before_flush``);
- a bulk ``UPDATE``/``DELETE`` statement aimed at a history table (``do_orm_execute``).

Rows a database-level ``ON DELETE CASCADE`` removes with their abandoned Draft order are not
ORM operations and are not affected; nor is :func:`erase_database`, the administrative reset of
the whole database (``flask seed-demo --force``).
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


def erase_database(session: Session, metadata) -> None:
    """The one way history rows go: an administrative reset of the whole database (``flask
    seed-demo --force``), never a change to part of it. Every table of ``metadata`` (but
    Alembic's version) is emptied in the caller's transaction through the session's connection:
    statements of the database, as its ``ON DELETE CASCADE`` is, which the ORM listeners above
    do not see. Row ids start again from 1, as in a new database."""
    connection = session.connection()
    tables = [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]
    if connection.dialect.name == "postgresql":
        quoted = ", ".join(connection.dialect.identifier_preparer.format_table(t) for t in tables)
        connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        return
    # tables refer to each other both ways (an offer and the order converted from it): the
    # foreign keys are checked at commit, when every table is empty
    connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    for table in tables:
        connection.execute(table.delete())
    if connection.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
    ).first():
        connection.exec_driver_sql("DELETE FROM sqlite_sequence")
