"""Storefront forms. They parse and carry CSRF; the rules (quantities, limits, dates, cards)
are checked by the services in ``core``, whose messages are shown next to the fields."""

from __future__ import annotations

from flask import current_app, g, request
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from wtforms import (
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from core.services.payments import split_expiry


class _Label:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class _Field:
    """A field of a :class:`_PlainForm`: its value as WTForms' field parsed it (``data``), its
    label's text, its choices (a select's), its messages."""

    __slots__ = ("data", "label", "choices", "errors")

    def __init__(self, label: str, data):
        self.label = _Label(label)
        self.data = data
        self.choices: list[tuple[str, str]] = []
        self.errors: list[str] = []

    def _value(self) -> str:
        return "" if self.data is None else str(self.data)


_FROM_REQUEST = object()
_SUBMIT_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))


def _posted():
    """What a submission posted, as FlaskForm takes it (its ``Meta.wrap_formdata``): the files
    and the form, the form, or a JSON body; None when the request is no submission or posted
    nothing (the fields keep their defaults)."""
    if request.method not in _SUBMIT_METHODS:
        return None
    if request.files:
        return CombinedMultiDict((request.files, request.form))
    if request.form:
        return request.form
    if request.is_json:
        return ImmutableMultiDict(request.get_json())
    return None


class _PlainForm:
    """The catalogue's and the basket's forms (their busiest requests), without WTForms (issue
    19, seventh pass: building a FlaskForm, its fields and its CSRF field, and checking the
    token again, was ~0.1-0.15 ms of an add's ~1.4 ms). Each field is read as WTForms read it
    (``_fields``: name -> (label, default); the first value posted, else the default), from the
    posted form when the request is a submission (POST, PUT, PATCH, DELETE) that has one, as
    FlaskForm takes it. The templates write the fields by hand; the CSRF token is the page's
    (the template global ``csrf_token``, signed once per session and process: issue 19, sixth
    pass), checked as FlaskForm checks it."""

    _fields: dict[str, tuple[str, str | None]] = {}

    def __init__(self, formdata=_FROM_REQUEST):
        if formdata is _FROM_REQUEST:
            formdata = _posted()
        self._formdata = formdata
        for name, (label, default) in self._fields.items():
            value = formdata.get(name) if formdata is not None else None
            setattr(self, name, _Field(label, default if value is None else value))

    @property
    def csrf(self) -> bool:
        """Whether the form carries and checks a CSRF token (as FlaskForm's ``meta.csrf``)."""
        return current_app.config.get("WTF_CSRF_ENABLED", True)

    @property
    def csrf_field_name(self) -> str:
        return current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")

    def validate_on_submit(self) -> bool:
        """A submission whose CSRF token is valid, as ``FlaskForm.validate_on_submit`` (these
        fields have no validators): checked by CSRFProtect already (``g.csrf_valid``), else the
        form's own token field."""
        if request.method not in _SUBMIT_METHODS:
            return False
        if not self.csrf or g.get("csrf_valid", False):
            return True
        formdata = self._formdata
        try:
            validate_csrf(formdata.get(self.csrf_field_name) if formdata is not None else None)
        except ValidationError:
            return False
        return True


class AddToBasketForm(_PlainForm):
    # plan_id: a select's value as posted (no choice checked: the service refuses an unknown
    # plan); back: where to go after
    _fields = {
        "plan_id": ("Plan", None),
        "quantity": ("Quantity", "1"),
        "trial": ("Start with a free trial", None),
        "back": ("", None),
    }

    def __init__(self, formdata=_FROM_REQUEST):
        super().__init__(formdata)
        # a checkbox, as WTForms' BooleanField: checked unless absent, "" or "false"
        self.trial.data = self.trial.data not in (None, "", "false")


class QuantityForm(_PlainForm):
    _fields = {"quantity": ("Quantity", None)}


class RemoveDeliveryForm(_PlainForm):
    """Remove every line of one delivery method from a mixed basket (issue 13)."""

    _fields = {"execution_type": ("", None)}


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
