"""Response headers: CSP without inline scripts, nosniff, referrer policy, HSTS in production.
Input guards: control characters refused before any view runs; out-of-range values the database
refuses become a 400 with a message, never a 500."""

from __future__ import annotations

import re
import time

from flask import Flask, abort, current_app, g, render_template, request
from itsdangerous import Serializer, TimestampSigner, URLSafeTimedSerializer, want_bytes
from sqlalchemy.exc import DataError

from api import NoSessionOnApi
from core import texts

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _security_headers(app: Flask) -> tuple[tuple[str, str, str], ...]:
    """The headers every response carries (name, lower-case name, value), worked out once per
    app and the two settings they depend on."""
    development = (app.config.get("DEVELOPMENT"), app.testing)
    kept = app.extensions.get("cloudshop_security_headers")
    if kept is not None and kept[0] == development:
        return kept[1]
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        # keeps the Referer on same-origin requests, which Flask-WTF checks over HTTPS
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ]
    if not any(development):
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    listed = tuple((name, name.lower(), value) for name, value in headers)
    app.extensions["cloudshop_security_headers"] = (development, listed)
    return listed


def apply_security_headers(response):
    """Each security header, unless the response set its own (``setdefault``), in one pass
    over the response's headers (issue 19, seventh pass: five ``setdefault`` calls scanned
    them five times, ~20-35 us a request, a sixth of a static file's whole cost)."""
    headers = response.headers
    present = {name.lower() for name in headers.keys()}
    for name, lower, value in _security_headers(current_app._get_current_object()):
        if lower not in present:
            headers.add(name, value)
    if "cache-control" not in present:
        # a signed-in page is never kept by a browser or a proxy: after signing out (or on a
        # shared computer) the back button must not show the last user's orders. The user
        # was loaded by the request (Flask-Login's g._login_user): no look-up here.
        user = g.get("_login_user")
        if user is not None and user.is_authenticated:
            headers.add("Cache-Control", "private, no-store")
    return response


# C0 control characters but tab, line feed and carriage return, and DEL: no form field takes them,
# and PostgreSQL refuses NUL in text outright
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))  # their form is not read


def refuse_control_characters():
    """Before any view: a query string or form value with control characters is a 400."""
    safe_method = request.method in _SAFE_METHODS
    if safe_method and not request.environ.get("QUERY_STRING"):
        # no query string and no form read: nothing to check (most pages and every static
        # file; parsing the empty arguments cost ~8-20 us a request, issue 19 seventh pass)
        return
    values = list(request.args.items(multi=True))
    if not safe_method:
        values += list(request.form.items(multi=True))
    for key, value in values:
        if _CONTROL_CHARACTERS.search(key) or _CONTROL_CHARACTERS.search(value):
            abort(400, description=texts.INPUT_NOT_ALLOWED)


def _out_of_range(_error):
    """A value the database cannot hold (an integer beyond 64 bits, ...): the input's fault."""
    from webapp.extensions import db

    db.session.rollback()
    from api.problems import is_api_request, problem

    if is_api_request():  # the public API answers problem+json (issue 18)
        return problem("bad-request", texts.INPUT_OUT_OF_RANGE)
    body = render_template("errors/error.html", status=400, message=texts.INPUT_OUT_OF_RANGE)
    return body, 400


def refuse_unreadable_json():
    """Before any view of the pages (the API has its own parser): a JSON body is taken as a
    form's fields (FlaskForm and the plain forms do), so it must be an object the decoder can
    read; nesting deeper than the interpreter's limit raised RecursionError (a 500), and an
    array or a number could not be a form. Read once here; the forms find it cached."""
    if request.method in _SAFE_METHODS or not request.is_json or request.path.startswith("/api/"):
        return
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        body = None
    if not isinstance(body, dict):
        abort(400, description=texts.JSON_BODY_UNREADABLE)


def register_input_guards(app: Flask) -> None:
    app.before_request(refuse_control_characters)
    app.before_request(refuse_unreadable_json)
    app.register_error_handler(DataError, _out_of_range)
    app.register_error_handler(OverflowError, _out_of_range)


# The CSRF token in pages (issue 19): Flask-WTF signs the session's token anew on every request
# that shows it (~0.1 ms: a key derivation and an HMAC). With no time limit on tokens
# (WTF_CSRF_TIME_LIMIT = None: a token lives as long as its session) a token signed once stays
# valid, so each session's token is signed once per process and read from memory afterwards.
_SIGNED_MAX = 10_000  # sessions kept; beyond, the memory starts again


def install_csrf_memo(app: Flask) -> None:
    if app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return  # a signed token expires: it must be signed anew
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    signed: dict[str, str] = {}
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def csrf_token() -> str:
        token = g.get(field)
        if token is not None:
            return token
        raw = session.get(field)
        token = signed.get(raw) if isinstance(raw, str) else None
        if token is None:
            token = generate_csrf()  # signs (and stores a new session token if there is none)
            if raw is not None and session.get(field) == raw:
                if len(signed) >= _SIGNED_MAX:
                    signed.clear()
                signed[raw] = token
        else:
            setattr(g, field, token)  # forms rendered afterwards use the same token
        return token

    # templates: a context processor registered after Flask-WTF's (which passes its own
    # generate_csrf) wins, and the global serves the blocks rendered alone
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


# --- signing the session cookie (issue 19) ----------------------------------------------------
# Flask builds a new URLSafeTimedSerializer for every request that reads or writes the session
# cookie (~10 us), and itsdangerous derives the signing key anew (an HMAC) for every signature
# it makes or checks. Both depend only on the secret keys: the serializer is kept per app and
# keys, the derived key per secret key and salt. The cookie's bytes and checks are unchanged.


class KeyMemoSigner(TimestampSigner):
    """itsdangerous' TimestampSigner (what a timed serializer signs with), its derived keys
    worked out once per process."""

    _derived: dict[tuple, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = (secret, self.salt, self.key_derivation, self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            derived = super().derive_key(secret)
            if len(self._derived) < 64:  # a few secret keys and salts at most
                self._derived[key] = derived
        return derived


class CookieMemoSerializer(URLSafeTimedSerializer):
    """The session cookie's serializer, each cookie's signature checked once per process
    (issue 19, sixth pass): a signed-in visitor sends the same cookie on every request until
    the session changes, and its check (base64, zlib, the HMAC) cost ~60 us a request. A
    cookie checked before is read from its kept JSON: its age is checked on every request as
    before (an expired cookie is refused), and every request gets its own session data.
    Kept per serializer, i.e. per secret keys (``SessionInterface``)."""

    _KEPT_MAX = 10_000  # cookies kept; beyond, the memory starts again

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked: dict[str, tuple[int, bytes]] = {}

    def loads(self, s, max_age=None, return_timestamp=False, salt=None):
        if return_timestamp or salt is not None or not isinstance(s, str):
            return super().loads(s, max_age, return_timestamp, salt)
        kept = self._checked.get(s)
        if kept is not None:
            signed_at, payload = kept
            age = int(time.time()) - signed_at  # as TimestampSigner.unsign counts it
            if max_age is None or 0 <= age <= max_age:
                return Serializer.load_payload(self, payload)  # fresh objects each time
            del self._checked[s]  # expired: refused by the full check below, as before
        value, signed_at = super().loads(s, max_age, return_timestamp=True)
        if len(self._checked) >= self._KEPT_MAX:
            self._checked.clear()
        self._checked[s] = (int(signed_at.timestamp()), Serializer.dump_payload(self, value))
        return value


class SessionInterface(NoSessionOnApi):
    """The app's session interface (no cookie under /api/), its serializer kept per app and
    secret keys, each cookie's signature checked once (``CookieMemoSerializer``)."""

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = app.extensions.get("cloudshop_session_serializer")
        if kept is not None and kept[0] == keys:
            return kept[1]
        serializer = CookieMemoSerializer(
            list(keys),
            salt=self.salt,
            serializer=self.serializer,
            signer=KeyMemoSigner,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )
        app.extensions["cloudshop_session_serializer"] = (keys, serializer)
        return serializer
