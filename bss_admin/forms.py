"""WTForms for the BSS: they parse and check shapes; business rules live in core."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core import texts
from core.rules.statuses import OfferStatusType, OrderStatusType, StorefrontType, choosable_types
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
    """One row of the Order Status table. Its Type picker offers only the Types the row may
    have (:func:`choosable_types`: never Scheduled or Executing, unless the row already has it);
    a crafted Type is left to the status table rule, which says why it is refused."""

    number = IntegerField("No.", validators=[InputRequired(), NumberRange(min=1, max=9999)])
    description = StringField("Description", validators=[DataRequired(), Length(max=120)])
    type = SelectField("Type", choices=[], validate_choice=False)
    storefront_type = SelectField(
        "Storefront Type",
        choices=[(k, StorefrontType.LABELS[k]) for k in StorefrontType.ALL],
    )
    color = StringField("Color", validators=[DataRequired(), Length(max=7)], default="#6b7280")
    active = BooleanField("Active", default=True)

    def __init__(self, *args, current_type: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        obj = kwargs.get("obj")
        if current_type is None and obj is not None:
            current_type = obj.type
        self.type.choices = [(k, OrderStatusType.LABELS[k]) for k in choosable_types(current_type)]


class NewOrderStatusForm(OrderStatusForm):
    """The table's last row: a new status is never of Type Scheduled or Executing."""


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
