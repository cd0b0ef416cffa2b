"""Prices from a price list, and active promotions (PRODUCT.md section 3)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session, with_expression

from core.models import AddOnPrice, Plan, PlanPrice
from core.rules import pricing as pricing_rules

# Statements the pages run on every request are built once (building a statement costs about
# as much as running a small query); the values are bound parameters.
_PLAN_PRICES = select(PlanPrice.plan_id, PlanPrice.price).where(
    PlanPrice.price_list_id == bindparam("price_list_id"),
    PlanPrice.plan_id.in_(bindparam("ids", expanding=True)),
)
_ADDON_PRICES = select(AddOnPrice.addon_id, AddOnPrice.price).where(
    AddOnPrice.price_list_id == bindparam("price_list_id"),
    AddOnPrice.addon_id.in_(bindparam("ids", expanding=True)),
)


# the plan's price in the price list given as the parameter ``price_list_id``; the parameter
# is optional (NULL) because an object refreshed after a rollback is reloaded with the options
# it was loaded with, without the query's parameters: read list_price right after the query
_LIST_PRICE = (
    select(PlanPrice.price)
    .where(
        PlanPrice.plan_id == Plan.id,
        PlanPrice.price_list_id == bindparam("price_list_id", None, type_=Integer),
    )
    .scalar_subquery()
)
# Loader option: the plans a query loads come with ``Plan.list_price``, their price in the
# price list (None: no price list, or no price in it), so the prices cost no query of their
# own. The query needs ``populate_existing`` (a plan already in the session keeps no
# expression). Built once, with the statements that use it (issue 19).
WITH_LIST_PRICE = with_expression(Plan.list_price, _LIST_PRICE)


def list_prices(plans) -> dict[int, Decimal]:
    """Plan id -> price, for plans loaded with :data:`WITH_LIST_PRICE` (those without a price are
    left out, as :func:`plan_prices` leaves them)."""
    return {plan.id: plan.list_price for plan in plans if plan.list_price is not None}


def plan_prices(session: Session, price_list_id: int | None, plan_ids) -> dict[int, Decimal]:
    """Plan id -> price in the price list, for many plans in one query."""
    plan_ids = list(plan_ids)
    if price_list_id is None or not plan_ids:
        return {}
    rows = session.execute(_PLAN_PRICES, {"price_list_id": price_list_id, "ids": plan_ids})
    return {plan_id: price for plan_id, price in rows}


def addon_prices(session: Session, price_list_id: int | None, addon_ids) -> dict[int, Decimal]:
    addon_ids = list(addon_ids)
    if price_list_id is None or not addon_ids:
        return {}
    rows = session.execute(_ADDON_PRICES, {"price_list_id": price_list_id, "ids": addon_ids})
    return {addon_id: price for addon_id, price in rows}


def price_unit_of(item) -> tuple[str | None, str]:
    """(billing cycle, product unit) of an order item or an invoice line: an item's cycle is its
    plan's; an add-on follows the item it belongs to. Reads relationships the pages load with
    the items, so it runs no query. A line a billing run wrote (no order item), and an add-on
    for a subscription already held, follow the subscription: its cycle, its product's unit
    (read only for those lines)."""
    if hasattr(item, "order_item"):  # an invoice line
        if item.order_item is None:
            return _subscription_unit(item)
        item = item.order_item
    plan = getattr(item, "plan", None)
    if plan is None and getattr(item, "parent_item_id", None) is not None:
        parent = item.parent_item
        plan = parent.plan if parent is not None else None
    product = getattr(item, "product", None)
    unit = getattr(product, "unit", "") or ""
    if plan is None and getattr(item, "subscription_id", None) is not None:
        return _subscription_unit(item)[0], unit
    return (plan.billing_cycle if plan else None), unit


def _subscription_unit(item) -> tuple[str | None, str]:
    sub = item.subscription if getattr(item, "subscription_id", None) is not None else None
    if sub is None:
        return None, ""
    return sub.billing_cycle, (sub.product.unit or "") if sub.product is not None else ""


def order_totals(items: Iterable) -> pricing_rules.Totals:
    """An order's (or a sub-order's) items -> its totals per month, per year and one-off (a
    prorated increase of a subscription, issue 17, is charged once: with the one-off)."""
    return pricing_rules.split_totals(
        (None, item.charge_now)
        if getattr(item, "charge_now", None) is not None
        else (
            price_unit_of(item)[0],
            pricing_rules.line_amount(item.unit_price, item.quantity, item.discount_percent),
        )
        for item in items
    )


def invoice_totals(lines: Iterable) -> pricing_rules.Totals:
    return pricing_rules.split_totals((price_unit_of(line)[0], line.amount) for line in lines)
