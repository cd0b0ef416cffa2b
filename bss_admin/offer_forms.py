"""WTForms for BSS offers: they parse and check shapes; the rules live in core."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OfferFilterForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search number, name or account", validators=[Optional(), Length(max=100)])
    status = SelectField("Status", coerce=_int_or_none, validate_choice=False)
    account = SelectField("Account", coerce=_int_or_none, validate_choice=False)
    converted = SelectField(
        "Converted to an order",
        choices=[("", "Any"), ("yes", "Converted"), ("no", "Not converted")],
        validate_choice=False,
    )
    page = StringField("Page", validators=[Optional(), Length(max=6)])

    def converted_value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.converted.data or "")

    def page_number(self) -> int:
        try:
            return max(1, min(int(self.page.data or 1), 100000))
        except ValueError:
            return 1


class OfferForm(FlaskForm):
    """New offer (account, name, status, validity) and Edit (name, status, validity)."""

    account_id = SelectField("Account", coerce=_int_or_none, validate_choice=False)
    # used instead of the list when the tenant has too many accounts to list them all
    account_search = StringField("Account name", validators=[Optional(), Length(max=200)])
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    status_id = SelectField("Status", coerce=_int_or_none, validate_choice=False)
    valid_until = DateField("Valid until", validators=[Optional()])


class OfferItemForm(FlaskForm):
    """Quick Add: a product plan, a quantity and, optionally, the offered unit price.

    Quantity and price are parsed by :mod:`core.rules.offers` so both views and services
    give the same messages."""

    # with more plans than a list shows, the plan is found by name (core.services.picking)
    plan_search = StringField("Product", validators=[Optional(), Length(max=200)])
    plan_id = SelectField("Product and plan", coerce=_int_or_none, validate_choice=False)
    quantity = StringField("Quantity", default="1", validators=[Length(max=12)])
    unit_price = StringField("Offered unit price", validators=[Optional(), Length(max=20)])


class OfferItemUpdateForm(FlaskForm):
    quantity = StringField("Quantity", validators=[Length(max=12)])
    unit_price = StringField("Offered unit price", validators=[Length(max=20)])
