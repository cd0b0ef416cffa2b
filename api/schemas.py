"""What the API reads and answers (marshmallow schemas; the OpenAPI document is built from
them). Strings refuse control characters, numbers their database range, unknown fields are
refused."""

from __future__ import annotations

import re

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core import texts
from core.rules import amounts
from core.rules import catalogue as catalogue_rules

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
    with format "decimal" (registered in api.init_api). Read with the forms' parser
    (core.rules.amounts): a plain decimal number of at most two decimals, nothing else (no
    "1.234" rounded, no "1_0", "١٢", " 5 ", "1e3", NaN or Infinity). A JSON number is read as
    it is written (1700, 1800.25)."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(texts.API_AMOUNT_INVALID)
        try:
            return amounts.parse_amount(value if isinstance(value, str) else repr(value))
        except amounts.AmountInvalid as refused:
            raise ValidationError(
                texts.API_AMOUNT_TOO_LARGE if refused.too_large else texts.API_AMOUNT_INVALID
            ) from None


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
    email = fields.String(allow_none=True, metadata={"description": "as billing_email"})
    billing_email = fields.String(allow_none=True)
    billing_name = fields.String(allow_none=True)
    billing_address = fields.String(allow_none=True)
    timezone = fields.String()
    manager_user_id = fields.Integer(allow_none=True)
    represents_tenant_id = fields.Integer(allow_none=True)
    payment_method = fields.String(required=True)
    credit_limit = Money(allow_none=True)
    reseller_account_id = fields.Integer(allow_none=True)
    price_list_id = fields.Integer(allow_none=True)
    country = fields.String(allow_none=True)
    vat_number = fields.String(allow_none=True)
    tax_exempt = fields.Boolean()
    # False: deactivated; it takes no new order or offer, its existing orders keep working
    active = fields.Boolean(required=True)


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


class ProvisioningSchema(Schema):
    status = fields.String(
        required=True, metadata={"description": "started, active or failed (the latest task)"}
    )
    action = fields.String(required=True)
    reason = fields.String(allow_none=True, required=True)
    updated_at = fields.DateTime(required=True)


class SubscriptionWithProvisioningSchema(SubscriptionDetailSchema):
    provisioning = fields.Nested(
        ProvisioningSchema,
        allow_none=True,
        required=True,
        metadata={"description": "its latest provisioning with the vendor; null: none"},
    )


# --- back-orders (PRODUCT.md section 8) --------------------------------------------------------


class BackorderOriginSchema(Schema):
    reseller = fields.String(allow_none=True, required=True)
    action = fields.String(allow_none=True, required=True)
    billing_to = fields.Nested(AccountRefSchema, allow_none=True, required=True)
    price_list = fields.String(allow_none=True, required=True)
    sharing_rule = fields.String(allow_none=True, required=True)


class BackorderSchema(OrderSchema):
    order_type = fields.String(allow_none=True, required=True)
    sales_rep = fields.String(allow_none=True, required=True)
    contact = fields.String(allow_none=True, required=True)
    campaign = fields.String(allow_none=True, required=True)
    custom_fields = fields.String(allow_none=True, required=True)
    responsible_user_id = fields.Integer(allow_none=True, required=True)
    backorder = fields.Nested(BackorderOriginSchema, required=True)


class BackorderSummarySchema(OrderSummarySchema):
    billing_to = fields.String(allow_none=True, required=True)


class BackorderPageSchema(Schema):
    data = fields.List(fields.Nested(BackorderSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class BackorderListQuery(Input):
    reseller_id = Id(strict=False, metadata={"description": "the tenant reseller billed"})
    account_id = Id(strict=False, metadata={"description": "the end customer"})
    date_from = fields.Date(metadata={"description": "order date from (UTC day)"})
    date_to = fields.Date(metadata={"description": "order date to, included (UTC day)"})
    cursor = Text(200, metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class BackorderChangesInput(Input):
    """Only what the distributor may edit on a back-order (PRODUCT.md section 8); only the
    fields sent change."""

    name = Text(200, allow_none=True)
    order_type = Text(60, allow_none=True)
    payment_method = fields.String(validate=validate.OneOf(["card", "on_account"]))
    sales_rep = Text(120, allow_none=True)
    contact = Text(120, allow_none=True)
    campaign = Text(120, allow_none=True)
    responsible_user_id = Id(allow_none=True)
    custom_fields = Text(5000, allow_none=True)


# --- accounts and catalogue writes ---------------------------------------------------------------


class AccountInputSchema(Input):
    """An account as the BSS account form takes it (core.rules.accounts.check_account)."""

    name = Text(200, required=True)
    kind = fields.String(required=True, metadata={"description": "end_customer, ..."})
    price_list_id = Id(allow_none=True)
    payment_method = fields.String(required=True)
    credit_limit = Money(allow_none=True, metadata={"description": "null: no credit limit"})
    credit_reason = Text(500, metadata={"description": "required when the limit changes"})
    # null clears, as blank does (a GET answers null for a field not set)
    billing_name = Text(200, allow_none=True)
    billing_address = Text(2000, allow_none=True)
    billing_email = Text(254, allow_none=True)
    vat_number = Text(40, allow_none=True)
    country = Text(
        2,
        allow_none=True,
        metadata={"description": "ISO 3166 code where the customer is taxed; blank or null: none"},
    )
    tax_exempt = fields.Boolean(
        metadata={"description": "true: its orders and invoices carry no VAT"}
    )
    timezone = Text(64)
    manager_user_id = Id(allow_none=True)
    represents_tenant_id = Id(allow_none=True)
    reseller_account_id = Id(allow_none=True)


class AccountChangesInput(AccountInputSchema):
    """Only the fields sent change."""

    name = Text(200)
    kind = fields.String()
    payment_method = fields.String()


_UNIT = {"description": 'what a quantity counts, e.g. "per user"; empty: nothing shown'}
_TRIAL = {"description": "free trial in days its plans offer unless they set their own; null: none"}


class ProductInputSchema(Input):
    code = Text(60, required=True)
    name = Text(200, required=True)
    description = Text(5000, load_default="")
    product_type_id = Id(required=True)
    billing_kind = fields.String(
        load_default="recurring", metadata={"description": "recurring, one_off"}
    )
    published = fields.Boolean(load_default=False)
    unit = Text(catalogue_rules.MAX_UNIT, load_default="", metadata=_UNIT)
    trial_days = fields.Integer(allow_none=True, load_default=None, metadata=_TRIAL)


class ProductChangesInput(Input):
    """Only the fields sent change; retiring stays a BSS action."""

    code = Text(60)
    name = Text(200)
    description = Text(5000)
    product_type_id = Id()
    billing_kind = fields.String()
    published = fields.Boolean()
    unit = Text(catalogue_rules.MAX_UNIT, metadata=_UNIT)
    trial_days = fields.Integer(allow_none=True, metadata=_TRIAL)


# the catalogue rules' own bounds, so the API document says what the server takes
_QUANTITY = validate.Range(1, catalogue_rules.MAX_QUANTITY)


class PlanInputSchema(Input):
    name = Text(120, required=True)
    billing_cycle = fields.String(
        required=True, metadata={"description": "monthly, annual, one_off"}
    )
    commitment_months = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(0, catalogue_rules.MAX_COMMITMENT_MONTHS),
    )
    min_quantity = fields.Integer(load_default=1, strict=True, validate=_QUANTITY)
    max_quantity = fields.Integer(required=True, strict=True, validate=_QUANTITY)
    trial_days = fields.Integer(
        allow_none=True,
        load_default=None,
        strict=True,
        validate=validate.Range(0, catalogue_rules.MAX_TRIAL_DAYS),
        metadata={"description": "the plan's free trial; null: the product's, 0: none"},
    )
    prices = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=Money(allow_none=True),
        metadata={
            "description": "price list id -> price in that list; null: not sold in that list. "
            "Lists left out keep their price."
        },
    )


class PlanChangesInput(PlanInputSchema):
    """Only the fields sent change."""

    name = Text(120)
    billing_cycle = fields.String()
    commitment_months = fields.Integer(
        strict=True, validate=validate.Range(0, catalogue_rules.MAX_COMMITMENT_MONTHS)
    )
    min_quantity = fields.Integer(strict=True, validate=_QUANTITY)
    max_quantity = fields.Integer(strict=True, validate=_QUANTITY)
    trial_days = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(0, catalogue_rules.MAX_TRIAL_DAYS)
    )


class PlanDetailSchema(PlanSchema):
    commitment_months = fields.Integer(allow_none=True, required=True)
    trial_days = fields.Integer(
        allow_none=True, required=True, metadata={"description": "null: the product's trial"}
    )
    prices = fields.Dict(
        keys=fields.String(),
        values=Money(),
        required=True,
        metadata={"description": "price list id -> price; a list left out does not sell it"},
    )


class ProductDetailSchema(ProductSchema):
    product_type_id = fields.Integer(allow_none=True, required=True)
    billing_kind = fields.String(required=True)
    published = fields.Boolean(required=True)
    plans = fields.List(fields.Nested(PlanDetailSchema), required=True)


# --- events (webhooks): the envelope around the API's own representation -----------------------


class _Event(Schema):
    timestamp = fields.DateTime(required=True, metadata={"description": "when it happened"})


class OrderEventSchema(_Event):
    type = fields.String(required=True, validate=validate.OneOf(["order.status_changed"]))
    data = fields.Nested(OrderSchema, required=True)


class OfferEventSchema(_Event):
    type = fields.String(required=True, validate=validate.OneOf(["offer.status_changed"]))
    data = fields.Nested(OfferSchema, required=True)


class SubscriptionProvisionedEventSchema(_Event):
    type = fields.String(required=True, validate=validate.OneOf(["subscription.provisioned"]))
    data = fields.Nested(SubscriptionWithProvisioningSchema, required=True)


class SubscriptionFailedEventSchema(_Event):
    type = fields.String(
        required=True, validate=validate.OneOf(["subscription.provisioning_failed"])
    )
    data = fields.Nested(SubscriptionWithProvisioningSchema, required=True)


class BackorderEventSchema(_Event):
    type = fields.String(required=True, validate=validate.OneOf(["backorder.created"]))
    data = fields.Nested(BackorderSchema, required=True)


# event type -> (its envelope, what it says); api.events documents them as OpenAPI webhooks
EVENTS = {
    "order.status_changed": (
        OrderEventSchema,
        "An order's status changed (by hand, by "
        "execution, cancellation, scheduling...): the order as GET /orders/{id} answers it.",
    ),
    "offer.status_changed": (
        OfferEventSchema,
        "An offer's status was changed by hand: the offer as GET /offers/{id} answers it.",
    ),
    "subscription.provisioned": (
        SubscriptionProvisionedEventSchema,
        "The vendor (or a BSS user) "
        "delivered a subscription change: the subscription as GET /subscriptions/{id}.",
    ),
    "subscription.provisioning_failed": (
        SubscriptionFailedEventSchema,
        "A provisioning failed "
        "for good (its reason under provisioning): the subscription as GET /subscriptions/{id}.",
    ),
    "backorder.created": (
        BackorderEventSchema,
        "A tenant reseller's execution created a "
        "back-order in this distributor: the back-order as GET /backorders/{id}.",
    ),
}
