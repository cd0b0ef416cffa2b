"""The request's database connection (issue 19): PostgreSQL reads in read-only autocommit,
writes only in write_transaction, and the pool's ping without a round trip when the
connection just came back from a request."""

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
