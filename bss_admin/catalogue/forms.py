"""WTForms of the catalogue back office: they parse shapes; the rules live in
core.rules.catalogue."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from core import texts
from core.rules.catalogue import BILLING_CYCLE_LABELS, BILLING_CYCLES, BillingKind, ProductStatus
from core.rules.promotions import KIND_LABELS as PROMOTION_KIND_LABELS
from core.rules.promotions import KINDS as PROMOTION_KINDS


def int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class ProductFilterForm(FlaskForm):
    """The product list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search name or code", validators=[Optional()])
    product_type = SelectField("Product type", coerce=int_or_none, validate_choice=False)
    status = SelectField(
        "Status",
        choices=[("", "Any")] + [(s, ProductStatus.LABELS[s]) for s in ProductStatus.ALL],
        validate_choice=False,
    )
    after = StringField("after", validators=[Optional()])


class ProductForm(FlaskForm):
    """Create or edit a product. Lengths, the code's shape and the choices are checked by the
    rule, so every refusal comes with the same messages, with or without this form."""

    code = StringField("Code")
    name = StringField("Name")
    description = TextAreaField("Description")
    product_type_id = SelectField("Product type", coerce=int_or_none, validate_choice=False)
    billing_kind = RadioField(
        "Sold as",
        choices=[(k, BillingKind.LABELS[k]) for k in BillingKind.ALL],
        default=BillingKind.RECURRING,
        validate_choice=False,
    )
    published = BooleanField("Published on the Storefront", default=True)
    unit = StringField("Unit")
    trial_days = StringField("Free trial (days)")


class RetireForm(FlaskForm):
    """Only the CSRF token: retiring takes no input."""


class PriceListForm(FlaskForm):
    name = StringField("Name")
    currency = StringField("Currency", default="EUR")
    is_default = BooleanField(texts.PRICE_LIST_DEFAULT_LABEL)


class PriceFilterForm(FlaskForm):
    """The bulk price edit's search and page, from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField("Search name or code", validators=[Optional()])
    after = StringField("after", validators=[Optional()])


class PricesForm(FlaskForm):
    """The bulk price edit: its cells (``plan-<id>``, ``addon-<id>``) are read from the
    request by the view, since they follow the page shown."""


class PlanForm(FlaskForm):
    """A plan; numbers are read as typed and checked by the rule. Its prices (``price-<price
    list id>``) follow the tenant's price lists and are read by the view."""

    name = StringField("Name")
    billing_cycle = SelectField(
        "Billing cycle",
        choices=[(c, BILLING_CYCLE_LABELS[c]) for c in BILLING_CYCLES],
        validate_choice=False,
    )
    commitment_months = StringField("Commitment term (months, 0 for none)", default="0")
    min_quantity = StringField("Minimum quantity", default="1")
    max_quantity = StringField("Maximum quantity", default="10000")
    trial_days = StringField("Free trial (days)")


def trial_days_typed(text) -> int | None:
    """A plan's typed trial: empty is None (the product's), a whole number is itself, anything
    else -1 (refused by the rule)."""
    text = (text or "").strip() if isinstance(text, str) else str(text)
    if not text or text == "None":
        return None
    number = whole_number(text)
    return -1 if number is None else number


class AddOnForm(FlaskForm):
    name = StringField("Name")
    min_quantity = StringField("Minimum quantity", default="1")
    max_quantity = StringField("Maximum quantity", default="10000")


def whole_number(text) -> int | None:
    """A typed whole number (ASCII digits, optional minus), else None."""
    text = (text or "").strip() if isinstance(text, str) else str(text)
    body = text[1:] if text.startswith("-") else text
    if not body or len(body) > 9 or not body.isascii() or not body.isdigit():
        return None
    return int(text)


class UpgradeTargetForm(FlaskForm):
    code = StringField("Product code")


class ComponentForm(FlaskForm):
    code = StringField("Product code")
    quantity = StringField("Quantity", default="1")


class RemoveForm(FlaskForm):
    """Only the CSRF token: removing a link takes no input."""


class ImportForm(FlaskForm):
    """The CSV upload; the file and the pressed button (check or import) are read by the view."""


class PromotionForm(FlaskForm):
    name = StringField("Name")
    kind = RadioField(
        "Takes off",
        choices=[(k, PROMOTION_KIND_LABELS[k]) for k in PROMOTION_KINDS],
        default="percent",
        validate_choice=False,
    )
    value = StringField("Percent, or amount per unit")
    product_code = StringField("Product code")
    plan_name = StringField("Plan name (empty: every plan)")
    starts_on = StringField("First day (YYYY-MM-DD)")
    ends_on = StringField("Last day (YYYY-MM-DD)")
    active = BooleanField("Active", default=True)


def iso_date(text):
    """A typed YYYY-MM-DD date, else None."""
    from datetime import date

    text = (text or "").strip() if isinstance(text, str) else ""
    if len(text) != 10 or not text.isascii():
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
