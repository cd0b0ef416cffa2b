"""SQLite's write lock waited for in short steps (issue 19, ninth pass).

SQLite's own busy handler sleeps 1, 2, 5, 10 ... ms between tries, so a writer that found the
lock taken slept at least 1 ms however soon the holder committed. ``core.db.begin_immediate``
tries again after ~50 us, growing to 1 ms, for up to ``_LOCK_POLL_FOR_S``; after that SQLite's
handler and the connection's busy timeout take over, with the usual error at the end. The
waits are recorded by replacing ``time.sleep`` in ``core.db``: the holder commits from inside
the waiter's sleep, so the tests need no second thread and no timing.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import core.db
from core.db import configure_sqlite, write_transaction


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'lock.sqlite3'}")
    configure_sqlite(engine, busy_timeout_ms=200)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)"))
    yield engine
    engine.dispose()


@pytest.fixture
def holder(tmp_path, engine):
    """Another connection (another process, as far as SQLite knows) holding the write lock."""
    conn = sqlite3.connect(tmp_path / "lock.sqlite3", isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t (note) VALUES ('holder')")
    yield conn
    if conn.in_transaction:
        conn.rollback()
    conn.close()


def busy_timeout(session: Session) -> int:
    return session.connection().exec_driver_sql("PRAGMA busy_timeout").scalar()


def test_a_writer_takes_the_lock_in_short_steps_once_it_is_freed(engine, holder, monkeypatch):
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 3:
            holder.commit()  # the holder's transaction ends while the writer waits

    monkeypatch.setattr(core.db.time, "sleep", sleep)
    with Session(engine) as session:
        with write_transaction(session):
            session.execute(text("INSERT INTO t (note) VALUES ('writer')"))
        assert slept == pytest.approx([0.00005, 0.000075, 0.0001125])  # never SQLite's 1 ms
        notes = session.scalars(text("SELECT note FROM t ORDER BY id")).all()
        assert notes == ["holder", "writer"]  # the holder's row committed first, then ours
        assert busy_timeout(session) == 200  # the connection's own timeout is back


def test_the_steps_grow_to_a_millisecond_and_no_further(engine, holder, monkeypatch):
    slept: list[float] = []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 12:
            holder.commit()

    monkeypatch.setattr(core.db.time, "sleep", sleep)
    with Session(engine) as session, write_transaction(session):
        session.execute(text("INSERT INTO t (note) VALUES ('writer')"))
    assert max(slept) == 0.001 and slept[-1] == 0.001
    assert slept == sorted(slept)


def test_a_lock_held_too_long_ends_in_the_usual_error_and_changes_nothing(
    engine, holder, monkeypatch
):
    monkeypatch.setattr(core.db, "_LOCK_POLL_FOR_S", 0.0002)
    monkeypatch.setattr(core.db.time, "sleep", lambda seconds: None)
    with Session(engine) as session:
        with pytest.raises(OperationalError, match="database is locked"):
            with write_transaction(session):
                session.execute(text("INSERT INTO t (note) VALUES ('writer')"))
        session.rollback()
        assert busy_timeout(session) == 200  # SQLite's handler waited the connection's 200 ms
        holder.commit()
        with write_transaction(session):  # the next write, once the lock is free, goes ahead
            session.execute(text("INSERT INTO t (note) VALUES ('later')"))
        notes = session.scalars(text("SELECT note FROM t ORDER BY id")).all()
    assert notes == ["holder", "later"]


def test_reads_keep_the_busy_timeout_and_never_take_the_write_lock(engine, holder):
    with Session(engine) as session:
        assert session.scalars(text("SELECT count(*) FROM t")).one() == 0  # WAL: not blocked
        assert busy_timeout(session) == 200
