"""Storefront forms. They parse and carry CSRF; the rules (quantities, limits, dates, cards)
are checked by the services in ``core``, whose messages are shown next to the fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)


class AddToBasketForm(FlaskForm):
    plan_id = SelectField("Plan", choices=[], validate_choice=False)
    quantity = StringField("Quantity", default="1", render_kw={"inputmode": "numeric"})
    trial = BooleanField("Start with a free trial")
    back = HiddenField()


class QuantityForm(FlaskForm):
    quantity = StringField("Quantity", render_kw={"inputmode": "numeric"})


class RemoveDeliveryForm(FlaskForm):
    """Remove every line of one delivery method from a mixed basket (issue 13)."""

    execution_type = HiddenField()


class SubscriptionActionForm(FlaskForm):
    quantity = StringField("Quantity", default="1", render_kw={"inputmode": "numeric"})
    addon_id = SelectField("Add-on", choices=[], validate_choice=False)
    target_product_id = SelectField("Upgrade to", choices=[], validate_choice=False)


class BillingForm(FlaskForm):
    billing_name = StringField("Bill to (name)")
    billing_address = TextAreaField("Billing address")
    payment_method = RadioField("Payment method", choices=[], validate_choice=False)


class PlaceOrderForm(FlaskForm):
    when = RadioField(
        "When should we execute the order?",
        choices=[("now", "Immediately"), ("scheduled", "On a date I choose")],
        default="now",
        validate_choice=False,
    )
    schedule_on = DateField("Execution date", validators=[])
    card_holder = StringField("Name on the card", render_kw={"autocomplete": "cc-name"})
    card_number = StringField(
        "Card number", render_kw={"autocomplete": "cc-number", "inputmode": "numeric"}
    )
    card_expiry_month = StringField(
        "Expiry month (MM)", render_kw={"autocomplete": "cc-exp-month", "inputmode": "numeric"}
    )
    card_expiry_year = StringField(
        "Expiry year (YYYY)", render_kw={"autocomplete": "cc-exp-year", "inputmode": "numeric"}
    )
    card_cvc = PasswordField("Security code (CVC)", render_kw={"autocomplete": "cc-csc"})
    checkout_key = HiddenField()
