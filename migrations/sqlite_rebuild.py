"""What the migrations that rebuild tables on SQLite share (batch mode drops the old copy of a
table other rows refer to, which fails while foreign keys are on)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op


def _foreign_keys(on: bool) -> None:
    """Commit what ran so far, switch the PRAGMA (it only works between transactions), begin
    again (the connection emits BEGIN itself: core.db.configure_sqlite)."""
    raw = op.get_bind().connection.dbapi_connection
    raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    raw.execute("BEGIN")


@contextmanager
def foreign_keys_off(revision: str) -> Iterator[None]:
    """On SQLite: foreign keys off while the block rebuilds tables, back on after it, then
    every key checked (a broken one fails the migration). Elsewhere: nothing."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _foreign_keys(False)
    try:
        yield
    finally:
        if sqlite:
            _foreign_keys(True)
    if sqlite:
        problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").all()
        if problems:
            raise RuntimeError(f"foreign key check failed after {revision}: {problems[:5]}")
