"""Read endpoints of the API: order and offer statuses, accounts, the catalogue (products and
their plans), subscriptions (with history) and offers. Keyset pages follow ``next_cursor``."""

from __future__ import annotations

from api import schemas
from api.auth import authenticate_request, caller, requires
from api.blueprint import Blueprint
from api.problems import from_service_error
from core.rules import roles
from core.services import api_reads, offers, plans, representations, statuses
from core.services.errors import ServiceError
from webapp.extensions import db

blp = Blueprint(
    "reference-data",
    __name__,
    description="Statuses, accounts, catalogue, subscriptions and offers (read)",
)
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


def _status(row, mandatory: bool) -> dict:
    return {
        "id": row.id,
        "number": row.number,
        "description": row.description,
        "type": row.type,
        "storefront_type": getattr(row, "storefront_type", "") or "",
        "color": row.color,
        "active": row.active,
        "mandatory": mandatory,
    }


@blp.route("/order-statuses")
@requires(roles.ORDERS)
@blp.response(200, schemas.StatusSchema(many=True))
def order_statuses():
    """The tenant's order statuses (Setup > Order Status), deleted ones left out."""
    rows = statuses.order_statuses(db.session, caller().tenant_id)
    return [_status(s, s.mandatory_key is not None) for s in rows if s.deleted_at is None]


@blp.route("/offer-statuses")
@requires(roles.ORDERS)
@blp.response(200, schemas.StatusSchema(many=True))
def offer_statuses():
    """The tenant's offer statuses (Setup > Offer Status), deleted ones left out."""
    rows = statuses.offer_statuses(db.session, caller().tenant_id)
    return [_status(s, s.default_key is not None) for s in rows if s.deleted_at is None]


def account_representation(a) -> dict:
    return {
        "id": a.id,
        "name": a.name,
        "kind": a.kind,
        "email": a.email,
        # what the account writes take, read back under the same names
        "billing_email": a.email,
        "billing_name": a.billing_name,
        "billing_address": a.billing_address,
        "timezone": a.timezone,
        "manager_user_id": a.manager_user_id,
        "represents_tenant_id": a.represents_tenant_id,
        "payment_method": a.payment_method,
        "credit_limit": a.credit_limit,
        "reseller_account_id": a.reseller_account_id,
        "price_list_id": a.price_list_id,
        "country": a.country,
        "vat_number": a.vat_number,
        "tax_exempt": bool(a.tax_exempt),
        "active": bool(a.active),
    }


@blp.route("/accounts")
@requires(roles.ACCOUNTS_VIEW)
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.AccountPageSchema)
def list_accounts(limit, cursor=None):
    """The tenant's accounts, newest first."""
    page = api_reads.accounts(db.session, caller().tenant_id, cursor, limit)
    return {"data": [account_representation(a) for a in page.rows], "next_cursor": page.next_cursor}


@blp.route("/accounts/<int:account_id>")
@requires(roles.ACCOUNTS_VIEW)
@blp.response(200, schemas.AccountSchema)
def get_account(account_id: int):
    """An account: kind, payment method, credit limit, price list, reseller."""
    return account_representation(api_reads.account(db.session, caller().tenant_id, account_id))


def _product(row: api_reads.ProductRow) -> dict:
    p = row.product
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "description": p.description,
        "unit": p.unit,
        "is_bundle": p.is_bundle,
        "active": p.active,
        "trial_days": p.trial_days,
        "execution_type": row.execution_type,
        "plans": [
            {
                "id": plan.id,
                "name": plan.name,
                "billing_cycle": plan.billing_cycle,
                "min_quantity": plan.min_quantity,
                "max_quantity": plan.max_quantity,
            }
            for plan in p.plans
        ],
    }


@blp.route("/products")
@requires(roles.ORDERS, roles.CATALOGUE)
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.ProductPageSchema)
def list_products(limit, cursor=None):
    """The catalogue: products with their plans and execution type, newest first."""
    page = api_reads.products(db.session, caller().tenant_id, cursor, limit)
    return {"data": [_product(r) for r in page.rows], "next_cursor": page.next_cursor}


@blp.route("/products/<int:product_id>")
@requires(roles.ORDERS, roles.CATALOGUE)
@blp.response(200, schemas.ProductDetailSchema)
def get_product(product_id: int):
    """A product with its plans and each plan's price in every price list."""
    return product_detail(product_id)


def product_detail(product_id: int) -> dict:
    tenant_id = caller().tenant_id
    row = api_reads.product(db.session, tenant_id, product_id)
    parts = plans.product_parts(db.session, tenant_id, product_id)
    prices = {part.row.id: part.prices for part in parts.plans}
    product = row.product
    summary = _product(row)
    by_id = {p.id: p for p in product.plans}
    return {
        **summary,
        "product_type_id": product.product_type_id,
        "billing_kind": product.billing_kind,
        "published": product.published,
        "plans": [
            {
                **plan,
                "commitment_months": by_id[plan["id"]].commitment_months,
                "trial_days": by_id[plan["id"]].trial_days,
                "prices": {str(k): v for k, v in prices.get(plan["id"], {}).items()},
            }
            for plan in summary["plans"]
        ],
    }


@blp.route("/subscriptions")
@requires(roles.ORDERS)
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.SubscriptionPageSchema)
def list_subscriptions(limit, cursor=None):
    """The tenant's subscriptions, newest first."""
    page = api_reads.subscriptions(db.session, caller().tenant_id, cursor, limit)
    return {
        "data": [representations.subscription_summary(r) for r in page.rows],
        "next_cursor": page.next_cursor,
    }


@blp.route("/subscriptions/<int:subscription_id>")
@requires(roles.ORDERS)
@blp.response(200, schemas.SubscriptionWithProvisioningSchema)
def get_subscription(subscription_id: int):
    """A subscription with its history (quantity changes, upgrades, add-ons...) and its latest
    provisioning with the vendor."""
    return representations.subscription_by_id(db.session, caller().tenant_id, subscription_id)


def offer_representation(o) -> dict:
    """The offer as the API (and its events: core.services.representations) show it."""
    return representations.offer(o)


@blp.route("/offers")
@requires(roles.ORDERS)
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.OfferPageSchema)
def list_offers(limit, cursor=None):
    """The tenant's offers with their items, newest first."""
    page = api_reads.offers(db.session, caller().tenant_id, cursor, limit)
    return {"data": [offer_representation(o) for o in page.rows], "next_cursor": page.next_cursor}


@blp.route("/offers/<int:offer_id>")
@requires(roles.ORDERS)
@blp.response(200, schemas.OfferSchema)
def get_offer(offer_id: int):
    """An offer with its status, validity and items."""
    return offer_representation(offers.get_offer(db.session, caller().tenant_id, offer_id))
