"""SQLite's query planner statistics are kept (issue 19, twelfth pass).

SQLite chooses indexes by the statistics ANALYZE writes, and nothing wrote them but the
benchmark's loader: a real database never had them. On a copy of the benchmark's data
without them, the BSS subscriptions list took 820 ms instead of 4, an account page 56 ms
instead of 5, the catalogue's home 75 ms. The worker analyzes a database that never was at
its start, and every database each night; PostgreSQL's autovacuum keeps its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from core.db import statistics_missing
from webapp import tasks


def _order_statistics(session) -> set[str]:
    rows = session.execute(text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'order'"))
    return {idx for (idx,) in rows}


def test_sqlite_statistics_are_made_at_a_workers_start_if_missing_and_each_night(
    app, session, demo
):
    # each night at 03:30, the worker's clock
    assert tasks.refresh_statistics.s().validate_datetime(datetime(2026, 12, 3, 3, 30))
    assert not tasks.refresh_statistics.s().validate_datetime(datetime(2026, 12, 3, 3, 31))
    if session.get_bind().dialect.name != "sqlite":
        assert statistics_missing(session) is False
        assert tasks.refresh_statistics_if_missing() is False
        assert tasks.refresh_statistics.call_local() is False
        return
    session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    session.commit()
    assert statistics_missing(session)

    assert tasks.refresh_statistics_if_missing() is True
    assert not statistics_missing(session)
    assert {"ix_order_tenant_date", "ix_order_tenant_status_date"} <= _order_statistics(session)
    assert tasks.refresh_statistics_if_missing() is False  # already there: left to the night

    session.execute(text("DELETE FROM sqlite_stat1"))
    session.commit()
    assert tasks.refresh_statistics.call_local() is True
    assert "ix_order_tenant_date" in _order_statistics(session)


def test_the_worker_command_analyzes_a_database_never_analyzed(app, session, demo, monkeypatch):
    """``flask worker`` makes the statistics before it starts consuming."""
    started = []

    class Consumer:
        def run(self):
            started.append(statistics_missing(session))

    monkeypatch.setattr(tasks.huey, "create_consumer", lambda **_options: Consumer())
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
        session.commit()
        assert statistics_missing(session)
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert started == [False]


def test_a_worker_starts_even_if_the_analysis_fails(app, session, monkeypatch):
    """The database busy past its timeout at the worker's start: the worker still runs, the
    nightly task makes the statistics."""
    from sqlalchemy.exc import OperationalError

    started = []

    class Consumer:
        def run(self):
            started.append(True)

    def busy():
        raise OperationalError("ANALYZE", {}, Exception("database is locked"))

    monkeypatch.setattr(tasks.huey, "create_consumer", lambda **_options: Consumer())
    monkeypatch.setattr(tasks, "refresh_statistics_if_missing", busy)
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert started == [True]
