"""What the API reads and answers (marshmallow schemas; the OpenAPI document is built from
them). Strings refuse control characters, numbers their database range, unknown fields are
refused."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core import texts

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_ID = 2**31 - 1


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError(texts.INPUT_NOT_ALLOWED)


def Text(max_length: int, **kwargs) -> fields.String:  # noqa: N802  (a field factory)
    return fields.String(
        validate=[validate.Length(max=max_length), _no_control_characters], **kwargs
    )


def Id(strict: bool = True, **kwargs) -> fields.Integer:  # noqa: N802
    """A row id: JSON bodies take numbers only (strict); query strings are text."""
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


class Money(fields.Decimal):
    """An amount as a decimal string ("600.00"): exact, never a float. Documented as a string
    with format "decimal" (registered in api.init_api)."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)


class Input(Schema):
    class Meta:
        unknown = RAISE


# --- problems ---------------------------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "stable URI of this error"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "messages per field"},
    )


# --- statuses, accounts, catalogue --------------------------------------------------------------


class StatusSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    description = fields.String(required=True)
    type = fields.String(required=True)
    storefront_type = fields.String(required=True)
    color = fields.String(required=True)
    active = fields.Boolean(required=True)
    mandatory = fields.Boolean(required=True)


class AccountSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    email = fields.String(allow_none=True)
    payment_method = fields.String(required=True)
    credit_limit = Money(allow_none=True)
    reseller_account_id = fields.Integer(allow_none=True)
    price_list_id = fields.Integer(allow_none=True)


class AccountPageSchema(Schema):
    data = fields.List(fields.Nested(AccountSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PlanSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    billing_cycle = fields.String(required=True)
    min_quantity = fields.Integer(required=True)
    max_quantity = fields.Integer(required=True)


class ProductSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    unit = fields.String(required=True)
    is_bundle = fields.Boolean(required=True)
    active = fields.Boolean(required=True)
    trial_days = fields.Integer(allow_none=True)
    execution_type = fields.String(required=True)
    plans = fields.List(fields.Nested(PlanSchema), required=True)


class ProductPageSchema(Schema):
    data = fields.List(fields.Nested(ProductSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class PageQuery(Input):
    cursor = Text(200, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


# --- orders ---------------------------------------------------------------------------------------


class OrderStatusRefSchema(Schema):
    id = fields.Integer(required=True)
    description = fields.String(required=True)
    type = fields.String(required=True)


class OrderSummarySchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    account_name = fields.String(required=True)
    status = fields.Nested(OrderStatusRefSchema, required=True)
    execution_type = fields.String(required=True)
    order_date = fields.DateTime(required=True)
    total = Money(required=True)
    currency = fields.String(required=True)
    is_sub_order = fields.Boolean(required=True)


class OrderPageSchema(Schema):
    data = fields.List(fields.Nested(OrderSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class OrderListQuery(Input):
    status_id = Id(strict=False)
    account_id = Id(strict=False)
    date_from = fields.Date(metadata={"description": "order date from (UTC day)"})
    date_to = fields.Date(metadata={"description": "order date to, included (UTC day)"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))
    cursor = Text(200, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class OrderItemSchema(Schema):
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    plan_id = fields.Integer(allow_none=True, required=True)
    description = fields.String(required=True)
    execution_type = fields.String(required=True)
    quantity = fields.Integer(required=True)
    executed_quantity = fields.Integer(required=True)
    remaining_quantity = fields.Integer(required=True)
    unit_price = Money(required=True)
    discount_percent = Money(allow_none=True, required=True)


class HoldSchema(Schema):
    id = fields.Integer(required=True)
    reason = fields.String(required=True)
    detail = fields.String(allow_none=True, required=True)
    placed_at = fields.DateTime(required=True)


class HistorySchema(Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    kind = fields.String(required=True)
    from_status = fields.String(allow_none=True, required=True)
    to_status = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)


class OrderRefSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)


class AccountRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class OrderSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    account = fields.Nested(AccountRefSchema, required=True)
    status = fields.Nested(OrderStatusRefSchema, required=True)
    source = fields.String(required=True)
    execution_type = fields.String(required=True)
    payment_method = fields.String(required=True)
    currency = fields.String(required=True)
    total = Money(required=True)
    order_date = fields.DateTime(required=True)
    executed_at = fields.DateTime(allow_none=True, required=True)
    parent_order = fields.Nested(OrderRefSchema, allow_none=True, required=True)
    items = fields.List(fields.Nested(OrderItemSchema), required=True)
    holds = fields.List(fields.Nested(HoldSchema), required=True)
    sub_orders = fields.List(fields.Nested(OrderRefSchema), required=True)
    history = fields.List(fields.Nested(HistorySchema), required=True)
    allowed_actions = fields.List(fields.String(), required=True)


class ExecutionSchema(Schema):
    order = fields.Nested(OrderSchema, required=True)
    sub_order = fields.Nested(OrderRefSchema, allow_none=True, required=True)
    fully_executed = fields.Boolean(required=True)


class NewOrderInput(Input):
    account_id = Id(required=True)
    status_id = Id(metadata={"description": "an In progress status; Submitted if left out"})
    name = Text(200, allow_none=True)


class NewItemInput(Input):
    product_id = Id(required=True)
    plan_id = Id(metadata={"description": "required when the product has several plans"})
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))


class QuantityInput(Input):
    item_id = Id(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))


class UpdateItemsInput(Input):
    items = fields.List(
        fields.Nested(QuantityInput), required=True, validate=validate.Length(1, 500)
    )


class ExecuteInput(Input):
    items = fields.List(
        fields.Nested(QuantityInput),
        validate=validate.Length(1, 500),
        metadata={"description": "quantities to execute now; everything left when left out"},
    )


class StatusInput(Input):
    status_id = Id(required=True)


# --- subscriptions ----------------------------------------------------------------------------


class SubscriptionSchema(Schema):
    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    account_name = fields.String(required=True)
    product = fields.String(required=True)
    plan = fields.String(allow_none=True, required=True)
    quantity = fields.Integer(required=True)
    status = fields.String(required=True)
    is_trial = fields.Boolean(required=True)
    start_date = fields.Date(required=True)
    order_id = fields.Integer(allow_none=True, required=True)


class SubscriptionPageSchema(Schema):
    data = fields.List(fields.Nested(SubscriptionSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SubscriptionHistorySchema(Schema):
    at = fields.DateTime(required=True)
    change = fields.String(required=True)
    detail = fields.String(allow_none=True, required=True)
    from_quantity = fields.Integer(allow_none=True, required=True)
    to_quantity = fields.Integer(allow_none=True, required=True)
    order_id = fields.Integer(allow_none=True, required=True)


class SubscriptionDetailSchema(SubscriptionSchema):
    history = fields.List(fields.Nested(SubscriptionHistorySchema), required=True)


# --- offers -----------------------------------------------------------------------------------


class OfferItemSchema(Schema):
    id = fields.Integer(required=True)
    product_id = fields.Integer(required=True)
    plan_id = fields.Integer(allow_none=True, required=True)
    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit_price = Money(required=True)


class OfferSchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    account_id = fields.Integer(required=True)
    status = fields.Nested(OrderStatusRefSchema, required=True)
    valid_until = fields.Date(allow_none=True, required=True)
    converted_order_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    items = fields.List(fields.Nested(OfferItemSchema), required=True)


class OfferPageSchema(Schema):
    data = fields.List(fields.Nested(OfferSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class NewOfferInput(Input):
    account_id = Id(required=True)
    name = Text(200, allow_none=True)
    status_id = Id(metadata={"description": "an offer status; In Progress if left out"})
    valid_until = fields.Date(allow_none=True)


class OfferChangesInput(Input):
    """Only the fields sent change; the status changes by hand (In Progress -> Accepted ...)."""

    name = Text(200, allow_none=True)
    status_id = Id()
    valid_until = fields.Date(allow_none=True)


class NewOfferItemInput(Input):
    plan_id = Id(required=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))
    unit_price = Money(
        allow_none=True, metadata={"description": "offered price; the price list's if left out"}
    )


class OfferItemChangesInput(Input):
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(1, MAX_ID))
    unit_price = Money(required=True)
