"""WTForms for the BSS: they parse and check shapes; business rules live in core."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core import texts
from core.rules.statuses import OfferStatusType, OrderStatusType, StorefrontType, creatable_types
from core.services.setup import SHARING_RULES


class ProductTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    is_asset = BooleanField("Asset product type")
    non_automatic_execution = BooleanField("Non-automatic execution of new orders")
    # issue 16: choices are the connectors the plugin manager found (set by the view); an
    # unknown name is refused by the service with its message
    connector = SelectField(
        texts.PRODUCT_TYPE_CONNECTOR_LABEL, choices=[], validate_choice=False, default="manual"
    )


class OrderStatusForm(FlaskForm):
    number = IntegerField("No.", validators=[InputRequired(), NumberRange(min=1, max=9999)])
    description = StringField("Description", validators=[DataRequired(), Length(max=120)])
    type = SelectField(
        "Type",
        choices=[(k, OrderStatusType.LABELS[k]) for k in OrderStatusType.ALL],
    )
    storefront_type = SelectField(
        "Storefront Type",
        choices=[(k, StorefrontType.LABELS[k]) for k in StorefrontType.ALL],
    )
    color = StringField("Color", validators=[DataRequired(), Length(max=7)], default="#6b7280")
    active = BooleanField("Active", default=True)


class NewOrderStatusForm(OrderStatusForm):
    """The table's last row: a new status is never of Type Scheduled or Executing. A crafted
    Type is left to the status table rule, which says why it is refused."""

    type = SelectField(
        "Type",
        choices=[(k, OrderStatusType.LABELS[k]) for k in creatable_types()],
        validate_choice=False,
    )


class OfferStatusForm(FlaskForm):
    number = IntegerField("No.", validators=[InputRequired(), NumberRange(min=1, max=9999)])
    description = StringField("Description", validators=[DataRequired(), Length(max=120)])
    type = SelectField(
        "Type", choices=[(k, OfferStatusType.LABELS[k]) for k in OfferStatusType.ALL]
    )
    color = StringField("Color", validators=[DataRequired(), Length(max=7)], default="#6b7280")
    active = BooleanField("Active", default=True)


class ApiOptionsForm(FlaskForm):
    responsible_user_id = SelectField("Responsible user", coerce=str, validators=[Optional()])
    sharing_rule = SelectField("Sharing rule", choices=list(SHARING_RULES))
