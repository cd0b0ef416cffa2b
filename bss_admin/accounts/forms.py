"""WTForms for BSS accounts: they parse; core.rules.accounts says what is valid."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from core.enums import AccountKind, PaymentMethod
from core.rules.accounts import KIND_LABELS, PAYMENT_LABELS


def int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if abs(number) < 2**62 else None


class AccountFilterForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search by name", validators=[Optional(), Length(max=200)])
    kind = SelectField(
        "Kind",
        choices=[("", "Any")] + [(k, KIND_LABELS[k]) for k in AccountKind.ALL],
        validate_choice=False,
    )
    after = StringField("after", validators=[Optional(), Length(max=400)])


class AccountForm(FlaskForm):
    name = StringField("Name")
    kind = SelectField(
        "Kind", choices=[(k, KIND_LABELS[k]) for k in AccountKind.ALL], validate_choice=False
    )
    represents_tenant_id = SelectField(
        "Child tenant it stands for", coerce=int_or_none, validate_choice=False
    )
    reseller_account_id = SelectField(
        "Under standard reseller", coerce=int_or_none, validate_choice=False
    )
    # used instead of the list when the tenant has too many resellers to list them all
    reseller_search = StringField("Standard reseller's name")
    billing_name = StringField("Billing name")
    billing_address = TextAreaField("Billing address")
    billing_email = StringField("Billing e-mail")
    vat_number = StringField("VAT number")
    country = StringField("Country")
    tax_exempt = BooleanField("Exempt from VAT")
    timezone = StringField("Time zone", default="UTC")
    price_list_id = SelectField("Price list", coerce=int_or_none, validate_choice=False)
    payment_method = SelectField(
        "Payment methods allowed",
        choices=[(m, PAYMENT_LABELS[m]) for m in PaymentMethod.ALL],
        validate_choice=False,
    )
    credit_limit = StringField("Credit limit")
    credit_reason = TextAreaField("Reason for the credit limit change")
    manager_user_id = SelectField("Account manager", coerce=int_or_none, validate_choice=False)
    # used instead of the list when the tenant has too many BSS users to list them all
    manager_search = StringField("Account manager's name or e-mail")
