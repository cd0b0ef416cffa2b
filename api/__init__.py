"""The public API, version 1 (issue 18): ``/api/v1/``, built with flask-smorest (marshmallow
schemas -> OpenAPI 3.1 at ``/api/v1/openapi.json``, a reference page at ``/api/v1/reference``).

Bearer API keys only: no cookie session is read or written and no CSRF token is asked for
under ``/api/``; every error is ``application/problem+json`` (api/problems.py)."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_smorest import Api
from limits import parse
from werkzeug.exceptions import HTTPException

from api.problems import MEDIA_TYPE, from_http_exception, is_api_request
from api.schemas import Money, ProblemSchema

PREFIX = "/api/v1"


class CloudshopApi(Api):
    """flask-smorest, with errors left to api.problems (only under /api/: the rest of the
    application keeps its HTML error pages) and documented as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # see register_error_handlers below

    def _register_responses(self):
        # the error responses (and only them) are documented as problem+json
        self.DEFAULT_RESPONSE_CONTENT_TYPE = MEDIA_TYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"


class NoSessionOnApi(SecureCookieSessionInterface):
    """No session cookie is read or set under /api/: the API authenticates by key alone."""

    def open_session(self, app, request_):
        if request_.path.startswith("/api/"):
            return self.session_class()
        return super().open_session(app, request_)

    def should_set_cookie(self, app, session):
        if is_api_request():
            return False
        return super().should_set_cookie(app, session)

    def save_session(self, app, session, response):
        if is_api_request():
            return None
        return super().save_session(app, session, response)


def init_api(app: Flask) -> None:
    from api import accounts, backorders, catalogue, events, offers, orders, reads
    from api.reference import bp as reference_bp
    from webapp.extensions import csrf

    app.config.setdefault("API_TITLE", "Cloudshop API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Orders, offers, subscriptions, accounts and the catalogue of "
                "one tenant, for the provider's PSA, ERP and vendor tools. Authenticate with "
                "an API key created in the BSS (Setup > API keys): "
                "`Authorization: Bearer csk_...`. Errors are application/problem+json."
            },
            "security": [{"apiKey": []}],
            "components": {
                "securitySchemes": {
                    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "csk_..."}
                }
            },
        },
    )
    parse(app.config["API_RATE_LIMIT"])  # a malformed limit stops the start, not every call
    app.session_interface = NoSessionOnApi()
    api = CloudshopApi(app)
    app.extensions["cloudshop_api"] = api
    api.register_field(Money, "string", "decimal")
    for blp in (orders.blp, reads.blp, offers.blp, backorders.blp, accounts.blp, catalogue.blp):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix=PREFIX)
    events.document(api)
    app.register_blueprint(reference_bp, url_prefix=PREFIX)
    register_error_handlers(app)


def register_error_handlers(app: Flask) -> None:
    """Under /api/ every error is a problem; elsewhere the application's own pages answer."""

    def _http_error(error: HTTPException):
        if is_api_request():
            return from_http_exception(error)
        return error

    app.register_error_handler(HTTPException, _http_error)
