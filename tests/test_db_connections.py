"""The request's database connection (issue 19): PostgreSQL reads in read-only autocommit,
writes only in write_transaction, and the pool's ping without a round trip when the
connection just came back from a request."""

import pytest
from sqlalchemy import create_engine, func, select, text

from core.models import AuditEntry
from tests.security_helpers import client_for


def _stray_write_route(app):
    from webapp.extensions import db

    @app.route("/_stray")
    def stray():
        db.session.add(
            AuditEntry(tenant_id=1, actor_label="x", entity="test", action="stray", detail="x")
        )
        db.session.flush()
        return "written?"


def test_a_write_outside_write_transaction_is_never_committed(app, demo, db_url):
    from webapp.extensions import db

    _stray_write_route(app)
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.commit()
    client = client_for(app)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/_stray")
    # PostgreSQL: the request's reads are READ ONLY, the flush fails (a server error);
    # SQLite: the read transaction is rolled back at the end of the request
    assert response.status_code == (500 if db_url.startswith("postgresql") else 200)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before
    # the next request writes as usual through write_transaction
    assert client.get("/").status_code == 200


def test_a_page_answers_after_the_database_ended_its_connections(app, demo, db_url):
    client = client_for(app)
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
    if not db_url.startswith("postgresql"):
        return
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # what a server restart does to every pooled connection
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    admin.dispose()
    assert ended >= 1
    import time

    time.sleep(0.2)  # the server's goodbye reaches the sockets
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200


# --- cursor.description built when read (issue 19, fifth pass) ---------------------------------


# psycopg's cursors: these run on PostgreSQL only (not skipped on SQLite: not collected there)
postgres_only = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _columns_built(monkeypatch) -> list:
    import psycopg._column

    built = []
    original = psycopg._column.Column.__init__

    def counted(self, cursor, index):
        built.append(index)
        original(self, cursor, index)

    monkeypatch.setattr(psycopg._column.Column, "__init__", counted)
    return built


@postgres_only
def test_the_apps_cursors_describe_their_results_as_psycopg_does(app, db_url):
    import psycopg

    from webapp.extensions import db

    query = (
        "SELECT 1::integer AS a, 'x'::varchar(12) AS b, 2.5::numeric(14, 2) AS c, "
        "now() AS d, NULL::text AS e"
    )
    with db.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        ours = dbapi.cursor()
        assert type(ours) is not psycopg.Cursor  # the app's engine makes its own cursors
        plain = psycopg.Cursor(dbapi)
        ours.execute(query)
        plain.execute(query)
        described = ours.description
        assert len(described) == len(plain.description) == 5
        expected = [tuple(column) for column in plain.description]
        assert [tuple(column) for column in described] == expected
        assert [c.name for c in described] == ["a", "b", "c", "d", "e"]
        assert described[1:3][0].name == "b" and described[-1].type_code == 25
        assert [c.type_display for c in described] == [c.type_display for c in plain.description]
        # the description stays that of its result when the cursor runs another statement
        later = ours.description
        ours.execute("SELECT 1 AS only")
        assert [c.name for c in later] == ["a", "b", "c", "d", "e"]
        assert [c.name for c in ours.description] == ["only"]
        # no rows, no description; rows of no column, an empty one
        ours.execute("SET application_name = 'test'")
        assert ours.description is None and plain.description is not None
        ours.execute("SELECT")
        assert ours.description is not None and len(ours.description) == 0
        assert not ours.description
        assert list(ours.description) == []
        ours.close()
        plain.close()


@postgres_only
def test_a_cached_statement_builds_no_column_descriptions(app, demo, db_url, monkeypatch):
    """SQLAlchemy only asks whether a cached statement returns rows: no Column is built
    (psycopg's own cursor builds one per result column on every statement)."""
    from core.models import Tenant
    from webapp.extensions import db

    statement = select(Tenant.id, Tenant.slug, Tenant.name).order_by(Tenant.id)
    with db.engine.connect() as conn:
        first = conn.execute(statement).all()
        built = _columns_built(monkeypatch)
        again = conn.execute(statement).all()
        rows = conn.execute(statement).mappings().all()
    assert again == first and len(first) >= 1
    assert [list(row) for row in rows] == [["id", "slug", "name"]] * len(first)
    assert built == []
    db.session.remove()
    # a statement SQLAlchemy has not compiled before reads the names: they are built then
    with db.engine.connect() as conn:
        fresh = conn.execute(text("SELECT 7 AS seven, 'b' AS bee")).mappings().one()
    assert dict(fresh) == {"seven": 7, "bee": "b"}
    assert built == [0, 1]


# --- a write's BEGIN in the round trip of its first statement (issue 19, fifth pass) -----------


def _audit(tenant_id, action="written"):
    return AuditEntry(
        tenant_id=tenant_id, actor_label="x", entity="test", action=action, detail="x"
    )


def _frontend_messages(path) -> list[str]:
    """libpq's trace of what the client sent: one entry per message (kind and text)."""
    messages = []
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == "F":
            messages.append(parts[2] + " " + (parts[3] if len(parts) > 3 else ""))
    return messages


@postgres_only
def test_a_writes_begin_shares_the_round_trip_of_its_first_statement(app, demo, db_url, tmp_path):
    from sqlalchemy import event

    from core.db import write_transaction
    from webapp.extensions import db

    @app.route("/_write")
    def write():
        with write_transaction(db.session):
            db.session.add(_audit(1, "begun with the insert"))
            db.session.flush()
            count = db.session.scalar(select(func.count()).select_from(AuditEntry))
        return str(count)

    client = client_for(app)
    assert client.get("/").status_code == 200
    trace = tmp_path / "trace.log"
    handle = trace.open("w")

    def traced(dbapi_connection, _record, _proxy):
        dbapi_connection.pgconn.trace(handle.fileno())
        dbapi_connection.pgconn.set_trace_flags(1)  # no time stamps

    event.listen(db.engine, "checkout", traced)
    try:
        response = client.get("/_write")
    finally:
        event.remove(db.engine, "checkout", traced)
        db.session.remove()
        db.engine.dispose()
        handle.close()
    assert response.status_code == 200
    messages = _frontend_messages(trace)
    begins = [i for i, m in enumerate(messages) if "BEGIN" in m]
    assert len(begins) == 1 and messages[begins[0]].startswith("Parse")  # not a Query of its own
    insert = next(i for i, m in enumerate(messages) if "INSERT INTO audit_entry" in m)
    sync = next(i for i, m in enumerate(messages) if i > begins[0] and m.startswith("Sync"))
    assert begins[0] < insert < sync  # BEGIN, the INSERT, then Sync: one round trip for both
    queries = [m for m in messages if m.startswith("Query")]  # the simple protocol's
    assert [m for m in queries if "COMMIT" in m] == ['Query  "COMMIT"']
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "begun with the insert")
        )
        == 1
    )


def test_a_write_whose_first_statement_fails_commits_nothing_and_the_next_one_writes(
    app, demo, db_url
):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from core.db import write_transaction
    from webapp.extensions import db

    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    db.session.remove()
    with app.test_request_context("/"):
        with pytest.raises(IntegrityError), write_transaction(db.session):
            db.session.add(_audit(999_999))  # no such tenant: the first statement fails
            db.session.flush()
        # a write that fails after its first statement leaves nothing either
        with pytest.raises(RuntimeError), write_transaction(db.session):
            db.session.add(_audit(1, "rolled back"))
            db.session.flush()
            raise RuntimeError("the use case refuses")
        with write_transaction(db.session):
            db.session.add(_audit(1, "kept"))
            db.session.flush()
        # the connection reads again (in read-only autocommit on PostgreSQL) and writes again
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
        with write_transaction(db.session):
            db.session.add(_audit(1, "kept too"))
        db.session.remove()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.in_(["rolled back", "kept", "kept too"]))
    ).all()
    assert sorted(actions) == ["kept", "kept too"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 2


def test_the_apps_sessions_are_in_utc_and_read_datetimes_in_utc(app, demo, db_url):
    """PostgreSQL: the app's sessions are in UTC (set when connecting), so psycopg reads a
    timestamptz in ``datetime.UTC`` (not a ZoneInfo to convert); the values are the same."""
    from datetime import UTC

    from core.models import Order
    from webapp.extensions import db

    dates = db.session.scalars(select(Order.order_date).limit(5)).all()
    assert dates and all(d.tzinfo is UTC for d in dates)
    if not db_url.startswith("postgresql"):
        return
    assert db.session.scalar(text("SHOW TimeZone")) == "UTC"
    with db.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT timestamptz '2026-03-29 01:30:00+00'").scalar()
    assert raw.tzinfo is UTC and raw.isoformat() == "2026-03-29T01:30:00+00:00"
    # a zone given in the URL's options is the engine's choice: kept
    from sqlalchemy import create_engine

    from core.db import configure_psycopg

    other = create_engine(db_url, connect_args={"options": "-c TimeZone=Europe/Berlin"})
    configure_psycopg(other)
    with other.connect() as conn:
        assert conn.exec_driver_sql("SHOW TimeZone").scalar() == "Europe/Berlin"
    other.dispose()
