"""WTForms for BSS people: they parse; core.services.people says what is valid."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from bss_admin.accounts.forms import int_or_none
from core.rules.roles import BSS_ROLES, ROLE_LABELS


class PersonForm(FlaskForm):
    email = StringField("E-mail")
    name = StringField("Name")
    role = SelectField(
        "Role", choices=[(r, ROLE_LABELS[r]) for r in BSS_ROLES], validate_choice=False
    )
    team_id = SelectField("Team", coerce=int_or_none, validate_choice=False)


class TeamForm(FlaskForm):
    name = StringField("Team name")
