"""Prices from a price list, and active promotions (PRODUCT.md section 3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from core.models import AddOnPrice, Plan, PlanPrice, Promotion

# Statements the pages run on every request are built once (building a statement costs about
# as much as running a small query); the values are bound parameters.
_PLAN_PRICES = select(PlanPrice.plan_id, PlanPrice.price).where(
    PlanPrice.price_list_id == bindparam("price_list_id"),
    PlanPrice.plan_id.in_(bindparam("ids", expanding=True)),
)
_LOWEST_PRICES = (
    select(Plan.product_id, func.min(PlanPrice.price))
    .join(PlanPrice, PlanPrice.plan_id == Plan.id)
    .where(
        PlanPrice.price_list_id == bindparam("price_list_id"),
        Plan.product_id.in_(bindparam("ids", expanding=True)),
    )
    .group_by(Plan.product_id)
)
_ADDON_PRICES = select(AddOnPrice.addon_id, AddOnPrice.price).where(
    AddOnPrice.price_list_id == bindparam("price_list_id"),
    AddOnPrice.addon_id.in_(bindparam("ids", expanding=True)),
)


def plan_prices(session: Session, price_list_id: int | None, plan_ids) -> dict[int, Decimal]:
    """Plan id -> price in the price list, for many plans in one query."""
    plan_ids = list(plan_ids)
    if price_list_id is None or not plan_ids:
        return {}
    rows = session.execute(_PLAN_PRICES, {"price_list_id": price_list_id, "ids": plan_ids})
    return {plan_id: price for plan_id, price in rows}


def lowest_plan_prices(
    session: Session, price_list_id: int | None, product_ids
) -> dict[int, Decimal]:
    """Product id -> its lowest plan price in the price list ("from ..."), in one query."""
    product_ids = list(product_ids)
    if price_list_id is None or not product_ids:
        return {}
    rows = session.execute(_LOWEST_PRICES, {"price_list_id": price_list_id, "ids": product_ids})
    return {product_id: price for product_id, price in rows}


def addon_prices(session: Session, price_list_id: int | None, addon_ids) -> dict[int, Decimal]:
    addon_ids = list(addon_ids)
    if price_list_id is None or not addon_ids:
        return {}
    rows = session.execute(_ADDON_PRICES, {"price_list_id": price_list_id, "ids": addon_ids})
    return {addon_id: price for addon_id, price in rows}


def active_promotion(
    session: Session, tenant_id: int, product_id: int, on: date
) -> Promotion | None:
    """The best active promotion of the tenant for the product on that day."""
    return session.scalar(
        select(Promotion)
        .where(
            Promotion.tenant_id == tenant_id,
            Promotion.product_id == product_id,
            Promotion.active.is_(True),
            Promotion.starts_on <= on,
            Promotion.ends_on >= on,
        )
        .order_by(Promotion.percent_off.desc(), Promotion.id)
        .limit(1)
    )
