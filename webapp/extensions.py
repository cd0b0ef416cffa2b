"""Unbound extensions, bound to an app in :func:`webapp.factory.create_app`."""

from flask import has_request_context
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine

from core.db import Base, leave_read_only_autocommit, read_only_autocommit


class RequestSession(_FlaskSession):
    """One database connection per request (issue 19), not one per transaction.

    A request runs several transactions (the signed-in user's read, the use case's write,
    the page's reads after it); each used to check a connection out of the pool, ping it
    (``pool_pre_ping``: a round trip on PostgreSQL) and give it back. Inside a request the
    session now keeps the connection it first took and begins every transaction on it; it is
    given back when the session closes (the end of the request) or at the end of a request
    in which no transaction is left open. Outside a request (CLI, the job-queue worker, whose
    app context lives long) a connection is taken per transaction, as before, and pinged.

    On PostgreSQL the held connection runs the request's reads in autocommit, its session
    READ ONLY (:func:`core.db.read_only_autocommit`): no BEGIN and ROLLBACK round trips around
    them. An earlier attempt at plain autocommit was reverted because a write that strayed
    outside :func:`core.db.write_transaction` (a bug, but one a server error must still undo)
    was committed statement by statement (``test_a_server_error_outside_development_shows_no
    _stack_trace_and_rolls_back``); on a READ ONLY session such a write fails instead, and
    write_transaction begins its own ``READ WRITE`` transaction."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        target = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        if not isinstance(target, Engine):
            return target
        held = self.__dict__.setdefault("_held_connections", {})
        if held and not has_request_context():
            # a request's connection used after it (an app context that outlives its requests:
            # tests, a shell): transactions again, READ WRITE, as outside requests
            for connection in held.values():
                leave_read_only_autocommit(connection)
        transaction = self.get_transaction()
        if transaction is not None and target in transaction._connections:
            return target  # the open transaction's connection (ours, or one taken before)
        connection = held.get(target)
        if connection is None or connection.closed or connection.invalidated:
            if not has_request_context():
                held.pop(target, None)
                return target
            connection = held[target] = target.connect()
            read_only_autocommit(connection)
        return connection

    def release_connections(self) -> None:
        """Give the held connections back to the pool (no transaction may be open on them)."""
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


class CloudshopLoginManager(LoginManager):
    """Flask-Login's manager, its "strong" session protection applied where there is an
    identity to protect. Flask-Login (0.6) takes any non-empty session without its identifier
    for a stolen one: an anonymous visitor's session (only its CSRF token) was emptied of the
    login keys and sent again, with a remember-me cookie's deletion, on every page. A session
    that holds no user is an anonymous visitor's, whoever presents it; Cloudshop issues no
    remember-me cookie. A signed-in session presented from another browser is still emptied."""

    def _session_protection_failed(self):
        from flask import session

        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = CloudshopLoginManager()

from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402

# storage from RATELIMIT_STORAGE_URI: memory in development, Redis shared by gunicorn workers
limiter = Limiter(get_remote_address, strategy="moving-window")


# --- throttles on the limiter's shared storage ---------------------------------------------------

import logging  # noqa: E402

from werkzeug.exceptions import ServiceUnavailable  # noqa: E402

try:  # the shared storage is Redis at scale (limits' redis storage raises redis-py's errors)
    from redis.exceptions import RedisError as _RedisError
except ImportError:  # pragma: no cover - redis is a dependency (Huey, limits)
    _RedisError = OSError

_STORAGE_ERRORS = (_RedisError, ConnectionError, TimeoutError, OSError)
THROTTLE_RETRY_AFTER = 30  # seconds: what a 503 asks the client to wait


class ThrottleUnavailable(ServiceUnavailable):
    """The throttles' storage did not answer (Redis down): sign-in, password-reset e-mails and
    API calls are refused with a 503 that says so, never a 500 and never unthrottled."""

    def __init__(self) -> None:
        from core import texts

        super().__init__(description=texts.THROTTLE_UNAVAILABLE)
        self.retry_after = THROTTLE_RETRY_AFTER


class _Throttle:
    """``limiter.limiter``'s test / hit / clear / window stats, the storage's errors turned
    into :class:`ThrottleUnavailable` (answered by the app's 503 handler: a page, or
    problem+json on /api/)."""

    def _call(self, name: str, *args):
        try:
            return getattr(limiter.limiter, name)(*args)
        except _STORAGE_ERRORS as error:
            logging.getLogger("cloudshop.throttle").error(
                "throttle storage unavailable (%s: %s): refused with 503",
                type(error).__name__,
                error,
            )
            raise ThrottleUnavailable() from error

    def test(self, item, *ids) -> bool:
        return self._call("test", item, *ids)

    def hit(self, item, *ids) -> bool:
        return self._call("hit", item, *ids)

    def clear(self, item, *ids) -> None:
        self._call("clear", item, *ids)

    def window(self, item, *ids):
        return self._call("get_window_stats", item, *ids)


throttle = _Throttle()


# --- the limiter's request hooks (issue 19) ------------------------------------------------------

# Flask-Limiter hooks every request (before: resolve the route's limits; after: deductions and
# headers; teardown: reset its context), ~0.1 ms a request. This app declares no route, default,
# application or meta limits: the limiter is only the throttles' storage (``throttle``). The hooks
# run Flask-Limiter's own code as soon as any limit is declared, and do nothing until then.


def _limits_declared() -> bool:
    manager = limiter.limit_manager
    return bool(
        manager._application_limits
        or manager._default_limits
        or manager._decorated_limits
        or manager._blueprint_limits
        or manager._endpoint_hints
        or limiter._meta_limits
        or limiter._marked_for_limiting
        or limiter._in_memory_fallback
    )


def install_limiter_guard(app) -> None:
    """Flask-Limiter's three request hooks on ``app`` run only while a limit is declared."""
    check, inject, release = (
        limiter._check_request_limit,
        limiter._Limiter__inject_headers,
        limiter._Limiter__release_context,
    )

    def check_request_limit():
        if _limits_declared():
            return check()
        return None

    def inject_headers(response):
        if _limits_declared():
            return inject(response)
        return response

    def release_context(error=None):
        if _limits_declared():
            release(error)

    def is_inject(hook) -> bool:
        func = getattr(hook, "func", None)
        return func is type(limiter)._Limiter__inject_headers and hook.args == (limiter,)

    before = app.before_request_funcs.get(None, [])
    after = app.after_request_funcs.get(None, [])
    teardown = app.teardown_request_funcs.get(None, [])
    before[:] = [check_request_limit if hook == check else hook for hook in before]
    after[:] = [inject_headers if is_inject(hook) else hook for hook in after]
    teardown[:] = [release_context if hook == release else hook for hook in teardown]
