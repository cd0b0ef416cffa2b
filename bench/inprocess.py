"""The app in this process: SQL statements per request, and server time (issue 4 item 10).

Server time is ``time.perf_counter()`` around one request through Flask's test client: routing,
the view, its queries and the template, without the network or gunicorn.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from bench.dataset import bench_environment, create_large_order

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
_SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


def make_app(database_url: str):
    """Cloudshop with the benchmark's production settings; CSRF off for the test client."""
    env = bench_environment(database_url)
    keys = ("APP_ENV", "SECRET_KEY", "SESSION_COOKIE_SECURE", "PASSWORD_HASH_METHOD")
    for key in keys + ("RATELIMIT_STORAGE_URI", "RATELIMIT_ALLOW_MEMORY"):
        os.environ[key] = env[key]
    os.environ.setdefault("INSTANCE_PATH", env["INSTANCE_PATH"])
    from webapp import create_app

    # server times are what a page costs to make: the shared anonymous pages made each time
    overrides = {"PAGE_CACHE_SECONDS": 0}
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False, **overrides}
    )


class StatementCounter:
    """SQL statements (``count``) and every round trip to the database (``round_trips``):
    the statements, BEGIN, COMMIT, ROLLBACK and the pool's pre-ping of each checkout."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0
        self.round_trips = 0
        self.statements: list[str] = []  # the counted ones, to read what a request ran
        self._ping = None

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.round_trips += 1
        if not statement.lstrip().upper().startswith(_SKIPPED):
            self.count += 1
            self.statements.append(statement)
        if self._psycopg:
            dbapi = conn.connection.dbapi_connection
            if not dbapi.autocommit and dbapi.info.transaction_status == _IDLE:
                self.round_trips += 1  # psycopg sends BEGIN first

    def _transaction(self, conn, *args):
        # SQLite: BEGIN is a statement (counted above); COMMIT / ROLLBACK are one round trip.
        # psycopg sends nothing when no transaction is open (autocommit, nothing run yet)
        if self._psycopg:
            if conn.connection.dbapi_connection.info.transaction_status == _IDLE:
                return
        self.round_trips += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        events = ("commit", "rollback")
        for name in events:
            event.listen(self.engine, name, self._transaction)
        dialect = self.engine.dialect
        # the ping that goes to the server (core.db answers some without a round trip)
        self._ping_name = "round_trip_ping" if hasattr(dialect, "round_trip_ping") else "do_ping"
        original = self._ping = getattr(dialect, self._ping_name)

        def counted_ping(dbapi_connection):
            self.round_trips += 1
            return original(dbapi_connection)

        setattr(dialect, self._ping_name, counted_ping)
        return self

    @property
    def _psycopg(self) -> bool:
        return self.engine.dialect.driver == "psycopg"

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)
        events = ("commit", "rollback")
        for name in events:
            event.remove(self.engine, name, self._transaction)
        setattr(self.engine.dialect, self._ping_name, self._ping)


@contextmanager
def counting(app) -> Iterator[StatementCounter]:
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        yield counter


def sign_in(client, email: str, *, bss: bool) -> None:
    from core.demo import DEMO_PASSWORD

    response = client.post(
        "/bss/login" if bss else "/login", data={"email": email, "password": DEMO_PASSWORD}
    )
    if response.status_code not in (302, 303, 204):
        raise RuntimeError(f"in-process sign-in of {email} failed: {response.status_code}")


@dataclass
class Timing:
    name: str
    path: str
    runs_ms: list[float]
    queries: int
    status: int
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time (not the DB's)
    round_trips: int | None = None  # statements, BEGIN/COMMIT/ROLLBACK, pre-pings (issue 19)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)


def time_request(
    app, client, name, method, path, *, runs=10, warmup=2, headers=None, budget_s=10.0
) -> Timing:
    """The median of ``runs`` requests after ``warmup`` ones; a slow page stops after
    ``budget_s`` seconds of runs (at least 3), so a slow page does not stall the benchmark."""
    status = 0
    for _ in range(warmup):
        client.open(path, method=method, headers=headers)
    samples, cpu = [], []
    deadline = time.perf_counter() + budget_s
    for _ in range(runs):
        if len(samples) >= 3 and time.perf_counter() > deadline:
            break
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.open(path, method=method, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        status = response.status_code
    with counting(app) as counter:
        client.open(path, method=method, headers=headers)
    return Timing(name, path, samples, counter.count, status, cpu, counter.round_trips)


def time_execution(app, client, runs: int = 3, items: int = 500) -> Timing:
    """POST Execute Order on fresh 500-item orders (each is executed once)."""
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    samples, cpu, queries, status, path, trips = [], [], 0, 0, "", None
    for n in range(runs + 1):
        order_id = create_large_order(engine, items, account_index=n)
        path = f"/bss/orders/{order_id}/execute"
        with counting(app) as counter:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.post(path)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_used = (time.process_time() - cpu_started) * 1000
        status = response.status_code
        if status >= 400:
            raise RuntimeError(f"executing {path} answered HTTP {status}")
        if n == 0:
            continue  # the first run warms the caches, as the warm-up of the pages does
        samples.append(elapsed)
        cpu.append(cpu_used)
        queries, trips = counter.count, counter.round_trips
    name = f"execute a {items}-item order"
    return Timing(name, "/bss/orders/<id>/execute", samples, queries, status, cpu, trips)
