"""The form that invites a Storefront user (issue 14): used by the BSS (for an account) and by
an account's admin user on the Storefront."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from core.rules import roles


class ColleagueForm(FlaskForm):
    email = StringField("E-mail")
    name = StringField("Name")
    role = SelectField(
        "Role",
        choices=[(r, roles.STOREFRONT_ROLE_LABELS[r]) for r in roles.STOREFRONT_ROLES],
        validate_choice=False,
    )
