"""Storefront forms. They parse and carry CSRF; the rules (quantities, limits, dates, cards)
are checked by the services in ``core``, whose messages are shown next to the fields."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from core.services.payments import split_expiry


class _PageToken(_FlaskFormCSRF):
    """The form's CSRF token is the page's: the template global ``csrf_token`` (signed once per
    session and process by ``webapp.security.install_csrf_memo``), not one signed anew for the
    form on every request (a key derivation and an HMAC, ~40 us; issue 19, sixth pass). The
    same value the layout's htmx header carries; checked as before."""

    def generate_csrf_token(self, csrf_token_field):
        return current_app.jinja_env.globals["csrf_token"]()


class _BasketForm(FlaskForm):
    """The catalogue's and the basket's forms (their busiest requests)."""

    class Meta:
        csrf_class = _PageToken


class AddToBasketForm(_BasketForm):
    plan_id = SelectField("Plan", choices=[], validate_choice=False)
    quantity = StringField("Quantity", default="1", render_kw={"inputmode": "numeric"})
    trial = BooleanField("Start with a free trial")
    back = HiddenField()


class QuantityForm(_BasketForm):
    quantity = StringField("Quantity", render_kw={"inputmode": "numeric"})


class RemoveDeliveryForm(_BasketForm):
    """Remove every line of one delivery method from a mixed basket (issue 13)."""

    execution_type = HiddenField()


class SubscriptionActionForm(FlaskForm):
    quantity = StringField("Quantity", default="1", render_kw={"inputmode": "numeric"})
    addon_id = SelectField("Add-on", choices=[], validate_choice=False)
    target_product_id = SelectField("Upgrade to", choices=[], validate_choice=False)


class ToggleForm(FlaskForm):
    """Turn a setting on or off (auto-renew, a trial's continuation; issue 17), or a bare
    confirmation (withdraw a scheduled change)."""

    value = HiddenField()


class BillingForm(FlaskForm):
    billing_name = StringField("Bill to (name)")
    billing_address = TextAreaField("Billing address")
    payment_method = RadioField("Payment method", choices=[], validate_choice=False)


class CardFields:
    """The card, on one row: number, MM/YY, CVC (with the name on the card above it)."""

    card_holder = StringField("Name on the card", render_kw={"autocomplete": "cc-name"})
    card_number = StringField(
        "Card number", render_kw={"autocomplete": "cc-number", "inputmode": "numeric"}
    )
    card_expiry = StringField(
        "Expiry (MM/YY)",
        render_kw={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY"},
    )
    card_cvc = PasswordField(
        "CVC",
        render_kw={"autocomplete": "cc-csc", "inputmode": "numeric", "maxlength": "4"},
    )

    def card(self) -> dict:
        """The card as the payment services take it (the expiry split into month and year)."""
        month, year = split_expiry(self.card_expiry.data)
        return {
            "number": self.card_number.data,
            "expiry_month": month,
            "expiry_year": year,
            "cvc": self.card_cvc.data,
            "holder": self.card_holder.data,
        }

    def forget_card(self) -> None:
        """Never echo the number or the security code back into a page."""
        self.card_number.data = self.card_cvc.data = None


class PlaceOrderForm(CardFields, FlaskForm):
    when = RadioField(
        "When should we execute the order?",
        choices=[("now", "Immediately"), ("scheduled", "On a date I choose")],
        default="now",
        validate_choice=False,
    )
    # text in the customer's date format, so the field, its hint and the messages read alike
    schedule_on = StringField("Execution date", render_kw={"autocomplete": "off"})
    checkout_key = HiddenField()


# --- Pay now after a failed payment (issue 13, point 9) ---


class PayNowForm(CardFields, FlaskForm):
    attempt = HiddenField()
