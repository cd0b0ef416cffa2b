"""The New API key form: shapes only; core.services.api_keys checks the rest."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from core import texts
from core.rules.api_keys import Scope

EXPIRY_CHOICES = [("90", "In 90 days"), ("30", "In 30 days"), ("365", "In a year"), ("", "Never")]


class NewApiKeyForm(FlaskForm):
    name = StringField("Name (person or integration)", validators=[DataRequired(), Length(max=120)])
    user_id = SelectField("Acts as (BSS user)", coerce=str, validators=[DataRequired()])
    scope = SelectField("Scope", choices=[(s, texts.API_KEY_SCOPE_LABELS[s]) for s in Scope.ALL])
    expires_in_days = SelectField("Expires", choices=EXPIRY_CHOICES, coerce=str)
