"""Two-factor sign-in for BSS users (issue 14 F): the code step of the sign-in, setting it up
(QR code as an SVG data URI: no script), Setup > Security (who must use it), and the rule
that a user who must use it sets it up before any other page."""

from __future__ import annotations

import segno
from flask import flash, g, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from bss_admin import bp
from core import texts
from core.enums import UserKind
from core.rules import roles
from core.rules import two_factor as rules
from core.services import registration, two_factor
from core.services.errors import ValidationFailed
from webapp.auth import admin_required, bss_required, signed_in_user
from webapp.extensions import db
from webapp.login import second_factor_view
from webapp.web import page, see_other

SETUP_SECRET = "two_factor_setup_secret"  # the secret shown, kept in the session until proven
# what a user who must set up two-factor sign-in may still open
_OPEN_BEFORE_SETUP = {
    "bss_admin.two_factor_setup",
    "bss_admin.logout",
    "bss_admin.login",
    "bss_admin.login_second_factor",
    "bss_admin.invitation",
}


@bp.before_request
def _two_factor_first():
    if (
        current_user.is_authenticated
        and current_user.kind == UserKind.BSS
        and request.endpoint not in _OPEN_BEFORE_SETUP
        and two_factor.must_enroll(current_user.user, current_user.tenant.two_factor_required)
    ):
        flash(texts.TOTP_REQUIRED, "info")
        return see_other(url_for("bss_admin.two_factor_setup"))
    return None


@bp.route("/login/second-factor", methods=["GET", "POST"])
def login_second_factor():
    return second_factor_view("bss_admin/people/second_factor.html", "bss_admin.login")


class CodeForm(FlaskForm):
    code = StringField("6-digit code")


def _qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


@bp.route("/two-factor", methods=["GET", "POST"])
@bss_required(*roles.BSS_ROLES)
def two_factor_setup():
    user = signed_in_user()
    secret = session.get(SETUP_SECRET)
    if not secret or request.method == "GET":
        secret = session[SETUP_SECRET] = two_factor.new_secret()
    form = CodeForm()
    errors: dict[str, list[str]] = {}
    if form.is_submitted():
        try:
            codes = two_factor.enroll(db.session, user.id, secret, form.code.data or "")
        except ValidationFailed as error:
            errors = error.errors
        else:
            session.pop(SETUP_SECRET, None)
            flash(texts.TOTP_ENABLED, "success")
            return page("bss_admin/people/recovery_codes.html", codes=codes)
    uri = two_factor.provisioning_uri(secret, user.email, user.tenant.name)
    return page(
        "bss_admin/people/two_factor_setup.html",
        status=422 if errors else 200,
        form=form,
        errors=errors,
        qr=_qr_data_uri(uri),
        secret=secret,
        enabled=bool(user.totp_secret),
    )


class SecurityForm(FlaskForm):
    policy = SelectField(
        "Two-factor sign-in",
        choices=[(p, rules.POLICY_LABELS[p]) for p in rules.POLICIES],
        validate_choice=False,
    )
    self_registration = SelectField(
        "Storefront self-registration",
        choices=[(k, texts.SELF_REGISTRATION_LABELS[k]) for k in registration.SETTINGS],
        validate_choice=False,
    )


@bp.route("/setup/security", methods=["GET", "POST"])
@admin_required
def security_setup():
    tenant = signed_in_user().tenant
    form = SecurityForm(
        data={"policy": tenant.two_factor_required, "self_registration": tenant.self_registration}
    )
    errors: dict[str, list[str]] = {}
    if form.is_submitted():
        try:
            two_factor.set_policy(db.session, g.tenant_id, signed_in_user(), form.policy.data)
            registration.set_setting(
                db.session, g.tenant_id, signed_in_user(), form.self_registration.data
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.SECURITY_SAVED, "success")
            return see_other(url_for("bss_admin.security_setup"))
    return page(
        "bss_admin/people/security.html", status=422 if errors else 200, form=form, errors=errors
    )
