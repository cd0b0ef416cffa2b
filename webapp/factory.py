"""Application factory."""

from __future__ import annotations

import gc
import logging
import os

from flask import Flask, g, make_response, render_template
from flask.globals import _cv_request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers
from werkzeug.exceptions import HTTPException

from core import texts
from core.db import configure_psycopg, configure_sqlite
from core.rules import statuses as status_rules
from webapp import filters, page_cache
from webapp.config import load_config
from webapp.extensions import csrf, db, install_limiter_guard, limiter, login_manager, migrate
from webapp.security import SessionInterface, install_csrf_memo
from webapp.web import install_cached_url_for, request_memo

HTMX_VERSION = "2.0.11"
MACROS = ("field", "field_errors", "pick_field", "account_field", "status_badge")


class Cloudshop(Flask):
    """Flask, its hooks' sync check memoised (issue 19): Flask asks ``inspect`` whether each
    before/after-request hook, context processor, teardown and view is a coroutine function on
    every request (~20 a request, ~1.5 us each); the answer for a function does not change."""

    _SYNC_MAX = 2_000  # functions remembered (hooks, views, handlers: a few hundred)

    def ensure_sync(self, func):
        known = self.__dict__.setdefault("_sync_functions", {})
        try:
            if func in known:
                return func
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func and len(known) < self._SYNC_MAX:
            known[func] = True
        return wrapped


def create_app(overrides: dict | None = None) -> Flask:
    app = Cloudshop(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or os.path.join(os.getcwd(), "instance"),
        static_folder=None,
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path, overrides))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault("connect_args", {"timeout": 15, "check_same_thread": False})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        else:
            configure_psycopg(db.engine)  # cursors that build their description when read
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    install_limiter_guard(app)  # its hooks run only while a limit is declared
    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    login_manager.login_message = texts.LOGIN_REQUIRED
    login_manager.login_message_category = "info"
    login_manager.blueprint_login_views = {
        "storefront": "storefront.login",
        "bss_admin": "bss_admin.login",
    }
    login_manager.login_view = "storefront.login"

    from webapp import auth  # noqa: F401  (registers the user loader)

    _register_blueprints(app)
    # the public API (issue 18): /api/v1/, its OpenAPI document and reference page
    from api import init_api

    init_api(app)
    app.session_interface = SessionInterface()  # no cookie under /api/, its signing kept
    _register_request_hooks(app)
    _register_error_handlers(app)
    filters.register(app)
    app.jinja_env.globals.update(
        texts=texts,
        htmx_version=HTMX_VERSION,
        # a status row shows these under its Type, the other messages under its Description
        status_type_messages=status_rules.TYPE_MESSAGES,
    )
    install_cached_url_for(app)  # after every blueprint is registered
    install_csrf_memo(app)
    page_cache.install(app)  # anonymous catalogue and product pages (issue 19)

    kept_macros: dict = {}

    @app.context_processor
    def _macros():
        # the form macros are available in every template and in blocks rendered alone; built
        # once (issue 19), or on every render where templates reload (development)
        if kept_macros and not app.jinja_env.auto_reload:
            return kept_macros
        module = app.jinja_env.get_template("macros/forms.html").module
        macros = {name: getattr(module, name) for name in MACROS}
        macros["status_badge"] = _badge_once_per_status(macros["status_badge"])
        kept_macros.clear()
        kept_macros.update(macros)
        return macros

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    from webapp.cli import register_cli

    register_cli(app)
    _init_queue(app)
    if not app.testing:
        # INFO in development too: the log is where development e-mails are shown
        logging.basicConfig(level=logging.INFO)
        # WeasyPrint says each step of each PDF at INFO (ten lines a download): its warnings
        # and errors stay
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    return app


# The collector in a serving process (issue 19, sixth pass). Its default first threshold (700
# tracked objects more than freed) starts a young collection several times a request: a
# request holds thousands of objects at once (rows, ORM states, template contexts), which each
# collection walks and moves on to older generations, where they are walked again. At 10,000
# a young collection comes every few requests and walks mostly garbage; the older thresholds
# are Python's. Memory: at most ~10,000 objects of cyclic garbage wait a little longer.
SERVING_GC_THRESHOLDS = (10_000, 10, 10)


def prepare_to_serve(app: Flask) -> None:
    """Once per server process, before its first request (``wsgi.py``): what every process
    would otherwise do on its first requests is done here, and what start made is frozen.

    - Every template compiled (templates do not reload in production): a worker's first
      checkout compiled 14 of them, ~100 ms of its ~230 ms (SQLite; ~50 ms warm).
    - The ORM's mappers configured (the first query would).
    - A full collection, then ``gc.freeze()``: the modules, the app, the mappers and the
      compiled templates live as long as the process; frozen, the collector no longer walks
      them (~200,000 objects; a full pass over them took ~90-250 ms).
    - The collector's thresholds for serving (``SERVING_GC_THRESHOLDS``)."""
    env = app.jinja_env
    if not env.auto_reload:
        names = [
            name
            for name in env.list_templates()
            if not name.startswith("preview/") or "preview" in app.blueprints
        ]
        if env.cache is not None and len(names) <= env.cache.capacity:
            for name in names:
                env.get_template(name)
    configure_mappers()
    gc.collect()  # the start's garbage is not frozen with it
    gc.freeze()
    gc.set_threshold(*SERVING_GC_THRESHOLDS)


def _badge_once_per_status(macro):
    """The status_badge macro, rendered once per status and request: a list shows the same
    few statuses on every row (the macro costs ~7 us a call, 100 rows on the dashboard)."""

    def status_badge(status):
        if status is None:
            return macro(status)
        key = ("status_badge", status.id, status.color, status.description)
        memo = request_memo()
        if key not in memo:
            memo[key] = macro(status)
        return memo[key]

    return status_badge


def _init_queue(app: Flask) -> None:
    """The job queue, the outbox's dispatcher and the e-mail renderer (issue 16)."""
    from core.services import notifications
    from webapp import tasks
    from webapp.emails import make_renderer

    tasks.init_app(app)
    notifications.configure(
        renderer=make_renderer(app),
        sender=app.config.get("MAIL_FROM"),
        operations=app.config.get("OPERATIONS_EMAIL"),
    )
    from core.services import webhooks

    webhooks.configure(allow_inside=bool(app.config.get("WEBHOOKS_ALLOW_INSIDE")))


def _register_blueprints(app: Flask) -> None:
    from bss_admin import bp as bss_bp
    from storefront import bp as storefront_bp

    app.register_blueprint(storefront_bp)
    app.register_blueprint(bss_bp, url_prefix="/bss")
    from webapp.callbacks import bp as callbacks_bp  # vendors' answers (issue 16)

    app.register_blueprint(callbacks_bp)
    if app.config.get("DEVELOPMENT") or app.testing:
        # designers' template preview (webapp/preview.py): never registered in production
        from webapp.preview import bp as preview_bp

        app.register_blueprint(preview_bp)


def _register_request_hooks(app: Flask) -> None:
    from webapp.security import apply_security_headers, register_input_guards
    from webapp.tenancy import resolve_tenant

    # whether an endpoint needs the tenant, per endpoint (the URL map's: a bounded set)
    needs_tenant: dict[str, bool] = app.extensions.setdefault("cloudshop_tenant_endpoints", {})

    @app.before_request
    def _begin_request():
        # static files (any blueprint's) and the template preview need no tenant from the
        # database; the public API (issue 18) takes its tenant from the API key, not the host
        # name. Whether an endpoint needs one is worked out once (issue 19, seventh pass)
        req = _cv_request.get().request  # the request, without the proxy's lookups
        rule = req.url_rule
        if rule is None:  # no route matched (404, 405): no tenant, as before
            return
        endpoint = rule.endpoint
        needed = needs_tenant.get(endpoint)
        if needed is None:
            blueprint, _dot, name = endpoint.rpartition(".")
            needed = needs_tenant[endpoint] = name != "static" and blueprint != "preview"
        if needed and not req.path.startswith("/api/"):
            resolve_tenant()

    app.after_request(apply_security_headers)

    @app.teardown_request
    def _release_connection(_error=None):
        # one connection per request (issue 19): back to the pool once no transaction is open
        # (a transaction still open is ended when the session is removed with the app context)
        if db.session.registry.has():
            session = db.session()
            if not session.in_transaction():
                session.release_connections()

    register_input_guards(app)  # control characters, out-of-range values: 400, not 500


def _register_error_handlers(app: Flask) -> None:
    from webapp.tenancy import resolve_tenant

    def _error(status: int, message: str, error=None):
        from api.problems import from_http_exception, is_api_request
        from webapp.web import is_htmx

        if is_api_request():  # the public API answers problem+json, never a page (issue 18)
            return from_http_exception(error) if error is not None else _api_500()

        if is_htmx():
            # htmx swaps 403/409/422 answers into its target: a message, not a whole page
            return render_template("errors/_message.html", message=message), status
        _tenant_for_error_page()
        return render_template("errors/error.html", status=status, message=message), status

    def _tenant_for_error_page() -> None:
        # a page no route matched has no tenant yet (none is looked up for it before): the
        # provider's name, not the platform's, on its error page (kept per host: no query on
        # most). None if the host has no tenant or the database does not answer.
        if g.get("tenant") is not None:
            return
        try:
            resolve_tenant()
        except (HTTPException, SQLAlchemyError):
            db.session.rollback()

    app.register_error_handler(400, lambda e: _error(400, getattr(e, "description", "") or "", e))
    app.register_error_handler(403, lambda e: _error(403, texts.FORBIDDEN, e))
    app.register_error_handler(404, lambda e: _error(404, texts.NOT_FOUND, e))
    app.register_error_handler(405, lambda e: _error(405, texts.NOT_FOUND, e))
    app.register_error_handler(CSRFError, lambda e: _error(400, texts.CSRF_FAILED, e))

    def _unavailable(error):
        # a service the request needs does not answer (the throttles' Redis): say so, ask the
        # client to come back, change nothing (a write before it is rolled back)
        db.session.rollback()
        response = make_response(
            _error(503, getattr(error, "description", "") or texts.SERVER_ERROR, error)
        )
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        return response

    app.register_error_handler(503, _unavailable)

    def _api_500():
        from api.problems import problem

        return problem("server-error", texts.SERVER_ERROR)

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        return _error(500, texts.SERVER_ERROR)
