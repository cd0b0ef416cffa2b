"""Database plumbing shared by every use case: the declarative base, column types,
SQLite connection settings and the write-transaction helper.

SQLite: WAL, busy timeout, foreign keys, and write transactions that begin IMMEDIATE so two
writers never read-then-write past each other. PostgreSQL: use-cases lock rows explicitly
(``SELECT ... FOR UPDATE``) inside :func:`write_transaction`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Engine, MetaData, Numeric, event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Money(TypeDecorator):
    """Decimal amounts with two places; SQLite stores them as text-exact numerics."""

    impl = Numeric(14, 2)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(Decimal("0.01"))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(Decimal("0.01"))


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- SQLite ---------------------------------------------------------------------------------

_immediate = contextvars.ContextVar("sqlite_begin_immediate", default=False)


def configure_sqlite(engine: Engine, busy_timeout_ms: int = 15000) -> None:
    """WAL, busy timeout and foreign keys on every connection; we emit BEGIN ourselves."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let us issue BEGIN (IMMEDIATE) ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


_writes = contextvars.ContextVar("write_transactions_begun", default=0)


def writes_begun() -> int:
    """How many write transactions this context has begun: a value read before one may be
    stale after (the basket counter read with the signed-in user, issue 19)."""
    return _writes.get()


def writing_transaction() -> bool:
    """True while :func:`write_transaction` begins or runs its transaction."""
    return _immediate.get()


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error.

    Any read transaction already open in the session (e.g. the one that loaded the signed-in
    user) is ended first so that, on SQLite, the write transaction begins IMMEDIATE and reads
    the newest data. On PostgreSQL the write continues that read transaction instead: at READ
    COMMITTED every statement reads the newest committed data, so ending it and beginning
    another would only cost two round trips (COMMIT, BEGIN; issue 19). What was read or
    flushed before is committed or rolled back with the write, as ending it first did.
    """
    if isinstance(session, scoped_session):
        session = session()
    continues = session.in_transaction() and _reads_committed(session)
    if session.in_transaction() and not continues:
        session.commit()
    _writes.set(_writes.get() + 1)
    token = _immediate.set(True)
    try:
        if continues:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            session.commit()
        else:
            with session.begin():
                yield session
    finally:
        _immediate.reset(token)


def _reads_committed(session: Session) -> bool:
    """The open transaction is PostgreSQL's, at READ COMMITTED (its default)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return False
    level = connection.get_execution_options().get("isolation_level")
    return level in (None, "READ COMMITTED") and connection.default_isolation_level in (
        None,
        "READ COMMITTED",
    )
