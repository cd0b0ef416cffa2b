"""Storefront people (issue 14 E): an invited user sets a password from the e-mailed link;
password reset by e-mail (the same answer whether the address exists or not, throttled); an
account's admin user invites colleagues."""

from __future__ import annotations

from flask import abort, current_app, flash, g, request, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from limits import parse
from wtforms import PasswordField, StringField

from core import texts
from core.enums import UserKind
from core.models import Tenant
from core.rules import roles
from core.services import people, registration, tokens
from core.services.errors import Conflict, ValidationFailed
from storefront import bp
from webapp.auth import (
    LoginUser,
    customer_required,
    hash_password,
    signed_in_user,
    verify_password,
)
from webapp.emails import mailer, render_email
from webapp.extensions import db, limiter, throttle
from webapp.login import second_factor_view
from webapp.password_links import set_password_page
from webapp.people_forms import ColleagueForm
from webapp.two_factor_web import setup_page
from webapp.two_factor_web import turn_off as turn_off_two_factor
from webapp.web import is_htmx, page, see_other


def _scope() -> people.LinkScope:
    return people.LinkScope(UserKind.STOREFRONT, g.tenant.id)


def storefront_mailer(endpoint: str):
    """Links to this Storefront: the host the request came to is the tenant's."""
    return mailer(endpoint)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    return set_password_page(
        token,
        tokens.INVITATION,
        "storefront/people/set_password.html",
        "storefront.login",
        _scope(),
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def password_reset(token: str):
    return set_password_page(
        token,
        tokens.PASSWORD_RESET,
        "storefront/people/set_password.html",
        "storefront.login",
        _scope(),
    )


class ForgotForm(FlaskForm):
    email = StringField("E-mail", render_kw={"autocomplete": "username"})


# reset e-mails are throttled per address and per client address
RESETS_PER_ADDRESS = parse("3/hour")
RESETS_PER_CLIENT = parse("20/hour")


def _throttled(email: str) -> bool:
    keys = [
        (RESETS_PER_ADDRESS, "reset-address", email.strip().lower()),
        (RESETS_PER_CLIENT, "reset-client", request.remote_addr or "unknown"),
    ]
    if not limiter.enabled:
        return False
    if any(not throttle.test(item, *ids) for item, *ids in keys):
        return True
    for item, *ids in keys:
        throttle.hit(item, *ids)
    return False


@bp.route("/password/forgot", methods=["GET", "POST"])
def password_forgot():
    form = ForgotForm()
    if form.is_submitted():
        email = (form.email.data or "") if isinstance(form.email.data, str) else ""
        if _throttled(email):
            return page(
                "storefront/people/forgot.html",
                status=429,
                form=form,
                error=texts.PASSWORD_RESET_THROTTLED,
            )
        people.request_password_reset(
            db.session, g.tenant.id, email, storefront_mailer("storefront.password_reset")
        )
        # the same answer whether the address exists or not
        flash(texts.PASSWORD_RESET_SENT, "info")
        return see_other(url_for("storefront.password_forgot"))
    return page("storefront/people/forgot.html", form=form, error=None)


# --- an account's admin user invites colleagues ---------------------------------------------


def _account_admin():
    if current_user.role != roles.ACCOUNT_ADMIN:
        abort(403)


def _colleagues_page(form=None, errors=None, status=200, sent=None):
    """The users and the invitation form; ``sent``: the answer to an invitation, shown inside
    the block the form replaces, so a later refusal replaces it too (as a flash above the
    block, it stayed over the next error)."""
    return page(
        "storefront/people/users.html",
        block="colleagues",
        status=status,
        users=people.account_users(db.session, g.tenant.id, current_user.account_id),
        form=form or ColleagueForm(formdata=None),
        errors=errors or {},
        sent=sent,
        role_labels=roles.STOREFRONT_ROLE_LABELS,
        is_invited=people.is_invited,
    )


@bp.route("/account/users")
@customer_required
def account_users():
    _account_admin()
    return _colleagues_page()


@bp.post("/account/users/invite")
@customer_required
def account_users_invite():
    _account_admin()
    form = ColleagueForm()
    try:
        user = people.invite_storefront_user(
            db.session,
            g.tenant.id,
            signed_in_user(),
            storefront_mailer("storefront.invitation"),
            account_id=current_user.account_id,
            email=form.email.data or "",
            name=form.name.data or "",
            role=form.role.data or "",
        )
    except ValidationFailed as error:
        return _colleagues_page(form, error.errors, 422)
    # the same answer when the address is another account's user (None: nothing was sent)
    email = user.email if user is not None else (form.email.data or "").strip().lower()
    sent = texts.USER_INVITED.format(email=email)
    if is_htmx():
        return _colleagues_page(sent=sent)
    flash(sent, "success")
    return see_other(url_for("storefront.account_users"))


# --- my sign-in: change password and e-mail address ------------------------------------------


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", render_kw={"autocomplete": "current-password"})
    password = PasswordField("New password", render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", render_kw={"autocomplete": "new-password"})


class ChangeEmailForm(FlaskForm):
    email = StringField("New e-mail address", render_kw={"autocomplete": "email"})
    current = PasswordField("Current password", render_kw={"autocomplete": "current-password"})


def _profile(password_form=None, email_form=None, errors=None, status=200):
    return page(
        "storefront/people/profile.html",
        status=status,
        password_form=password_form or ChangePasswordForm(formdata=None),
        email_form=email_form or ChangeEmailForm(formdata=None),
        errors=errors or {},
    )


@bp.route("/account/profile")
@customer_required
def account_profile():
    return _profile()


@bp.post("/account/password")
@customer_required
def account_password():
    form = ChangePasswordForm()
    try:
        user = people.change_password(
            db.session,
            current_user.id,
            form.current.data or "",
            form.password.data or "",
            form.confirm.data or "",
            verify_password,
            hash_password,
        )
    except ValidationFailed as error:
        errors = {f"password_{k}": v for k, v in error.errors.items()}
        return _profile(password_form=form, errors=errors, status=422)
    login_user(LoginUser(user))  # this session goes on with the new session version
    flash(texts.PASSWORD_CHANGED, "success")
    return see_other(url_for("storefront.account_profile"))


@bp.post("/account/email")
@customer_required
def account_email():
    form = ChangeEmailForm()
    try:
        people.request_email_change(
            db.session,
            current_user.id,
            form.email.data or "",
            form.current.data or "",
            verify_password,
            storefront_mailer("storefront.account_email_confirm"),
        )
    except ValidationFailed as error:
        errors = {f"email_{k}": v for k, v in error.errors.items()}
        return _profile(email_form=form, errors=errors, status=422)
    flash(texts.EMAIL_CHANGE_SENT.format(email=(form.email.data or "").strip().lower()), "info")
    return see_other(url_for("storefront.account_profile"))


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def account_email_confirm(token: str):
    """The link sent to the new address: a page that says which address, and its button."""
    secret = current_app.secret_key
    invalid = page("storefront/people/email_confirm.html", status=404, invalid=True, new_email=None)
    try:
        _user, new_email = people.email_change_of_link(db.session, secret, token, _scope())
    except tokens.TokenInvalid:
        return invalid
    if request.method == "GET":
        return page("storefront/people/email_confirm.html", invalid=False, new_email=new_email)
    try:
        user = people.confirm_email_change(db.session, secret, token, _scope())
    except tokens.TokenInvalid:
        return invalid
    except Conflict as error:
        flash(error.message, "error")
        return see_other(url_for("storefront.home"))
    flash(texts.EMAIL_CHANGED.format(email=user.email), "success")
    return see_other(url_for("storefront.home"))


# --- self-registration (per tenant setting) ------------------------------------------------


class RegisterForm(FlaskForm):
    company = StringField("Company name")
    name = StringField("Your name")
    email = StringField("E-mail", render_kw={"autocomplete": "username"})
    password = PasswordField("Password", render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("Password again", render_kw={"autocomplete": "new-password"})
    country = StringField(
        "Country", render_kw={"autocomplete": "country", "maxlength": 2, "size": 4}
    )
    vat_number = StringField("VAT number (optional)", render_kw={"autocomplete": "off"})


@bp.route("/register", methods=["GET", "POST"])
def register():
    tenant = db.session.get(Tenant, g.tenant.id)
    form = RegisterForm()
    if not registration.is_open(tenant):
        status = 409 if form.is_submitted() else 200
        return page("storefront/people/register.html", status=status, form=None, errors={})
    errors: dict[str, list[str]] = {}
    if form.is_submitted():
        try:
            registration.register(
                db.session,
                g.tenant.id,
                render_email,
                hash_password,
                company=_str(form.company.data),
                name=_str(form.name.data),
                email=_str(form.email.data),
                password=_str(form.password.data),
                confirm=_str(form.confirm.data),
                country=_str(form.country.data),
                vat_number=_str(form.vat_number.data),
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            # the same answer whether the address was new or in use (the e-mail says which)
            return see_other(url_for("storefront.register_received"))
    return page(
        "storefront/people/register.html", status=422 if errors else 200, form=form, errors=errors
    )


@bp.get("/register/received")
def register_received():
    """What happens next, instead of the form again (emptied) under a thank-you line."""
    return page("storefront/people/register.html", form=None, errors={}, received=True)


def _str(value) -> str:
    return value if isinstance(value, str) else ""


# --- two-factor sign-in, optional for Storefront users --------------------------------------


@bp.route("/login/second-factor", methods=["GET", "POST"])
def login_second_factor():
    return second_factor_view("storefront/people/second_factor.html", "storefront.login")


_TWO_FACTOR_PAGES = (
    "storefront/people/two_factor_setup.html",
    "storefront/people/recovery_codes.html",
)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@customer_required
def account_two_factor():
    return setup_page(*_TWO_FACTOR_PAGES, g.tenant.name)


@bp.post("/account/two-factor/off")
@customer_required
def account_two_factor_off():
    # optional for Storefront users: no tenant policy requires it of them
    return turn_off_two_factor(
        *_TWO_FACTOR_PAGES, g.tenant.name, "off", url_for("storefront.account_two_factor")
    )
