"""Read endpoints of the API: order and offer statuses, accounts, the catalogue (products and
their plans), subscriptions (with history) and offers. Keyset pages follow ``next_cursor``."""

from __future__ import annotations

from flask_smorest import Blueprint

from api import schemas
from api.auth import authenticate_request, caller
from api.problems import from_service_error
from core.services import api_reads, offers, statuses
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
@blp.response(200, schemas.StatusSchema(many=True))
def order_statuses():
    """The tenant's order statuses (Setup > Order Status), deleted ones left out."""
    rows = statuses.order_statuses(db.session, caller().tenant_id)
    return [_status(s, s.mandatory_key is not None) for s in rows if s.deleted_at is None]


@blp.route("/offer-statuses")
@blp.response(200, schemas.StatusSchema(many=True))
def offer_statuses():
    """The tenant's offer statuses (Setup > Offer Status), deleted ones left out."""
    rows = statuses.offer_statuses(db.session, caller().tenant_id)
    return [_status(s, s.default_key is not None) for s in rows if s.deleted_at is None]


def _account(a) -> dict:
    return {
        "id": a.id,
        "name": a.name,
        "kind": a.kind,
        "email": a.email,
        "payment_method": a.payment_method,
        "credit_limit": a.credit_limit,
        "reseller_account_id": a.reseller_account_id,
        "price_list_id": a.price_list_id,
    }


@blp.route("/accounts")
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.AccountPageSchema)
def list_accounts(limit, cursor=None):
    """The tenant's accounts, newest first."""
    page = api_reads.accounts(db.session, caller().tenant_id, cursor, limit)
    return {"data": [_account(a) for a in page.rows], "next_cursor": page.next_cursor}


@blp.route("/accounts/<int:account_id>")
@blp.response(200, schemas.AccountSchema)
def get_account(account_id: int):
    return _account(api_reads.account(db.session, caller().tenant_id, account_id))


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
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.ProductPageSchema)
def list_products(limit, cursor=None):
    """The catalogue: products with their plans and execution type, newest first."""
    page = api_reads.products(db.session, caller().tenant_id, cursor, limit)
    return {"data": [_product(r) for r in page.rows], "next_cursor": page.next_cursor}


@blp.route("/products/<int:product_id>")
@blp.response(200, schemas.ProductSchema)
def get_product(product_id: int):
    return _product(api_reads.product(db.session, caller().tenant_id, product_id))


def _subscription(row: api_reads.SubscriptionRow) -> dict:
    s = row.subscription
    return {
        "id": s.id,
        "account_id": s.account_id,
        "account_name": row.account_name,
        "product": row.product_name,
        "plan": row.plan_name,
        "quantity": s.quantity,
        "status": s.status,
        "is_trial": s.is_trial,
        "start_date": s.start_date,
        "order_id": s.order_id,
    }


@blp.route("/subscriptions")
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.SubscriptionPageSchema)
def list_subscriptions(limit, cursor=None):
    """The tenant's subscriptions, newest first."""
    page = api_reads.subscriptions(db.session, caller().tenant_id, cursor, limit)
    return {"data": [_subscription(r) for r in page.rows], "next_cursor": page.next_cursor}


@blp.route("/subscriptions/<int:subscription_id>")
@blp.response(200, schemas.SubscriptionDetailSchema)
def get_subscription(subscription_id: int):
    """A subscription with its history (quantity changes, upgrades, add-ons...)."""
    row, history = api_reads.subscription(db.session, caller().tenant_id, subscription_id)
    return {
        **_subscription(row),
        "history": [
            {
                "at": h.at,
                "change": h.change,
                "detail": h.detail,
                "from_quantity": h.from_quantity,
                "to_quantity": h.to_quantity,
                "order_id": h.order_id,
            }
            for h in history
        ],
    }


def offer_representation(o) -> dict:
    """The offer as the API shows it."""
    return {
        "id": o.id,
        "number": o.number,
        "name": o.name,
        "account_id": o.account_id,
        "status": {"id": o.status.id, "description": o.status.description, "type": o.status.type},
        "valid_until": o.valid_until,
        "converted_order_id": o.converted_order_id,
        "created_at": o.created_at,
        "items": [
            {
                "id": i.id,
                "product_id": i.product_id,
                "plan_id": i.plan_id,
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
            }
            for i in o.items
        ],
    }


@blp.route("/offers")
@blp.arguments(schemas.PageQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.OfferPageSchema)
def list_offers(limit, cursor=None):
    """The tenant's offers with their items, newest first."""
    page = api_reads.offers(db.session, caller().tenant_id, cursor, limit)
    return {"data": [offer_representation(o) for o in page.rows], "next_cursor": page.next_cursor}


@blp.route("/offers/<int:offer_id>")
@blp.response(200, schemas.OfferSchema)
def get_offer(offer_id: int):
    return offer_representation(offers.get_offer(db.session, caller().tenant_id, offer_id))
