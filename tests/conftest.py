"""Test fixtures.

Database tests run on SQLite and on PostgreSQL (``db_engine`` is parametrized). PostgreSQL is
the local server at 127.0.0.1:5432 (``TEST_POSTGRES_URL`` overrides); each test run creates its
own database, so runs in parallel never meet. Without PostgreSQL those tests are skipped, unless
``REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which turns the skip into a failure.
``TEST_ENGINES=sqlite`` limits a local run to one engine.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from core.db import Base, write_transaction

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ENGINES = [e for e in os.environ.get("TEST_ENGINES", "sqlite,postgresql").split(",") if e]
FAST_HASH = "pbkdf2:sha256:1000"


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_database():
    if not _postgres_available():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but cannot be reached at {POSTGRES_URL}")
        pytest.skip("PostgreSQL is not available")
    name = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory):
    return "sqlite:///" + str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(params=ENGINES)
def db_url(request):
    """The URL of an empty database with the schema, on each engine in turn."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_database")
    return request.getfixturevalue("sqlite_database")


_schema_ready: set[str] = set()


def _reset_schema(engine) -> None:
    if engine.url.render_as_string() not in _schema_ready:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        _schema_ready.add(engine.url.render_as_string())
        return
    tables = [t.name for t in Base.metadata.sorted_tables]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        return
    raw = engine.raw_connection()  # PRAGMA foreign_keys only works outside a transaction
    try:
        cursor = raw.driver_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = OFF")
        cursor.execute("BEGIN")
        for table in reversed(tables):
            cursor.execute(f'DELETE FROM "{table}"')
        if cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
            cursor.execute("DELETE FROM sqlite_sequence")
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        raw.close()


def app_config(db_url: str, **overrides) -> dict:
    """The settings the test app runs with (``overrides`` on top)."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        **overrides,
    }


@pytest.fixture
def app(db_url, tmp_path):
    from webapp import create_app
    from webapp.extensions import db

    app = create_app(app_config(db_url))
    with app.app_context():
        _reset_schema(db.engine)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    from webapp.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app, session):
    """The demo data set (PRODUCT.md section 9) loaded into the test database."""
    from core.demo import load_demo
    from webapp.auth import hash_password

    with write_transaction(session):
        summary = load_demo(session, hash_password)
    return summary


def login(client, email: str, password: str = "demo-password", *, bss: bool | None = None):
    """Sign in through the real login form; returns the response."""
    if bss is None:
        bss = email.endswith(("@skyline.example", "@nimbus.example")) and not email.startswith(
            ("alice", "bob", "carol", "dave")
        )
    url = "/bss/login" if bss else "/login"
    response = client.post(url, data={"email": email, "password": password})
    assert response.status_code in (303, 204), response.get_data(as_text=True)[:500]
    return response


def demo_manual_order(session):
    """The demo's first waiting manual order: a primary order with the Dedicated Private Cloud
    (PRIV-CLOUD) on it."""
    from sqlalchemy import select

    from core.models import Order, OrderItem, Product

    return session.scalars(
        select(Order)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .join(Product, Product.id == OrderItem.product_id)
        .where(Product.code == "PRIV-CLOUD", Order.parent_order_id.is_(None))
        .order_by(Order.id)
    ).first()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", soup(response).get_text(" ")).strip()


@pytest.fixture
def plain_session(db_url):
    """A SQLAlchemy session without Flask, for service tests."""
    engine = create_engine(db_url)
    if engine.dialect.name == "sqlite":
        from core.db import configure_sqlite

        configure_sqlite(engine)
    _reset_schema(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


@contextmanager
def orm_executions() -> Iterator[list[str]]:
    """``with orm_executions() as seen: ...``: the statements run through the ORM's execution
    (``Session``'s ``do_orm_execute``) meanwhile, by their first 80 characters."""
    seen: list[str] = []

    def record(state):
        seen.append(str(state.statement)[:80])

    event.listen(Session, "do_orm_execute", record)
    try:
        yield seen
    finally:
        event.remove(Session, "do_orm_execute", record)


@contextmanager
def executed(engine, keep: Callable[[str], bool]) -> Iterator[list[tuple[str, object]]]:
    """``with executed(db.engine, keep) as sent: ...``: (statement, parameters) of each
    statement the engine sends meanwhile whose SQL ``keep`` accepts."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, *_args):
        if keep(statement):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def sqlite_plan(engine, statement: str, parameters) -> str:
    """SQLite's EXPLAIN QUERY PLAN of a statement ``executed`` recorded, as one line."""
    raw = engine.raw_connection()
    try:
        rows = raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return " ".join(str(row[-1]) for row in rows)
    finally:
        raw.close()


class QueryCounter:
    """Counts the SQL statements an engine runs while it is active (query budgets)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        if (
            not statement.lstrip()
            .upper()
            .startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"))
        ):
            self.statements.append(statement)

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as q: client.get(...)`` then ``q.count``."""
    from webapp.extensions import db

    return lambda: QueryCounter(db.engine)


def prepared_plans(dbapi_connections) -> list[tuple[str, int, int]]:
    """(statement, generic plans, custom plans) of what these PostgreSQL connections have
    prepared: whether a statement keeps a generic plan or is planned anew every time."""
    plans = []
    for dbapi in dbapi_connections:
        rows = dbapi.execute(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements",
            prepare=False,
        ).fetchall()
        dbapi.rollback()
        plans += rows
    return plans


@pytest.fixture
def production_app(monkeypatch, db_url, app):
    """The application as production builds it (APP_ENV=production), on the test database."""
    from webapp import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    monkeypatch.setenv("DATABASE_URL", db_url)
    # one process: the throttling stays in this test process, never in a Redis other runs share
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    monkeypatch.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    prod = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    yield prod
    with prod.app_context():
        from webapp.extensions import db

        db.session.remove()
        db.engine.dispose()
