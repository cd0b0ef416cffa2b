"""Sign-in and sign-out shared by both blueprints (separate pages, one mechanism)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from limits import parse
from sqlalchemy import select
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from core import texts
from core.db import write_transaction
from core.models import User, UserKind
from webapp.auth import LoginUser, may_sign_in, verify_password
from webapp.extensions import db, limiter, throttle
from webapp.web import page, safe_local_url, see_other


class LoginForm(FlaskForm):
    email = EmailField(
        "E-mail",
        validators=[DataRequired(), Length(max=255)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


def find_user(kind: str, email: str, tenant_id: int | None) -> User | None:
    query = select(User).where(User.kind == kind, User.email == email.strip().lower())
    if tenant_id is not None:
        query = query.where(User.tenant_id == tenant_id)
    users = list(db.session.scalars(query.limit(2)))
    return users[0] if len(users) == 1 else None


# repeated failed sign-ins are throttled per account and per address
FAILURES_PER_ACCOUNT = parse("5/minute")
FAILURES_PER_ADDRESS = parse("20/minute")


def _account_key(kind: str, email: str) -> tuple:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return (FAILURES_PER_ACCOUNT, prefix, "login-account", kind, email.strip().lower())


def _address_key() -> tuple:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    return (FAILURES_PER_ADDRESS, prefix, "login-address", request.remote_addr or "unknown")


def _take_attempt(kind: str, email: str) -> bool:
    """Whether this sign-in may be tried. The account's attempt is taken before the (slow)
    password check, atomically in the shared storage, so parallel requests on several workers
    cannot all pass a check made before any of them is counted; a success gives the account
    its attempts back."""
    item, *ids = _address_key()
    if not throttle.test(item, *ids):
        return False
    item, *ids = _account_key(kind, email)
    return throttle.hit(item, *ids)


def _record_failure() -> None:
    item, *ids = _address_key()
    throttle.hit(item, *ids)


def _forget_failures(kind: str, email: str) -> None:
    item, *ids = _account_key(kind, email)
    throttle.clear(item, *ids)


def login_view(
    kind: str,
    template: str,
    default_next: str,
    tenant_id: int | None,
    second_factor_endpoint: str | None = None,
):
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        throttling = limiter.enabled
        if throttling and not _take_attempt(kind, form.email.data):
            return page(template, form=form, error=texts.LOGIN_THROTTLED, status=429)
        user = find_user(kind, form.email.data, tenant_id)
        if verify_password(user, form.password.data) and may_sign_in(user):
            if throttling:
                _forget_failures(kind, form.email.data)
            session.clear()  # a new session on sign-in: no fixation
            target = safe_local_url(request.args.get("next"), default_next)
            if second_factor_endpoint and user.totp_secret:
                # issue 14: the password is right; the code of the second factor comes next
                session[PENDING] = f"{user.id}:{user.session_version}"
                session[PENDING_NEXT] = target
                return see_other(url_for(second_factor_endpoint))
            login_user(LoginUser(user))
            return see_other(target)
        if throttling:
            _record_failure()
        error = texts.LOGIN_FAILED
    status = 401 if error else (422 if form.errors else 200)
    return page(template, form=form, error=error, status=status)


# --- two-factor sign-in (issue 14) ------------------------------------------------------------

PENDING = "second_factor_user"  # "<user id>:<session version>" whose password was right
PENDING_NEXT = "second_factor_next"
CODES_PER_USER = parse("5/minute")


class SecondFactorForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=40)])


def second_factor_view(template: str, login_endpoint: str):
    """The second step of a sign-in: a TOTP code or a recovery code."""
    from core.services import two_factor

    pending = session.get(PENDING, "")
    user = None
    try:
        raw_id, version = pending.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or str(user.session_version) != version or not may_sign_in(user):
        session.pop(PENDING, None)
        return redirect(url_for(login_endpoint), code=303)
    form = SecondFactorForm()
    error = None
    if form.validate_on_submit():
        key = (CODES_PER_USER, "second-factor", str(user.id))
        if limiter.enabled and not throttle.test(*key):
            return page(template, form=form, error=texts.LOGIN_THROTTLED, status=429)
        if two_factor.check_second_factor(db.session, user.id, form.code.data):
            target = session.get(PENDING_NEXT) or "/"
            session.clear()
            login_user(LoginUser(user))
            return see_other(safe_local_url(target, "/"))
        if limiter.enabled:
            throttle.hit(*key)
        error = texts.TOTP_CODE_WRONG
    status = 401 if error else (422 if form.errors else 200)
    return page(template, form=form, error=error, status=status)


def logout_view(kind_login_endpoint: str):
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        with write_transaction(db.session):
            user.session_version = (user.session_version or 1) + 1  # old cookies stop working
    logout_user()
    session.clear()
    flash(texts.LOGGED_OUT, "info")
    return redirect(url_for(kind_login_endpoint), code=303)


__all__ = ["login_view", "logout_view", "UserKind"]
