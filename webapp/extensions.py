"""Unbound extensions, bound to an app in :func:`webapp.factory.create_app`."""

from flask import has_request_context
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine

from core.db import Base, writing_transaction


class RequestSession(_FlaskSession):
    """One database connection per request (issue 19), not one per transaction.

    A request runs several transactions (the signed-in user's read, the use case's write,
    the page's reads after it); each used to check a connection out of the pool, ping it
    (``pool_pre_ping``: a round trip on PostgreSQL) and give it back. Inside a request the
    session now keeps the connection it first took and begins every transaction on it; it is
    given back when the session closes (the end of the request) or at the end of a request
    in which no transaction is left open. Outside a request (CLI, the job-queue worker, whose
    app context lives long) a connection is taken per transaction, as before, and pinged.

    On PostgreSQL the request's reads run in autocommit: under READ COMMITTED every statement
    takes its own snapshot anyway, so a read-only BEGIN ... ROLLBACK only cost two round trips.
    A use case's write transaction (:func:`core.db.write_transaction`) gets a real transaction
    (the connection leaves autocommit before it begins, and goes back after)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        target = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if not isinstance(target, Engine):
            return target
        transaction = self.get_transaction()
        if transaction is not None and target in transaction._connections:
            return target  # the open transaction's connection (ours, or one taken before)
        held = self.__dict__.setdefault("_held_connections", {})
        connection = held.get(target)
        if connection is None or connection.closed or connection.invalidated:
            if not has_request_context():
                held.pop(target, None)
                return target
            connection = held[target] = target.connect()
        if target.dialect.name == "postgresql" and not connection.in_transaction():
            # autocommit for reads, a READ COMMITTED transaction for a write
            wanted = "READ COMMITTED" if writing_transaction() else "AUTOCOMMIT"
            modes = self.__dict__.setdefault("_isolation", {})
            if modes.get(connection) != wanted:
                connection.execution_options(isolation_level=wanted)
                modes[connection] = wanted
        return connection

    def release_connections(self) -> None:
        """Give the held connections back to the pool (no transaction may be open on them)."""
        self.__dict__.pop("_isolation", None)
        held = self.__dict__.get("_held_connections")
        while held:
            _engine, connection = held.popitem()
            connection.close()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_connections()


db = SQLAlchemy(
    model_class=Base, session_options={"expire_on_commit": False, "class_": RequestSession}
)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()

from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402

# storage from RATELIMIT_STORAGE_URI: memory in development, Redis shared by gunicorn workers
limiter = Limiter(get_remote_address, strategy="moving-window")
