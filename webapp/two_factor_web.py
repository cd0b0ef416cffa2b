"""Setting up two-factor sign-in (issue 14 F), shared by the BSS (every user; required by the
tenant's setting) and the Storefront (optional for each user): the QR code as an SVG data URI
(no script), the key for typing, the code that turns it on, the recovery codes shown once."""

from __future__ import annotations

import segno
from flask import abort, flash, request, session
from flask_wtf import FlaskForm
from wtforms import StringField

from core import texts
from core.services import two_factor
from core.services.errors import Conflict, ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other

SETUP_SECRET = "two_factor_setup_secret"  # the secret shown, kept in the session until proven


class CodeForm(FlaskForm):
    code = StringField("6-digit code", render_kw={"autocomplete": "one-time-code"})


class OffForm(FlaskForm):
    off_code = StringField("Code", render_kw={"autocomplete": "one-time-code"})


def qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def setup_page(
    template: str,
    codes_template: str,
    tenant_name: str,
    *,
    required: bool = False,
    off_form: OffForm | None = None,
    off_errors: dict | None = None,
    refusal: str | None = None,
    enrolling: bool = True,
):
    """The set-up page; with two-factor sign-in on, also the form that turns it off (unless
    the tenant ``required`` it of this user)."""
    user = signed_in_user()
    secret = session.get(SETUP_SECRET)
    if not secret or request.method == "GET":
        secret = session[SETUP_SECRET] = two_factor.new_secret()
    form = CodeForm() if enrolling else CodeForm(formdata=None)
    errors: dict[str, list[str]] = {}
    if enrolling and form.is_submitted():
        try:
            codes = two_factor.enroll(db.session, user.id, secret, form.code.data or "")
        except ValidationFailed as error:
            errors = error.errors
        else:
            session.pop(SETUP_SECRET, None)
            flash(texts.TOTP_ENABLED, "success")
            return page(codes_template, codes=codes)
    uri = two_factor.provisioning_uri(secret, user.email, tenant_name)
    return page(
        template,
        status=409 if refusal else 422 if errors or off_errors else 200,
        refusal=refusal,
        form=form,
        errors=errors,
        qr=qr_data_uri(uri),
        secret=secret,
        enabled=bool(user.totp_secret),
        may_turn_off=bool(user.totp_secret) and not required,
        off_form=off_form or OffForm(formdata=None),
        off_errors=off_errors or {},
    )


def turn_off(template: str, codes_template: str, tenant_name: str, policy: str, back: str):
    """POST: turn the signed-in user's two-factor sign-in off with a code (then to ``back``,
    the set-up page); a wrong code shows the page again with the message."""
    form = OffForm()
    if not form.validate_on_submit():
        abort(400)
    user = signed_in_user()
    try:
        two_factor.turn_off(db.session, user.id, form.off_code.data or "", policy)
    except Conflict as error:  # the tenant requires it of this user: the page says so
        return setup_page(
            template,
            codes_template,
            tenant_name,
            required=True,
            refusal=error.message,
            enrolling=False,
        )
    except ValidationFailed as error:
        return setup_page(
            template,
            codes_template,
            tenant_name,
            off_form=form,
            off_errors=error.errors,
            enrolling=False,
        )
    flash(texts.TOTP_TURNED_OFF, "success")
    return see_other(back)
