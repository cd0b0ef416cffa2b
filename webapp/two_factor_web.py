"""Setting up two-factor sign-in (issue 14 F), shared by the BSS (every user; required by the
tenant's setting) and the Storefront (optional for each user): the QR code as an SVG data URI
(no script), the key for typing, the code that turns it on, the recovery codes shown once."""

from __future__ import annotations

import segno
from flask import flash, request, session
from flask_wtf import FlaskForm
from wtforms import StringField

from core import texts
from core.services import two_factor
from core.services.errors import ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page

SETUP_SECRET = "two_factor_setup_secret"  # the secret shown, kept in the session until proven


class CodeForm(FlaskForm):
    code = StringField("6-digit code")


def qr_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


def setup_page(template: str, codes_template: str, tenant_name: str):
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
            return page(codes_template, codes=codes)
    uri = two_factor.provisioning_uri(secret, user.email, tenant_name)
    return page(
        template,
        status=422 if errors else 200,
        form=form,
        errors=errors,
        qr=qr_data_uri(uri),
        secret=secret,
        enabled=bool(user.totp_secret),
    )
