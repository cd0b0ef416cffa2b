"""Two-factor sign-in for BSS users (issue 14 F): the code step of the sign-in, setting it up
(webapp/two_factor_web.py), Setup > Security (who must use it), and the rule
that a user who must use it sets it up before any other page."""

from __future__ import annotations

from flask import flash, g, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField

from bss_admin import bp
from core import texts
from core.enums import UserKind
from core.rules import roles
from core.rules import two_factor as rules
from core.services import registration, security_settings, two_factor
from core.services.errors import ValidationFailed
from webapp.auth import admin_required, bss_required, signed_in_user
from webapp.extensions import db
from webapp.login import second_factor_view
from webapp.two_factor_web import setup_page
from webapp.two_factor_web import turn_off as turn_off_two_factor
from webapp.web import page, see_other

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
        # the user's kind, role and TOTP secret: columns a lean view's user has (issue 19)
        and two_factor.must_enroll(
            current_user._get_current_object(), current_user.tenant.two_factor_required
        )
    ):
        flash(texts.TOTP_REQUIRED, "info")
        return see_other(url_for("bss_admin.two_factor_setup"))
    return None


@bp.route("/login/second-factor", methods=["GET", "POST"])
def login_second_factor():
    return second_factor_view("bss_admin/people/second_factor.html", "bss_admin.login")


_PAGES = ("bss_admin/people/two_factor_setup.html", "bss_admin/people/recovery_codes.html")


@bp.route("/two-factor", methods=["GET", "POST"])
@bss_required(*roles.BSS_ROLES)
def two_factor_setup():
    user = signed_in_user()
    required = rules.required(user.tenant.two_factor_required, user.kind, user.role)
    return setup_page(*_PAGES, user.tenant.name, required=required)


@bp.post("/two-factor/off")
@bss_required(*roles.BSS_ROLES)
def two_factor_off():
    user = signed_in_user()
    return turn_off_two_factor(
        *_PAGES,
        user.tenant.name,
        user.tenant.two_factor_required,
        url_for("bss_admin.two_factor_setup"),
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
            security_settings.save(
                db.session,
                g.tenant_id,
                signed_in_user(),
                two_factor_required=form.policy.data or "",
                self_registration=form.self_registration.data or "",
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.SECURITY_SAVED, "success")
            return see_other(url_for("bss_admin.security_setup"))
    return page(
        "bss_admin/people/security.html", status=422 if errors else 200, form=form, errors=errors
    )
