"""Catalogue writes through the API: products and their plans with a price per price list,
through the same use cases and rules as the BSS catalogue back office
(core.services.catalogue_admin, core.services.plans, core.rules.catalogue), for the roles that
may manage the catalogue there (core.rules.roles.CATALOGUE: admins, catalogue managers).
Retiring a product is ``POST /products/{id}/retire``; bundles, add-ons and promotions stay BSS
pages."""

from __future__ import annotations

from api import schemas
from api.auth import authenticate_request, caller, requires
from api.blueprint import Blueprint
from api.idempotent import idempotent
from api.problems import from_service_error
from api.reads import product_detail
from core.rules import roles
from core.rules.catalogue import PlanInput, ProductInput
from core.services import catalogue_admin, plans
from core.services.errors import ServiceError
from webapp.extensions import db

blp = Blueprint("catalogue", __name__, description="Catalogue: products, plans and their prices")
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


def _product_input(values: dict) -> ProductInput:
    return ProductInput(
        code=values["code"],
        name=values["name"],
        description=values.get("description") or "",
        product_type_id=values["product_type_id"],
        billing_kind=values["billing_kind"],
        published=values["published"],
        unit=values.get("unit") or "",
        trial_days=values.get("trial_days"),
    )


@blp.route("/products", methods=["POST"])
@requires(roles.CATALOGUE)
@idempotent(blp)
@blp.arguments(schemas.ProductInputSchema)
@blp.response(201, schemas.ProductDetailSchema)
def create_product(data):
    """Create a product (without plans: add them with POST /products/{id}/plans)."""
    product = catalogue_admin.save_product(
        db.session, caller().tenant_id, caller().user, _product_input(data)
    )
    return product_detail(product.id)


@blp.route("/products/<int:product_id>", methods=["PATCH"])
@requires(roles.CATALOGUE)
@blp.arguments(schemas.ProductChangesInput)
@blp.response(200, schemas.ProductDetailSchema)
def update_product(data, product_id: int):
    """Edit a product; only the fields sent change."""
    current = catalogue_admin.get_product(db.session, caller().tenant_id, product_id)
    values = {
        "code": current.code,
        "name": current.name,
        "description": current.description,
        "product_type_id": current.product_type_id,
        "billing_kind": current.billing_kind,
        "published": current.published,
        "unit": current.unit,
        "trial_days": current.trial_days,
        **data,
    }
    catalogue_admin.save_product(
        db.session, caller().tenant_id, caller().user, _product_input(values), product_id=product_id
    )
    return product_detail(product_id)


@blp.route("/products/<int:product_id>/retire", methods=["POST"])
@requires(roles.CATALOGUE)
@idempotent(blp)
@blp.response(200, schemas.ProductDetailSchema)
def retire_product(product_id: int):
    """Retire a product: it leaves the Storefront, new orders and offers; the orders, offers
    and subscriptions that use it keep working and keep its name. Retiring a retired product
    changes nothing (a retry answers the same)."""
    catalogue_admin.retire_product(db.session, caller().tenant_id, caller().user, product_id)
    return product_detail(product_id)


def _prices(typed: dict | None) -> dict[int, str]:
    """Price list id -> the price as the BSS form types it ("" : not sold in that list)."""
    return {int(k): "" if v is None else format(v, "f") for k, v in (typed or {}).items()}


def _plan_input(values: dict) -> PlanInput:
    return PlanInput(
        values["name"],
        values["billing_cycle"],
        values["commitment_months"],
        values["min_quantity"],
        values["max_quantity"],
        values.get("trial_days"),
    )


@blp.route("/products/<int:product_id>/plans", methods=["POST"])
@requires(roles.CATALOGUE)
@idempotent(blp)
@blp.arguments(schemas.PlanInputSchema)
@blp.response(201, schemas.ProductDetailSchema)
def create_plan(data, product_id: int):
    """Add a plan to a product, with its price in the price lists given."""
    plans.save_plan(
        db.session,
        caller().tenant_id,
        caller().user,
        product_id,
        _plan_input(data),
        _prices(data.get("prices")),
    )
    db.session.expire_all()
    return product_detail(product_id)


@blp.route("/products/<int:product_id>/plans/<int:plan_id>", methods=["PATCH"])
@requires(roles.CATALOGUE)
@blp.arguments(schemas.PlanChangesInput)
@blp.response(200, schemas.ProductDetailSchema)
def update_plan(data, product_id: int, plan_id: int):
    """Edit a plan and its prices; only the fields (and price lists) sent change; a null
    price takes the plan out of that price list."""
    part = plans.get_part(db.session, caller().tenant_id, plans.Plan, product_id, plan_id)
    plan = part.row
    values = {
        "name": plan.name,
        "billing_cycle": plan.billing_cycle,
        "commitment_months": plan.commitment_months,
        "min_quantity": plan.min_quantity,
        "max_quantity": plan.max_quantity,
        "trial_days": plan.trial_days,
        **data,
    }
    plans.save_plan(
        db.session,
        caller().tenant_id,
        caller().user,
        product_id,
        _plan_input(values),
        _prices(data.get("prices")),
        plan_id=plan_id,
    )
    db.session.expire_all()
    return product_detail(product_id)
