"""Database plumbing shared by every use case: the declarative base, column types,
SQLite connection settings and the write-transaction helper.

SQLite: WAL, busy timeout, foreign keys, and write transactions that begin IMMEDIATE so two
writers never read-then-write past each other. PostgreSQL: use-cases lock rows explicitly
(``SELECT ... FOR UPDATE``) inside :func:`write_transaction`.
"""

from __future__ import annotations

import contextvars
import functools
import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    bindparam,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session
from sqlalchemy.types import TypeDecorator

# the largest row id: one typed into a URL or a form past it is nobody's (and overflows
# PostgreSQL's integer columns)
MAX_ID = 2**31 - 1

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
        tzinfo = value.tzinfo
        if tzinfo is UTC:  # PostgreSQL's, the app's sessions being in UTC (configure_psycopg)
            return value
        if tzinfo is None:
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
        if _immediate.get():
            begin_immediate(connection, busy_timeout_ms)
        else:
            connection.exec_driver_sql("BEGIN")


# SQLite's own busy handler (sqliteDefaultBusyCallback) sleeps 1, 2, 5, 10, 15 ... ms between
# tries: a writer that finds the write lock taken sleeps at least 1 ms, and 3 ms at its second
# try, however soon the holder commits. Add to basket's write holds the lock ~0.1-0.3 ms: under
# load 45 % of the BEGIN IMMEDIATEs waited over 0.5 ms, 0.66 ms an add on average, a worker
# idle through it (issue 19, ninth pass). The write lock is tried again after ~50 us, growing
# to 1 ms, for up to a second; then SQLite's handler waits the rest as before.
_LOCK_POLL_FIRST_S = 0.00005
_LOCK_POLL_MAX_S = 0.001
_LOCK_POLL_FOR_S = 1.0


def begin_immediate(connection: Connection, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE`` on ``connection`` (SQLite), waiting for the write lock in short
    steps (above). The tries that find the lock taken run on the driver's connection with no
    busy timeout (SQLite answers at once); the last, after ``_LOCK_POLL_FOR_S``, as every
    statement does, with the connection's busy timeout (its error is the usual one)."""
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        delay, waited = _LOCK_POLL_FIRST_S, 0.0
        while waited < _LOCK_POLL_FOR_S:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", sqlite3.SQLITE_BUSY) != sqlite3.SQLITE_BUSY:
                    raise
            time.sleep(delay)
            waited += delay
            delay = min(delay * 1.5, _LOCK_POLL_MAX_S)
    finally:
        raw.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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

    On PostgreSQL a request's reads run in read-only autocommit (:func:`read_only_autocommit`):
    the write's transaction begins ``READ WRITE`` in the round trip of its first statement
    (the app's cursors, :func:`configure_psycopg`, send both at once in a pipeline; on any
    other psycopg connection the write takes it out of autocommit and psycopg sends BEGIN on
    its own), and ends with the COMMIT or ROLLBACK; the connection reads in autocommit after.
    """
    if isinstance(session, scoped_session):
        session = session()
    continues = session.in_transaction() and _reads_committed(session)
    if session.in_transaction() and not continues:
        session.commit()
    _writes.set(_writes.get() + 1)
    token = _immediate.set(True)
    try:
        if not continues:
            session.begin()  # SQLite: BEGIN IMMEDIATE (the "begin" event above)
        with _read_write(session):
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        _immediate.reset(token)


def refresh_statistics(session: Session) -> bool:
    """SQLite: ANALYZE, in one write transaction; True. Its query planner chooses indexes by
    the statistics ANALYZE writes (``sqlite_stat1``) and nothing else writes them: a database
    that never had them picks plans blind (issue 19, twelfth pass: at 200,000 orders the BSS
    subscriptions list took 820 ms instead of 4, an account page 56 ms instead of 5). About
    0.4 s at the benchmark's size; readers go on meanwhile (WAL). PostgreSQL: nothing, False
    (its autovacuum analyzes the tables as they change)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    with write_transaction(session):
        session.execute(text("ANALYZE"))
    return True


def statistics_missing(session: Session) -> bool:
    """SQLite has never analyzed this database (no ``sqlite_stat1`` table); False elsewhere."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    with session.get_bind().connect() as connection:  # apart from the session's transaction
        found = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'"
        ).first()
    return found is None


def read_rows(session: Session, statement, params=None):
    """Run a SELECT of columns (no entities) as :meth:`Session.execute` would, and return its
    plain rows (a ``CursorResult``: ``.all()``, ``.one()``, ``.scalar()``, ``.scalars()``).

    It runs on the session's connection, in its transaction, after the session's autoflush
    (pending changes flushed first unless inside ``no_autoflush``), as ``Session.execute``
    runs it; what it skips is the ORM's execution around a statement that loads no entity:
    its compile state, query context and per-row loading, ~30-60 µs a statement and ~1.5 µs
    a row (issue 19, tenth pass: a tenth of the BSS orders list's CPU on PostgreSQL). A
    statement of entities must go through the session (it would come back as bare columns)."""
    if isinstance(session, scoped_session):
        session = session()
    # Session.execute's own autoflush: skipped inside no_autoflush or a flush, and nothing
    # to do (cheaply) when nothing is pending
    session._autoflush()
    return session.connection().execute(statement, params)


def written_limit(limit: int, name: str = "limit"):
    """A LIMIT written into the statement's SQL at each execution, as the lists' LIMITs are
    (issue 19): SQLAlchemy still compiles the statement once, and PostgreSQL plans a prepared
    statement once for the value the page always asks."""
    return bindparam(name, limit, type_=Integer, literal_execute=True)


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


# --- PostgreSQL -----------------------------------------------------------------------------
#
# A request's reads run in autocommit on the connection the request holds (issue 19): no BEGIN
# and no ROLLBACK round trip around them. Under READ COMMITTED each statement of a transaction
# takes its own snapshot anyway, so the reads see what they saw in a transaction. The
# connection's session is READ ONLY by default (``default_transaction_read_only``): a write that
# strays outside write_transaction (a bug) fails instead of being committed statement by
# statement, and a server error still leaves nothing behind. Every explicit transaction begins
# ``READ WRITE`` (psycopg's ``read_only = False``), so write_transaction and any use of the
# connection outside a request write as before.

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE
_configured_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_configure_lock = threading.Lock()
_checked_in_at: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
PING_AFTER_IDLE_S = 1.0


def configure_psycopg(engine: Engine) -> None:
    """The app's psycopg connections make their cursors ``DescribedOnDemand``: a result's
    description built when read, and a write's BEGIN sent with its first statement."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "do_connect")
    def _utc_session(_dialect, _record, _cargs, cparams):
        # the session's TimeZone in UTC, in the startup packet (no round trip): psycopg then
        # reads a timestamptz as a datetime in datetime.UTC, which UTCDateTime keeps as it is,
        # instead of one in a ZoneInfo it converts again (~1.4 µs a value: the server's
        # TimeZone here is 'Etc/UTC'); the app's SQL computes no date in the session's zone
        options = cparams.get("options") or ""
        if "timezone" not in options.lower():
            cparams["options"] = (options + " -c TimeZone=UTC").strip()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.cursor_factory = _described_on_demand_cursor()


_cursor_class = None


def _described_on_demand_cursor():
    """psycopg's ``Cursor`` whose ``description`` builds its columns when they are read.

    psycopg builds one ``Column`` per result column on every read of ``description`` (its
    name decoded, its type looked up: ~2 µs a column); SQLAlchemy reads it after every
    statement but, for a statement whose compiled form it has cached (every statement of a
    warm process), only asks whether it is ``None``: 40-80 columns a request built for
    nothing, 5-8 % of the app's CPU of a PostgreSQL page (issue 19). The description is the
    same sequence of the same columns, built from the same result, when something reads it."""
    global _cursor_class
    if _cursor_class is None:
        import psycopg
        from psycopg import pq

        rows = {pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE}
        rows.add(getattr(pq.ExecStatus, "TUPLES_CHUNK", pq.ExecStatus.TUPLES_OK))

        class DescribedOnDemand(psycopg.Cursor):
            """A write_transaction's BEGIN goes in the round trip of its first statement
            (``execute``; the other ways of running a statement send it first, on its own),
            and the description is built when read."""

            __slots__ = ()

            def execute(self, query, params=None, **kwargs):
                connection = self._conn
                if connection not in _begin_pending:
                    return super().execute(query, params, **kwargs)
                _begin_pending.discard(connection)
                if connection.info.transaction_status != _IDLE:
                    return super().execute(query, params, **kwargs)
                # BEGIN and the transaction's first statement in one round trip: queued in
                # a pipeline, sent together, both results read at its end (Sync ends no
                # explicit transaction: the statement runs inside it)
                with connection.pipeline():
                    connection.wait(connection._exec_command(_BEGIN_READ_WRITE))
                    super().execute(query, params, **kwargs)
                return self

            def executemany(self, *args, **kwargs):
                _begin_now(self._conn)
                return super().executemany(*args, **kwargs)

            def stream(self, *args, **kwargs):
                _begin_now(self._conn)
                return super().stream(*args, **kwargs)

            def copy(self, *args, **kwargs):
                _begin_now(self._conn)
                return super().copy(*args, **kwargs)

            @property
            def description(self):
                result = self.pgresult
                if result and (result.nfields or result.status in rows):
                    return ColumnsOnDemand(self, result)
                return None

        _cursor_class = DescribedOnDemand
    return _cursor_class


_BEGIN_READ_WRITE = b"BEGIN READ WRITE"
# psycopg connections of write_transaction whose BEGIN waits for the first statement
_begin_pending: weakref.WeakSet = weakref.WeakSet()


@functools.cache
def _pipelines_supported() -> bool:
    """psycopg's pipeline mode needs libpq 14 or later (the binary package brings its own)."""
    import psycopg

    return psycopg.Pipeline.is_supported()


def _begin_now(dbapi) -> None:
    """The pending BEGIN on its own (a statement that cannot share its round trip)."""
    if dbapi in _begin_pending:
        _begin_pending.discard(dbapi)
        if dbapi.info.transaction_status == _IDLE:
            with dbapi.lock:
                dbapi.wait(dbapi._exec_command(_BEGIN_READ_WRITE))


class ColumnsOnDemand(Sequence):
    """A result's ``cursor.description``: its length at once, its ``Column`` objects (built as
    psycopg builds them) on the first read of one."""

    __slots__ = ("pgresult", "_cursor", "_columns")

    def __init__(self, cursor, pgresult) -> None:
        self.pgresult = pgresult  # the result it describes, even if the cursor moves on
        self._cursor = cursor
        self._columns = None

    @property
    def _encoding(self):  # what psycopg's Column reads from its cursor
        return self._cursor._encoding

    @property
    def adapters(self):
        return self._cursor.adapters

    def _list(self) -> list:
        if self._columns is None:
            from psycopg import Column

            self._columns = [Column(self, i) for i in range(self.pgresult.nfields)]
        return self._columns

    def __len__(self) -> int:
        return self.pgresult.nfields

    def __getitem__(self, index):
        return self._list()[index]

    def __iter__(self):
        return iter(self._list())

    def __eq__(self, other) -> bool:
        if isinstance(other, ColumnsOnDemand):
            other = other._list()
        return self._list() == other

    __hash__ = None

    def __repr__(self) -> str:
        return repr(self._list())


def read_only_autocommit(connection: Connection) -> None:
    """Put the request's held PostgreSQL (psycopg) connection in read-only autocommit."""
    if connection.dialect.driver != "psycopg":
        return
    dbapi = connection.connection.dbapi_connection
    if dbapi is None or dbapi.info.transaction_status != _IDLE:
        return
    if connection.engine not in _configured_engines:
        _configure_engine(connection.engine)
    if dbapi.read_only is not False:  # once per database connection (it keeps the setting)
        dbapi.autocommit = True
        with dbapi.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = on")
        dbapi.read_only = False  # explicit transactions: BEGIN READ WRITE
    dbapi.autocommit = True


def leave_read_only_autocommit(connection: Connection) -> None:
    """The connection runs transactions again (what it does outside a request)."""
    if connection.closed or connection.invalidated or connection.dialect.driver != "psycopg":
        return
    _transactions_again(connection.connection.dbapi_connection)


def _transactions_again(dbapi) -> None:
    """Out of autocommit, unless a transaction is open (psycopg refuses the switch then)."""
    if dbapi is not None and dbapi.autocommit and dbapi.info.transaction_status == _IDLE:
        dbapi.autocommit = False


def _configure_engine(engine: Engine) -> None:
    with _configure_lock:  # once per engine, whatever the threads
        if engine in _configured_engines:
            return
        event.listen(engine, "checkin", _on_checkin)
        _quiet_socket_ping(engine.dialect)
        _configured_engines.add(engine)


@contextmanager
def _read_write(session: Session) -> Iterator[None]:
    """A real transaction for a write on a connection in read-only autocommit."""
    connection = session.connection()
    if connection.dialect.driver != "psycopg":
        yield
        return
    dbapi = connection.connection.dbapi_connection
    if not dbapi.autocommit:
        yield
        return
    if (
        isinstance(dbapi.cursor_factory, type)
        and issubclass(dbapi.cursor_factory, _described_on_demand_cursor())
        and _pipelines_supported()
    ):
        # the connection stays in autocommit; its cursor sends BEGIN READ WRITE in the round
        # trip of the transaction's first statement, and COMMIT / ROLLBACK end it as usual
        _begin_pending.add(dbapi)
        try:
            yield
        finally:
            _begin_pending.discard(dbapi)
        return
    dbapi.autocommit = False  # client-side only: psycopg sends BEGIN with the first statement
    try:
        yield
    finally:
        if not dbapi.closed and dbapi.info.transaction_status == _IDLE:
            dbapi.autocommit = True


def _on_checkin(dbapi_connection, _record) -> None:
    """Connections go back to the pool out of autocommit, whatever a request left them in."""
    if dbapi_connection is None or dbapi_connection.closed:
        return
    _transactions_again(dbapi_connection)
    _checked_in_at[dbapi_connection] = time.monotonic()


def _quiet_socket_ping(dialect) -> None:
    """``pool_pre_ping`` without a round trip for a connection back from a request a moment
    ago whose socket has nothing to say.

    A server that restarts or ends a session (shutdown, ``pg_terminate_backend``, a crashed
    backend, a pooler's restart) sends its last message and closes the socket: the socket is
    readable, and the real ping (``SELECT 1``) is sent, fails, and the pool reconnects as
    before. A connection that sat in the pool for over ``PING_AFTER_IDLE_S`` is always
    pinged for real (a host that vanished without closing the socket, a failover to another
    machine), as is one whose state is not plainly idle."""
    if hasattr(dialect, "round_trip_ping"):
        return  # already done (the real ping must stay the real one)
    dialect.round_trip_ping = dialect.do_ping

    def do_ping(dbapi_connection):
        checked_in = _checked_in_at.get(dbapi_connection)
        if (
            checked_in is not None
            and time.monotonic() - checked_in < PING_AFTER_IDLE_S
            and _socket_quiet(dbapi_connection)
        ):
            return True
        return dialect.round_trip_ping(dbapi_connection)

    dialect.do_ping = do_ping


def _socket_quiet(dbapi_connection) -> bool:
    try:
        if dbapi_connection.closed or dbapi_connection.info.transaction_status != _IDLE:
            return False
        if dbapi_connection.pgconn.status != 0:  # psycopg.pq.ConnStatus.OK
            return False
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (AttributeError, OSError, ValueError, TypeError):
        return False  # no poll() on this platform, or no socket: the real ping decides
