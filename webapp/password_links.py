"""The page of a signed link that sets a password (issue 14): a BSS or Storefront invitation,
a password reset. Shared by both blueprints."""

from __future__ import annotations

from flask import current_app, flash, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField

from core import texts
from core.services import people, tokens
from core.services.errors import ValidationFailed
from webapp.auth import hash_password
from webapp.extensions import db
from webapp.web import page, see_other


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("New password again", render_kw={"autocomplete": "new-password"})


def set_password_page(
    token: str, purpose: str, template: str, login_endpoint: str, scope: people.LinkScope
):
    """The page of a signed link that sets a password (invitations, resets): a link that is
    not valid any more is a 404 page that says so, whatever the reason."""
    secret = current_app.secret_key
    try:
        user = people.user_of_link(db.session, secret, purpose, token, scope)
    except tokens.TokenInvalid:
        return page(template, status=404, form=None, invalid=True, errors={}, person=None)
    form = SetPasswordForm()
    errors: dict[str, list[str]] = {}
    if form.is_submitted():
        try:
            people.set_password_from_link(
                db.session,
                secret,
                purpose,
                token,
                form.password.data or "",
                form.confirm.data or "",
                hash_password,
                scope,
            )
        except tokens.TokenInvalid:
            return page(template, status=404, form=None, invalid=True, errors={}, person=None)
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.PASSWORD_SET, "success")
            return see_other(url_for(login_endpoint))
    return page(
        template,
        status=422 if errors else 200,
        form=form,
        invalid=False,
        errors=errors,
        person=user,
    )
