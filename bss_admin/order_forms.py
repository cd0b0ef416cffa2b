"""WTForms for BSS orders: they parse and check shapes; the rules live in core."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from core.enums import ExecutionType, PaymentMethod
from core.rules.basket import is_whole_number


def _int_or_none(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class OrderFilterForm(FlaskForm):
    """The list's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField("Status", coerce=_int_or_none, validate_choice=False)
    account = SelectField("Account", coerce=_int_or_none, validate_choice=False)
    execution_type = SelectField(
        "Execution type",
        choices=[
            ("", "Any"),
            (ExecutionType.AUTOMATIC, "Automatic"),
            (ExecutionType.MANUAL, "Manual"),
        ],
        validate_choice=False,
    )
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    q = StringField("Search number or account", validators=[Optional(), Length(max=100)])
    # the default view has no query string: newest first is a choice, not a missing one
    sort = SelectField(
        "Sort by date",
        choices=[("newest", "Newest first"), ("oldest", "Oldest first")],
        default="newest",
    )
    after = StringField("after", validators=[Optional(), Length(max=200)])


class NewOrderForm(FlaskForm):
    account_id = SelectField("Account", coerce=_int_or_none, validate_choice=False)
    # used instead of the list when the tenant has too many accounts to list them all
    account_search = StringField("Account name", validators=[Optional(), Length(max=200)])
    status_id = SelectField("Status", coerce=_int_or_none, validate_choice=False)
    name = StringField("Name", validators=[Optional(), Length(max=200)])


class WholeNumberField(IntegerField):
    """An IntegerField that takes ASCII digits only, as the Storefront does
    (core.rules.basket.is_whole_number): Python's int() would read "٥" as 5."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] is not None and str(valuelist[0]).strip():
            if not is_whole_number(valuelist[0]):
                self.data = None
                raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)


class QuickAddForm(FlaskForm):
    # with more plans than a list shows, the plan is found by name (core.services.picking)
    product_search = StringField("Product", validators=[Optional(), Length(max=200)])
    product_plan = SelectField("Product and plan", validate_choice=False)
    quantity = WholeNumberField(
        "Quantity", default=1, validators=[InputRequired(), NumberRange(min=1, max=100000)]
    )

    def product_and_plan(self) -> tuple[int | None, int | None]:
        try:
            product_id, plan_id = (self.product_plan.data or "").split("-", 1)
            return int(product_id), int(plan_id)
        except ValueError:
            return None, None


class EditOrderForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    order_type = StringField("Type", validators=[Optional(), Length(max=60)])
    status_id = SelectField("Status", coerce=_int_or_none, validate_choice=False)
    payment_method = SelectField(
        "Payment Method",
        choices=[(PaymentMethod.CARD, "Credit card"), (PaymentMethod.ON_ACCOUNT, "On account")],
        validate_choice=False,
    )
    sales_rep = StringField("Sales Rep", validators=[Optional(), Length(max=120)])
    contact = StringField("Contact", validators=[Optional(), Length(max=120)])
    campaign = StringField("Campaign", validators=[Optional(), Length(max=120)])
    responsible_user_id = SelectField(
        "Responsible user", coerce=_int_or_none, validate_choice=False
    )
    custom_fields = TextAreaField("Custom fields", validators=[Optional(), Length(max=2000)])


def item_quantities(form_data, prefix: str) -> tuple[dict[int, int], dict[str, list[str]]]:
    """Per-item quantities posted as ``<prefix><item id>``; blank means 0 (not chosen)."""
    quantities: dict[int, int] = {}
    errors: dict[str, list[str]] = {}
    for key, raw in form_data.items():
        if not key.startswith(prefix):
            continue
        try:
            item_id = int(key[len(prefix) :])
        except ValueError:
            continue
        raw = (raw or "").strip()
        if not raw:
            continue
        if is_whole_number(raw):
            quantities[item_id] = int(raw)
        else:
            errors[str(item_id)] = ["Enter a whole number."]
    return quantities, errors
