"""The basket (PRODUCT.md 5.2-5.4): add, change quantity, remove; one execution type per basket
(rule 4.2); prices from the customer's price list; a fixed number of queries per load."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Integer, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import ExecutionType, ItemKind
from core.models import (
    Account,
    AddOn,
    AddOnPrice,
    Basket,
    BasketItem,
    Plan,
    PlanPrice,
    Product,
    ProductType,
    Promotion,
    Subscription,
    SubscriptionAddOn,
    User,
)
from core.rules import basket as rules
from core.rules import credit as credit_rules
from core.rules import pricing as pricing_rules
from core.rules.basket import MixedExecutionTypes, QuantityInvalid
from core.rules.catalogue import change_refusal, line_on_sale, sold_on_storefront, trial_days_for
from core.rules.promotions import PromotionTerms
from core.services import billing, catalogue, pricing, subscription_changes
from core.services import promotions as promotion_service
from core.services.errors import Conflict, NotFound, ValidationFailed

CENT = Decimal("0.01")
__all__ = [
    "MixedExecutionTypes",
    "BasketView",
    "Added",
    "load_basket",
    "add_product",
    "basket_count",
]


@dataclass(frozen=True, slots=True)
class BasketItemRow:
    """A basket line's own columns, read as a plain row (issue 19: no ORM object on the basket
    page or in an add); what the page, the checkout and the counter read of a line."""

    id: int
    kind: str
    product_id: int
    plan_id: int | None
    addon_id: int | None
    subscription_id: int | None
    target_product_id: int | None
    parent_item_id: int | None
    quantity: int
    trial: bool


@dataclass
class BasketLine:
    item: BasketItemRow
    description: str
    unit_price: Decimal
    amount: Decimal
    execution_type: str
    min_quantity: int = 1
    max_quantity: int = 1
    quantity_fixed: bool = False
    discount_percent: Decimal | None = None
    children: list[BasketLine] = field(default_factory=list)
    billing_cycle: str | None = None  # the plan's (an add-on's: its item's plan's)
    unit: str = ""  # the product's unit: the price reads "per user / month"
    # its product was retired or unpublished since it was added: it cannot be checked out
    unavailable: bool = False
    # billing changes (issue 17): an increase of a subscription bills its prorated rest of the
    # period now (``amount``), then the new price from the next period
    charge: subscription_changes.NowCharge | None = None

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL


@dataclass
class CreditState:
    limit: Decimal | None
    balance: Decimal
    available: Decimal | None
    excess: Decimal


@dataclass
class BasketView:
    lines: list[BasketLine]
    count: int
    total: Decimal
    execution_type: str | None
    credit: CreditState
    totals: pricing_rules.Totals | None = None  # per month, per year, one-off (issue 13)
    credit_ribbon: credit_rules.CreditRibbon | None = None
    # lines (add-ons included) of each delivery method; both only in a mixed basket
    lines_by_type: dict[str, int] = field(default_factory=dict)

    @property
    def mixed(self) -> bool:
        return rules.is_mixed(self.lines_by_type)

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL

    @property
    def empty(self) -> bool:
        return not self.lines

    def all_lines(self) -> list[BasketLine]:
        return [x for line in self.lines for x in (line, *line.children)]

    @property
    def unavailable(self) -> bool:
        """Some line's product is no longer sold: the basket cannot be checked out."""
        return any(line.unavailable for line in self.all_lines())


def basket_count(session: Session, user_id: int) -> int:
    """Number of lines in the user's basket (the header counter), in one query."""
    return (
        session.scalar(
            select(func.count(BasketItem.id))
            .join(Basket, Basket.id == BasketItem.basket_id)
            .where(Basket.user_id == user_id)
        )
        or 0
    )


# plain tables: the basket's statements are Core statements whose rows are read as tuples
# (issue 19, fourth pass: the ORM's joined load of six entities was most of the page's time)
_basket = Basket.__table__
_item = BasketItem.__table__
_product = Product.__table__
_type = ProductType.__table__
_plan = Plan.__table__
_plan_price = PlanPrice.__table__
_addon = AddOn.__table__
_addon_price = AddOnPrice.__table__
_promotion = Promotion.__table__


_in_price_list = catalogue.in_price_list


_ITEM_COLUMNS = (
    _item.c.id,
    _item.c.kind,
    _item.c.product_id,
    _item.c.plan_id,
    _item.c.addon_id,
    _item.c.subscription_id,
    _item.c.target_product_id,
    _item.c.parent_item_id,
    _item.c.quantity,
    _item.c.trial,
)
_N_ITEM = len(_ITEM_COLUMNS)


@dataclass(frozen=True, slots=True)
class _ProductOfLine:
    id: int
    name: str
    unit: str
    active: bool
    published: bool
    is_bundle: bool
    non_automatic_execution: bool


@dataclass(frozen=True, slots=True)
class _PlanOfLine:
    id: int
    name: str
    billing_cycle: str
    min_quantity: int
    max_quantity: int


@dataclass(frozen=True, slots=True)
class _AddOnOfLine:
    id: int
    name: str
    min_quantity: int
    max_quantity: int


# the basket's lines with their product (its type, its promotions around the day: the rule
# decides which applies), plan and add-on, with their prices in the price list
# ``price_list_id``: one statement, built once; a line comes once per promotion of its product
# (a product has few at a time)
_BASKET_LINES = (
    select(
        *_ITEM_COLUMNS,
        _product.c.name,
        _product.c.unit,
        _product.c.active,
        _product.c.published,
        _product.c.is_bundle,
        _type.c.non_automatic_execution,
        _plan.c.name,
        _plan.c.billing_cycle,
        _plan.c.min_quantity,
        _plan.c.max_quantity,
        _plan_price.c.price,
        _addon.c.name,
        _addon.c.min_quantity,
        _addon.c.max_quantity,
        _addon_price.c.price,
        *catalogue.PROMOTION_COLUMNS,
    )
    .select_from(_basket)
    .join(_item, _item.c.basket_id == _basket.c.id)
    .join(_product, _product.c.id == _item.c.product_id)
    .join(_type, _type.c.id == _product.c.product_type_id)
    .outerjoin(_plan, _plan.c.id == _item.c.plan_id)
    .outerjoin(_plan_price, _in_price_list(_plan_price, "plan_id", _plan))
    .outerjoin(_addon, _addon.c.id == _item.c.addon_id)
    .outerjoin(_addon_price, _in_price_list(_addon_price, "addon_id", _addon))
    .outerjoin(_promotion, catalogue.active_promotions_of(_product))
    .where(_basket.c.tenant_id == bindparam("tenant_id"), _basket.c.user_id == bindparam("user_id"))
    .order_by(_item.c.id, _promotion.c.id)
)


@dataclass(slots=True)
class _LineRow:
    """One basket line as read by :data:`_BASKET_LINES`."""

    item: BasketItemRow
    product: _ProductOfLine
    plan: _PlanOfLine | None
    addon: _AddOnOfLine | None
    plan_price: Decimal | None
    addon_price: Decimal | None


def _basket_lines(
    session: Session, tenant_id: int, user_id: int, price_list_id: int | None, today: date
) -> tuple[list[_LineRow], dict[int, list[PromotionTerms]]]:
    """The lines of the user's basket, and product id -> its promotions around ``today``."""
    params = {
        "tenant_id": tenant_id,
        "user_id": user_id,
        "price_list_id": price_list_id,
        **catalogue.promotion_window(today),
    }
    lines: list[_LineRow] = []
    promos: dict[int, dict[int, PromotionTerms]] = {}
    last_id = None
    # on the session's connection: a Core statement needs none of the ORM's execution
    for row in session.connection().execute(_BASKET_LINES, params):
        if row[0] != last_id:
            last_id = row[0]
            n = _N_ITEM
            item = BasketItemRow(*row[:n])
            lines.append(
                _LineRow(
                    item,
                    _ProductOfLine(item.product_id, *row[n : n + 6]),
                    _PlanOfLine(item.plan_id, *row[n + 6 : n + 10]) if item.plan_id else None,
                    _AddOnOfLine(item.addon_id, *row[n + 11 : n + 14]) if item.addon_id else None,
                    row[n + 10],
                    row[n + 14],
                )
            )
        promo = row[_N_ITEM + 15 :]
        if promo[0] is not None:
            promos.setdefault(row[2], {})[promo[0]] = catalogue.promotion_terms(row[2], promo)
    return lines, {pid: list(terms.values()) for pid, terms in promos.items()}


_amount = pricing_rules.line_amount


def credit_state(
    session: Session, tenant_id: int, account: Account, total: Decimal, exclude_order_id=None
) -> CreditState:
    balance = (
        billing.open_balance(session, tenant_id, account.id, exclude_order_id)
        if account.credit_limit is not None
        else Decimal("0.00")
    )
    return CreditState(
        limit=account.credit_limit,
        balance=balance,
        available=credit_rules.available_credit(account.credit_limit, balance),
        excess=credit_rules.credit_excess(account.credit_limit, balance, total),
    )


def load_basket(
    session: Session,
    tenant_id: int,
    user: User,
    account: Account,
    now: datetime | None = None,
    *,
    today: date | None = None,
) -> BasketView:
    """Everything the basket and checkout pages show, in a fixed number of queries: one for a
    basket of new products (one more for bundles' components, for subscriptions' changes, for
    upgrades' targets, for a credit limit's open balance).
    ``today``: the tenant's day (promotions); read from the tenant when not given."""
    now = now or utcnow()
    today = today or promotion_service.tenant_today(session, tenant_id, now)
    rows, promos = _basket_lines(session, tenant_id, user.id, account.price_list_id, today)
    subs = {}
    sub_ids = {r.item.subscription_id for r in rows if r.item.subscription_id}
    if sub_ids:
        subs = {
            s.id: s
            for s in session.scalars(
                select(Subscription)
                .where(Subscription.id.in_(sub_ids), Subscription.tenant_id == tenant_id)
                .options(
                    joinedload(Subscription.plan),  # an add-on's billing cycle
                    selectinload(Subscription.addons),  # issue 17: what it bills next
                )
            )
        }
    targets = {}
    target_ids = {r.item.target_product_id for r in rows if r.item.target_product_id}
    if target_ids:
        targets = {
            p.id: p for p in session.scalars(select(Product).where(Product.id.in_(target_ids)))
        }
    types = catalogue.execution_types_of(
        session,
        {(r.product.id, r.product.is_bundle, r.product.non_automatic_execution) for r in rows},
    )
    plan_prices = {r.item.plan_id: r.plan_price for r in rows if r.plan_price is not None}
    # a change of a subscription prices the subscription's own plan too (not a line's plan)
    other_plans = {s.plan_id for s in subs.values() if s.plan_id} - {r.item.plan_id for r in rows}
    plan_prices |= pricing.plan_prices(session, account.price_list_id, other_plans)
    addon_prices = {r.item.addon_id: r.addon_price for r in rows if r.addon_price is not None}

    reductions = subscription_changes.pending_reductions(
        session, {r.item.subscription_id for r in rows if r.item.kind == ItemKind.LICENSES}
    )
    lines: dict[int, BasketLine] = {}
    top: list[BasketLine] = []
    for row in rows:
        item = row.item
        line = _line(row, subs, targets, types, plan_prices, addon_prices, promos, today)
        sub = subs.get(item.subscription_id)
        upgrade = None
        if sub is not None and item.kind == ItemKind.UPGRADE:
            upgrade = subscription_changes.upgrade_addons(
                session, sub, item.target_product_id, account.price_list_id
            )
        reduction = None
        if sub is not None and item.kind == ItemKind.LICENSES:
            reduction = reductions.get(sub.id)
        _charge_now(line, sub, plan_prices, today, upgrade, reduction)
        lines[item.id] = line
        parent = lines.get(item.parent_item_id) if item.parent_item_id else None
        if parent is not None and line.billing_cycle is None:
            line.billing_cycle = parent.billing_cycle  # an add-on is billed with its item
        (parent.children if parent else top).append(line)
    total = sum((line.amount for line in lines.values()), Decimal("0.00"))
    credit = credit_state(session, tenant_id, account, total)
    by_type = Counter(line.execution_type for line in lines.values())
    return BasketView(
        lines=top,
        count=len(rows),
        total=total,
        execution_type=rules.basket_execution_type(types.get(r.product.id) for r in rows),
        credit=credit,
        # a prorated change is charged once, now (it counts with the one-off amounts)
        totals=pricing_rules.split_totals(
            (None if x.charge else x.billing_cycle, x.amount) for x in lines.values()
        ),
        credit_ribbon=credit_rules.credit_ribbon(credit.limit, credit.balance, total, bool(rows)),
        lines_by_type=dict(by_type),
    )


def _line(row: _LineRow, subs, targets, types, plan_prices, addon_prices, promos, today):
    item, product, plan, addon = row.item, row.product, row.plan, row.addon
    sub = subs.get(item.subscription_id)
    target = targets.get(item.target_product_id) if item.target_product_id else None
    discount = None
    fixed = False
    minimum, maximum = 1, 10000
    unit_name = product.unit
    cycle = plan.billing_cycle if plan is not None else None
    if item.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
        unit = addon_prices.get(item.addon_id, Decimal("0.00"))
        description = f"{addon.name} (add-on for {product.name})"
        if item.kind == ItemKind.ADDON_QUANTITY:
            description = f"Additional {addon.name} for {product.name}"
        if sub is not None:  # an add-on for a subscription held: billed with it
            cycle = sub.billing_cycle
        minimum, maximum = addon.min_quantity, addon.max_quantity
    elif item.kind == ItemKind.UPGRADE:
        current = plan_prices.get(sub.plan_id, Decimal("0.00")) if sub else Decimal("0.00")
        unit = max(plan_prices.get(item.plan_id, Decimal("0.00")) - current, Decimal("0.00"))
        description = f"Upgrade {product.name} to {target.name if target else '?'}"
        fixed = True
        unit_name = target.unit if target else unit_name
    elif item.kind == ItemKind.TO_PAID:
        unit = plan_prices.get(item.plan_id, Decimal("0.00"))
        description = f"{product.name} ({plan.name if plan else ''}): trial to paid"
        fixed = True
        unit, discount = promotion_service.priced(promos, product.id, item.plan_id, unit, today)
    else:
        unit = plan_prices.get(item.plan_id, Decimal("0.00"))
        plan_name = plan.name if plan else ""
        description = f"{product.name} ({plan_name})"
        if item.kind == ItemKind.LICENSES:
            description = f"Additional licenses: {product.name} ({plan_name})"
        if item.trial:
            description += " — trial"
            unit = Decimal("0.00")
        else:
            unit, discount = promotion_service.priced(promos, product.id, item.plan_id, unit, today)
        if plan is not None:
            minimum, maximum = plan.min_quantity, plan.max_quantity
            if item.kind == ItemKind.LICENSES and sub is not None:
                minimum, maximum = 1, max(1, plan.max_quantity - sub.quantity)
    return BasketLine(
        item=item,
        description=description,
        unit_price=unit,
        amount=_amount(unit, item.quantity, discount),
        execution_type=types.get(item.product_id, ExecutionType.AUTOMATIC),
        min_quantity=minimum,
        max_quantity=maximum,
        quantity_fixed=fixed,
        discount_percent=discount,
        billing_cycle=cycle,
        unit=unit_name,
        unavailable=not line_on_sale(
            item.kind,
            sold_on_storefront(product.active, product.published),
            target is not None and sold_on_storefront(target.active, target.published),
        ),
    )


def _charge_now(
    line: BasketLine, sub, plan_prices, today: date, upgrade=None, reduction=None
) -> None:
    """Issue 17: an increase of an existing subscription costs its prorated rest of the period
    now (:func:`core.services.subscription_changes.now_charge`, the one rule for it)."""
    item = line.item
    if sub is None or not subscription_changes.is_increase(item.kind, item.subscription_id):
        return
    extra_next = None
    if item.kind == ItemKind.UPGRADE:
        new_price = plan_prices.get(item.plan_id, sub.unit_price)
        extra_next = subscription_changes.upgrade_next_amount(sub, new_price, upgrade)
    elif item.kind == ItemKind.LICENSES:
        extra_next = subscription_changes.licenses_next_extra(sub, item.quantity, reduction, today)
    elif item.kind == ItemKind.ADDON_QUANTITY:
        owned = next((a for a in sub.addons if a.addon_id == item.addon_id), None)
        price = owned.unit_price if owned is not None else line.unit_price
        extra_next = pricing_rules.line_amount(price, item.quantity, None)
    line.charge = subscription_changes.now_charge(
        sub,
        item.kind,
        line.amount,
        today,
        extra_next=extra_next,
        notes=upgrade.notes if upgrade is not None else (),
    )
    line.amount = line.charge.amount


# --- changes --------------------------------------------------------------------------------


# the statements every add runs are built once (see core.services.pricing)
_BASKET_FOR_UPDATE = (
    select(Basket)
    .where(Basket.tenant_id == bindparam("tenant_id"), Basket.user_id == bindparam("user_id"))
    .with_for_update()
)
# one row per product in the basket: its type and its number of lines
_PRODUCTS_IN_BASKET = (
    select(
        BasketItem.product_id,
        Product.is_bundle,
        ProductType.non_automatic_execution,
        func.count(BasketItem.id),
    )
    .join(Product, Product.id == BasketItem.product_id)
    .join(ProductType, ProductType.id == Product.product_type_id)
    .where(BasketItem.basket_id == bindparam("basket_id"))
    .group_by(BasketItem.product_id, Product.is_bundle, ProductType.non_automatic_execution)
)


def _basket_for_update(session: Session, tenant_id: int, user: User) -> Basket:
    """The user's basket, locked until the end of the transaction (created when missing)."""
    basket = session.scalar(_BASKET_FOR_UPDATE, {"tenant_id": tenant_id, "user_id": user.id})
    return basket if basket is not None else _new_basket(session, tenant_id, user)


def _new_basket(session: Session, tenant_id: int, user: User) -> Basket:
    basket = Basket(tenant_id=tenant_id, account_id=user.account_id, user_id=user.id)
    session.add(basket)
    session.flush()
    return basket


@dataclass(frozen=True)
class Fit:
    """What the basket is once the new item is in: its execution type, and how many lines it
    held before."""

    execution_type: str
    lines_before: int


def _type_row(product_id: int):
    return (
        select(Product.id, Product.is_bundle, ProductType.non_automatic_execution)
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.id == product_id)
    )


def check_fits(session: Session, basket: Basket, product: int | tuple[int, bool, bool]) -> Fit:
    """Rule 4.2: raises MixedExecutionTypes (and changes nothing) if an item of ``product`` (an
    id, or its (id, is bundle, non-automatic option) row when the caller has it) does not fit
    the basket. One query for the basket's lines with their types (one more for the product
    when only its id is given, one more for components when bundles are involved)."""
    in_basket = session.execute(_PRODUCTS_IN_BASKET, {"basket_id": basket.id}).all()
    new = session.execute(_type_row(product)).one() if isinstance(product, int) else product
    rows = [(pid, is_bundle, manual) for pid, is_bundle, manual, _n in in_basket]
    return _fit(session, rows, sum(n for *_row, n in in_basket), tuple(new))[0]


def _fit(session: Session, in_basket, lines: int, new: tuple) -> tuple[Fit, str]:
    """Rule 4.2 over the (product id, is bundle, non-automatic option) rows of the basket's
    products and of the new one; also the new product's own execution type."""
    types = catalogue.execution_types_of(session, {*in_basket, new})
    current = rules.basket_execution_type(types[row[0]] for row in in_basket)
    new_type = types[new[0]]
    rules.check_compatible(current, new_type)
    return Fit(rules.basket_execution_type([current or new_type, new_type]), lines), new_type


@dataclass(frozen=True)
class Added:
    item: BasketItemRow  # the plan's line, as it is now
    view: catalogue.ProductView  # what the add-to-basket form shows again (form only)
    basket_execution_type: str
    basket_count: int  # lines in the basket now (the header counter)
    merged: bool = False  # the plan was in the basket already: its quantity went up

    @property
    def basket_manual(self) -> bool:
        return self.basket_execution_type == ExecutionType.MANUAL


def _quantity(raw, minimum: int, maximum: int, field_name: str = "quantity") -> int:
    try:
        return rules.parse_quantity(raw, minimum, maximum)
    except QuantityInvalid as error:
        raise ValidationFailed(str(error), {field_name: [str(error)]}) from None


# --- add to basket as plain rows (issue 19, fourth pass) -------------------------------------
# The add reads the product and the basket's lines as rows, locks the basket with the UPDATE
# of its time stamp, and writes the line with one UPDATE or INSERT: no ORM object is loaded,
# tracked or flushed.


# the product on sale (core.services.catalogue: its plans with their prices, its add-ons)
_PRODUCT_FOR_SALE = catalogue.PRODUCT_FOR_SALE


def _form_view(product: catalogue.ProductForSale, execution_type: str) -> catalogue.ProductView:
    """The product's add-to-basket form (plans with their prices, add-ons by name; no
    promotions), as :func:`core.services.catalogue.product_detail` builds it with
    ``form_only``."""
    return catalogue.view_of_product(product, execution_type)


# the basket's lock: the UPDATE of its time stamp locks its row until the end of the
# transaction (as SELECT ... FOR UPDATE did), in the same statement
_TOUCH_BASKET = (
    update(_basket)
    .where(
        _basket.c.tenant_id == bindparam("basket_tenant_id"),
        _basket.c.user_id == bindparam("basket_user_id"),
    )
    .values(updated_at=bindparam("now"))
    .returning(_basket.c.id)
)


# a user without a basket yet: INSERT ... ON CONFLICT DO UPDATE, in PostgreSQL's and SQLite's
# words, so that two first adds at once make one basket (the second waits for the first, then
# updates and locks it). Only then: an INSERT that meets a conflict still takes a number of the
# sequence. A basket of another tenant is left alone.
def _create_or_lock(insert_of_dialect):
    statement = insert_of_dialect(_basket)
    return statement.on_conflict_do_update(
        index_elements=[_basket.c.user_id],
        set_={"updated_at": statement.excluded.updated_at},
        where=_basket.c.tenant_id == statement.excluded.tenant_id,
    ).returning(_basket.c.id)


_CREATE_OR_LOCK_BASKET = {
    "postgresql": _create_or_lock(postgresql_insert),
    "sqlite": _create_or_lock(sqlite_insert),
}


# the basket's lines with their product's type, read after the lock (so a line another request
# added while this one waited for the lock is among them)
def _lines_with_types(basket_param: str):
    return (
        select(*_ITEM_COLUMNS, _product.c.is_bundle, _type.c.non_automatic_execution)
        .join(_product, _product.c.id == _item.c.product_id)
        .join(_type, _type.c.id == _product.c.product_type_id)
        .where(_item.c.basket_id == bindparam(basket_param))
        .order_by(_item.c.id)
    )


_LINES_WITH_TYPES = _lines_with_types("basket_id")
# PostgreSQL (issue 19, fifth pass): the same lines, and the plan's line (as
# _is_line_of_plan: the first) raised by the quantity added where it stays within the maximum,
# in one statement: the lines come as they were before the raise (a data-modifying WITH's
# change is not seen by the rest of its statement), each with the raised quantity (NULL: no
# line raised). The rules then judge the lines read; a refusal rolls the raise back.
# (Bound parameters are not named as basket_item's columns: the UPDATE would set those.)
_plan_line = _item.alias("plan_line")
_RAISED_PLAN_LINE = (
    update(_item)
    .where(
        _item.c.id
        == select(func.min(_plan_line.c.id))
        .where(
            _plan_line.c.basket_id == bindparam("line_basket_id"),
            _plan_line.c.kind == ItemKind.NEW,
            _plan_line.c.plan_id == bindparam("line_plan_id"),
            _plan_line.c.trial == bindparam("line_trial"),
            _plan_line.c.parent_item_id.is_(None),
            _plan_line.c.subscription_id.is_(None),
        )
        .scalar_subquery(),
        _item.c.quantity + bindparam("line_added", type_=Integer)
        <= bindparam("line_maximum", type_=Integer),
    )
    .values(quantity=_item.c.quantity + bindparam("line_added", type_=Integer))
    .returning(_item.c.quantity)
    .cte("raised_line")
)
_LINES_RAISING_PLAN_LINE = _lines_with_types("line_basket_id").add_columns(
    select(_RAISED_PLAN_LINE.c.quantity).scalar_subquery().label("raised_quantity")
)
# a merge raises a line's quantity where it stands, never beyond the maximum (a change of the
# quantity on the basket page does not lock the basket)
_RAISE_QUANTITY = (
    update(_item)
    .where(
        _item.c.id == bindparam("item_id"),
        _item.c.quantity + bindparam("added", type_=Integer) <= bindparam("maximum", type_=Integer),
    )
    .values(quantity=_item.c.quantity + bindparam("added", type_=Integer))
    .returning(_item.c.quantity)
)
# (only the columns needed come back: psycopg builds a description of every column returned)
_NEW_LINE = insert(_item).returning(_item.c.id)


# PostgreSQL (issue 19, fifth pass): the product on sale read by the statement that locks the
# basket (a data-modifying WITH; SQLite has none): one round trip less. The lines are still
# read by a later statement, which begins after the lock is held (a statement that waited
# for the lock re-checks only the locked row, not what else it reads).
_LOCKED = _TOUCH_BASKET.cte("locked_basket")
# (no bound parameter named as a column of basket: the UPDATE would set that column too)
_PRODUCT_FOR_SALE_LOCKING_BASKET = catalogue.product_for_sale_select(
    "basket_tenant_id"
).add_columns(select(_LOCKED.c.id).scalar_subquery().label("locked_basket_id"))
_UNSET = object()


def _product_and_locked_basket(
    connection: Connection, tenant_id: int, user, product_id: int, price_list_id: int | None
):
    """(the product on sale or None, the user's basket id locked or ``_UNSET``: not yet)."""
    params = {"product_id": product_id, "tenant_id": tenant_id, "price_list_id": price_list_id}
    if connection.dialect.name != "postgresql":
        return catalogue.product_of_rows(connection.execute(_PRODUCT_FOR_SALE, params)), _UNSET
    params = {
        "product_id": product_id,
        "price_list_id": price_list_id,
        "basket_tenant_id": tenant_id,
        "basket_user_id": user.id,
        "now": utcnow(),
    }
    rows = connection.execute(_PRODUCT_FOR_SALE_LOCKING_BASKET, params).all()
    # no basket yet: None (created by _locked_basket); no product: nothing to lock for
    return catalogue.product_of_rows(rows), (rows[0][-1] if rows else _UNSET)


def _locked_basket(connection: Connection, tenant_id: int, user: User, touched=_UNSET) -> int:
    """The user's basket id, locked until the end of the transaction (created when missing);
    ``touched``: what the UPDATE of its time stamp returned already (PostgreSQL)."""
    now = utcnow()
    if touched is _UNSET:
        params = {"basket_tenant_id": tenant_id, "basket_user_id": user.id, "now": now}
        touched = connection.execute(_TOUCH_BASKET, params).scalar()
    if touched is not None:
        return touched
    values = {
        "tenant_id": tenant_id,
        "account_id": user.account_id,
        "user_id": user.id,
        "updated_at": now,
    }
    statement = _CREATE_OR_LOCK_BASKET[connection.dialect.name]
    basket_id = connection.execute(statement, values).scalar()
    if basket_id is None:  # the user's basket is another tenant's: not this user's to fill
        raise NotFound("That basket does not exist.")
    return basket_id


def add_product(
    session: Session,
    tenant_id: int,
    user: User,
    product_id: int,
    plan_id,
    quantity,
    *,
    trial: bool = False,
    addons: dict[int, object] | None = None,
    price_list_id: int | None = None,
) -> Added:
    """Add a new subscription (or one-off product) with optional add-ons to the basket. The
    answer carries the product's add-to-basket form with its plans' prices in
    ``price_list_id`` (the customer's), for the page to show without another query."""
    with write_transaction(session):
        # Core statements on the transaction's connection: no ORM object, no flush
        connection = session.connection()
        # PostgreSQL: the basket locked by the same statement (refusals below roll it back)
        product, touched = _product_and_locked_basket(
            connection, tenant_id, user, product_id, price_list_id
        )
        if product is None:
            raise NotFound("That product does not exist.")
        plan = next((p for p in product.plans if str(p.id) == str(plan_id)), None)
        if plan is None:
            raise ValidationFailed("Choose a plan.", {"plan_id": ["Choose a plan."]})
        qty = _quantity(quantity, plan.min_quantity, plan.max_quantity)
        addon_qty: dict[catalogue.AddOnForSale, int] = {}
        for addon in product.addons:
            field_name = f"addon_{addon.id}"
            try:
                wanted = rules.parse_addon_quantity(
                    (addons or {}).get(addon.id), addon.min_quantity, addon.max_quantity
                )
            except QuantityInvalid as error:
                raise ValidationFailed(str(error), {field_name: [str(error)]}) from None
            if wanted:
                addon_qty[addon] = wanted
        is_trial = bool(trial and trial_days_for(plan.trial_days, product.trial_days))
        basket_id = _locked_basket(connection, tenant_id, user, touched)
        raised = None  # the plan's line's quantity, raised already (PostgreSQL)
        if connection.dialect.name == "postgresql":
            params = {
                "line_basket_id": basket_id,
                "line_plan_id": plan.id,
                "line_trial": is_trial,
                "line_added": qty,
                "line_maximum": plan.max_quantity,
            }
            lines = connection.execute(_LINES_RAISING_PLAN_LINE, params).all()
            raised = lines[0][-1] if lines else None
            lines = [row[:-1] for row in lines]
        else:
            lines = connection.execute(_LINES_WITH_TYPES, {"basket_id": basket_id}).all()
        new = (product.id, product.is_bundle, product.product_type.non_automatic_execution)
        in_basket = {(row[2], row[-2], row[-1]) for row in lines}
        fit, product_type = _fit(session, in_basket, len(lines), new)
        items = [BasketItemRow(*row[:_N_ITEM]) for row in lines]
        line = next((i for i in items if _is_line_of_plan(i, plan.id, is_trial)), None)
        new_lines = len(addon_qty)
        merged = line is not None
        if merged:  # the same plan again: its line's quantity goes up (issue 13)
            if raised is not None:  # raised by the lines' read already (PostgreSQL)
                line = replace(line, quantity=raised)
            else:  # (on PostgreSQL: the raise refused beyond the maximum, refused here)
                line = _raise_quantity(connection, line, qty, plan.max_quantity)
            if addon_qty:
                _merge_addons(connection, items, line, addon_qty)
                new_lines = len(addon_qty)
        else:
            values = {
                "basket_id": basket_id,
                "kind": ItemKind.NEW,
                "product_id": product.id,
                "plan_id": plan.id,
                "addon_id": None,
                "subscription_id": None,
                "target_product_id": None,
                "parent_item_id": None,
                "quantity": qty,
                "trial": is_trial,
            }
            line_id = connection.execute(_NEW_LINE, values).scalar_one()
            line = BasketItemRow(line_id, *(values[c.name] for c in _ITEM_COLUMNS[1:]))
            new_lines += 1
        if addon_qty:
            connection.execute(
                insert(_item),
                [_addon_line(basket_id, product.id, line.id, a, n) for a, n in addon_qty.items()],
            )
        return Added(
            line,
            _form_view(product, product_type),
            fit.execution_type,
            fit.lines_before + new_lines,
            merged,
        )


def _is_line_of_plan(item: BasketItemRow, plan_id: int, trial: bool) -> bool:
    """The line of ``plan_id`` bought new (not an add-on, not a change of a subscription)."""
    return (
        item.kind == ItemKind.NEW
        and item.plan_id == plan_id
        and bool(item.trial) == trial
        and item.parent_item_id is None
        and item.subscription_id is None
    )


def _raise_quantity(connection: Connection, item: BasketItemRow, added: int, maximum: int):
    """The line's quantity up by ``added``; never beyond ``maximum`` (refused, nothing
    changes)."""
    _merged(item.quantity, added, maximum)  # the refusal, with the quantity read
    params = {"item_id": item.id, "added": added, "maximum": maximum}
    quantity = connection.execute(_RAISE_QUANTITY, params).scalar()
    if quantity is None:  # the quantity changed since it was read (the basket page, meanwhile)
        _merged(maximum, added, maximum)
    return replace(item, quantity=quantity)


def _merged(current: int, added: int, maximum: int) -> int:
    try:
        return pricing_rules.merged_quantity(current, added, maximum)
    except pricing_rules.MergeTooLarge as error:
        raise ValidationFailed(str(error), {"quantity": [str(error)]}) from None


def _addon_line(basket_id: int, product_id: int, parent_id: int, addon, quantity: int) -> dict:
    return {
        "basket_id": basket_id,
        "kind": ItemKind.ADDON_NEW,
        "product_id": product_id,
        "plan_id": None,
        "addon_id": addon.id,
        "parent_item_id": parent_id,
        "quantity": quantity,
        "trial": False,
    }


def _merge_addons(connection: Connection, items, line: BasketItemRow, addon_qty: dict) -> None:
    """Add-ons bought again with a plan already in the basket raise the quantity of the add-on
    lines it has; the ``addon_qty`` left are the add-ons it did not have yet (new lines)."""
    by_addon = {i.addon_id: i for i in items if i.parent_item_id == line.id}
    for addon in list(addon_qty):
        existing = by_addon.get(addon.id)
        if existing is not None:
            _raise_quantity(connection, existing, addon_qty.pop(addon), addon.max_quantity)


def add_change(
    session: Session,
    tenant_id: int,
    user: User,
    subscription_id: int,
    action: str,
    *,
    quantity=None,
    addon_id=None,
    target_product_id=None,
) -> BasketItem:
    """A subscription action (rule 4.3): put its change item in the basket, or raise
    MixedExecutionTypes before changing anything."""
    with write_transaction(session):
        sub = session.scalar(
            select(Subscription)
            .where(
                Subscription.id == subscription_id,
                Subscription.tenant_id == tenant_id,
                Subscription.account_id == user.account_id,
            )
            .options(joinedload(Subscription.plan), selectinload(Subscription.addons))
        )
        if sub is None:
            raise NotFound("That subscription does not exist.")
        subscription_changes.refuse_unless_changeable(sub)  # e.g. suspended: pay first
        product = session.get(Product, sub.product_id)
        on_sale = sold_on_storefront(product.active, product.published)
        if refusal := change_refusal(action, product.name, on_sale):
            raise Conflict(refusal)  # no longer sold: nothing more of it is bought
        basket = _basket_for_update(session, tenant_id, user)
        check_fits(session, basket, sub.product_id)
        item = _change_item(
            session, tenant_id, basket, sub, action, quantity, addon_id, target_product_id
        )
        duplicate = session.scalar(
            select(BasketItem.id).where(
                BasketItem.basket_id == basket.id,
                BasketItem.subscription_id == sub.id,
                BasketItem.kind == item.kind,
                BasketItem.addon_id.is_(None)
                if item.addon_id is None
                else BasketItem.addon_id == item.addon_id,
            )
        )
        if duplicate:
            raise Conflict(texts.CHANGE_ALREADY_IN_BASKET)
        session.add(item)
        basket.updated_at = utcnow()
        session.flush()
        return item


def _change_item(session, tenant_id, basket, sub, action, quantity, addon_id, target_id):
    common = dict(basket_id=basket.id, product_id=sub.product_id, subscription_id=sub.id)
    plan: Plan | None = sub.plan
    if action == ItemKind.LICENSES:
        room = (plan.max_quantity if plan else 10000) - sub.quantity
        if room < 1:
            raise Conflict(texts.SUBSCRIPTION_AT_MAXIMUM)
        qty = _quantity(quantity, 1, room)
        return BasketItem(kind=action, plan_id=sub.plan_id, quantity=qty, **common)
    if action in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
        addon = session.scalar(
            select(AddOn).where(AddOn.id == _int(addon_id), AddOn.product_id == sub.product_id)
        )
        if addon is None:
            raise ValidationFailed(texts.CHOOSE_ADDON, {"addon_id": [texts.CHOOSE_ADDON]})
        existing = session.scalar(
            select(SubscriptionAddOn).where(
                SubscriptionAddOn.subscription_id == sub.id, SubscriptionAddOn.addon_id == addon.id
            )
        )
        if action == ItemKind.ADDON_NEW and existing is not None:
            raise Conflict(texts.ADDON_ALREADY_ON_SUBSCRIPTION)
        if action == ItemKind.ADDON_QUANTITY and existing is None:
            raise ValidationFailed(texts.CHOOSE_ADDON, {"addon_id": [texts.CHOOSE_ADDON]})
        room = addon.max_quantity - (existing.quantity if existing else 0)
        if room < 1:
            raise Conflict(texts.SUBSCRIPTION_AT_MAXIMUM)
        qty = _quantity(quantity, 1 if existing else addon.min_quantity, room)
        return BasketItem(kind=action, addon_id=addon.id, quantity=qty, **common)
    if action == ItemKind.UPGRADE:
        targets = catalogue.upgrade_targets(session, tenant_id, [sub.product_id])
        target = next(
            (p for p in targets.get(sub.product_id, []) if str(p.id) == str(target_id)), None
        )
        if target is None or not target.plans:
            raise ValidationFailed(
                texts.CHOOSE_UPGRADE, {"target_product_id": [texts.CHOOSE_UPGRADE]}
            )
        cycle = plan.billing_cycle if plan else None
        target_plan = next((p for p in target.plans if p.billing_cycle == cycle), target.plans[0])
        return BasketItem(
            kind=action,
            plan_id=target_plan.id,
            target_product_id=target.id,
            quantity=sub.quantity,
            **common,
        )
    if action == ItemKind.TO_PAID:
        if not sub.is_trial:
            raise Conflict(texts.NOT_A_TRIAL)
        return BasketItem(kind=action, plan_id=sub.plan_id, quantity=sub.quantity, **common)
    raise NotFound("That action does not exist.")


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _own_item(session: Session, tenant_id: int, user: User, item_id: int) -> BasketItem:
    item = session.scalar(
        select(BasketItem)
        .join(Basket, Basket.id == BasketItem.basket_id)
        .where(BasketItem.id == item_id, Basket.tenant_id == tenant_id, Basket.user_id == user.id)
        .options(joinedload(BasketItem.plan), joinedload(BasketItem.addon))
    )
    if item is None:
        raise NotFound("That basket item does not exist.")
    return item


def change_quantity(session: Session, tenant_id: int, user: User, item_id: int, quantity) -> None:
    with write_transaction(session):
        item = _own_item(session, tenant_id, user, item_id)
        if item.kind in (ItemKind.UPGRADE, ItemKind.TO_PAID):
            raise Conflict(texts.QUANTITY_FIXED)
        if item.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
            minimum, maximum = item.addon.min_quantity, item.addon.max_quantity
        elif item.kind == ItemKind.LICENSES:
            sub = session.get(Subscription, item.subscription_id)
            minimum, maximum = 1, max(1, item.plan.max_quantity - sub.quantity)
        else:
            minimum, maximum = item.plan.min_quantity, item.plan.max_quantity
        item.quantity = _quantity(quantity, minimum, maximum)


def remove_item(session: Session, tenant_id: int, user: User, item_id: int) -> None:
    with write_transaction(session):
        item = _own_item(session, tenant_id, user, item_id)
        session.execute(delete(BasketItem).where(BasketItem.parent_item_id == item.id))
        session.delete(item)


def remove_lines_by_delivery(
    session: Session, tenant_id: int, user: User, execution_type: str
) -> int:
    """Remove every line of one delivery method (add-ons with their plans): how a basket made
    mixed by a Setup change is made orderable again (rule 4.2). Returns how many lines went; a
    repeat (double click, retry) finds none and changes nothing."""
    if execution_type not in (ExecutionType.AUTOMATIC, ExecutionType.MANUAL):
        raise ValidationFailed(texts.BASKET_DELIVERY_INVALID)
    with write_transaction(session):
        basket = session.scalar(_BASKET_FOR_UPDATE, {"tenant_id": tenant_id, "user_id": user.id})
        if basket is None:
            return 0
        rows = session.execute(_PRODUCTS_IN_BASKET, {"basket_id": basket.id}).all()
        types = catalogue.execution_types_of(session, {tuple(row[:3]) for row in rows})
        products = [pid for pid, *_rest in rows if types[pid] == execution_type]
        lines = sum(n for pid, *_rest, n in rows if types[pid] == execution_type)
        if not products:
            return 0
        doomed = delete(BasketItem).where(
            BasketItem.basket_id == basket.id, BasketItem.product_id.in_(products)
        )
        session.execute(doomed.where(BasketItem.parent_item_id.is_not(None)))
        session.execute(doomed)
        basket.updated_at = utcnow()
        return lines


def clear(session: Session, basket_id: int) -> None:
    """Empty a basket (after placing its order), inside the caller's transaction: one DELETE
    of every line, add-ons with their plan's (issue 19, sixth pass: the add-ons were deleted
    first, a statement of their own; both engines check a foreign key at the statement's end,
    and an add-on's line goes with its plan's anyway, ``ON DELETE CASCADE``)."""
    session.execute(_CLEAR, {"basket_id": basket_id})


_CLEAR = (
    delete(BasketItem)
    .where(BasketItem.basket_id == bindparam("basket_id"))
    .execution_options(synchronize_session=False)
)
