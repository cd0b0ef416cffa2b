"""The basket (PRODUCT.md 5.2-5.4): add, change quantity, remove; one execution type per basket
(rule 4.2); prices from the customer's price list; a fixed number of queries per load."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import ExecutionType, ItemKind
from core.models import (
    Account,
    AddOn,
    Basket,
    BasketItem,
    Plan,
    Product,
    ProductType,
    Subscription,
    SubscriptionAddOn,
    User,
)
from core.rules import basket as rules
from core.rules import credit as credit_rules
from core.rules import pricing as pricing_rules
from core.rules.basket import MixedExecutionTypes, QuantityInvalid
from core.rules.catalogue import sold_on_storefront, trial_days_for
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


@dataclass
class BasketLine:
    item: BasketItem
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
    basket: Basket | None
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


# the basket, its lines, their products (with their type and active promotions: the rule
# decides which applies on the day), plans (with their price in the price list
# ``price_list_id``) and add-ons: one query, built once (issue 19). populate_existing: lines
# already in the session get today's prices and promotions.
_BASKET = (
    select(Basket)
    .where(Basket.tenant_id == bindparam("tenant_id"), Basket.user_id == bindparam("user_id"))
    .options(
        joinedload(Basket.items).options(
            joinedload(BasketItem.product).options(
                joinedload(Product.product_type), joinedload(Product.active_promotions)
            ),
            joinedload(BasketItem.plan).options(pricing.WITH_LIST_PRICE),
            joinedload(BasketItem.addon),
        )
    )
    .execution_options(populate_existing=True)
)


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
    """Everything the basket and checkout pages show, in a fixed number of queries.
    ``today``: the tenant's day (promotions); read from the tenant when not given."""
    now = now or utcnow()
    today = today or promotion_service.tenant_today(session, tenant_id, now)
    params = {"tenant_id": tenant_id, "user_id": user.id, "price_list_id": account.price_list_id}
    basket = session.scalars(_BASKET, params).unique().first()
    items = list(basket.items) if basket else []
    subs = {}
    sub_ids = {i.subscription_id for i in items if i.subscription_id}
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
    target_ids = {i.target_product_id for i in items if i.target_product_id}
    if target_ids:
        targets = {
            p.id: p for p in session.scalars(select(Product).where(Product.id.in_(target_ids)))
        }
    types = catalogue.execution_types_of(
        session,
        {
            (i.product_id, i.product.is_bundle, i.product.product_type.non_automatic_execution)
            for i in items
        },
    )
    plan_prices = pricing.list_prices(i.plan for i in items if i.plan is not None)
    # a change of a subscription prices the subscription's own plan too (not a line's plan)
    other_plans = {s.plan_id for s in subs.values() if s.plan_id} - {i.plan_id for i in items}
    plan_prices |= pricing.plan_prices(session, account.price_list_id, other_plans)
    addon_prices = pricing.addon_prices(
        session, account.price_list_id, {i.addon_id for i in items if i.addon_id}
    )
    promos = {
        i.product_id: [promotion_service.terms_of(p) for p in i.product.active_promotions]
        for i in items
    }

    lines: dict[int, BasketLine] = {}
    top: list[BasketLine] = []
    for item in items:
        line = _line(item, subs, targets, types, plan_prices, addon_prices, promos, today)
        _charge_now(line, subs.get(item.subscription_id), plan_prices, today)
        lines[item.id] = line
        parent = lines.get(item.parent_item_id) if item.parent_item_id else None
        if parent is not None and line.billing_cycle is None:
            line.billing_cycle = parent.billing_cycle  # an add-on is billed with its item
        (parent.children if parent else top).append(line)
    total = sum((line.amount for line in lines.values()), Decimal("0.00"))
    credit = credit_state(session, tenant_id, account, total)
    by_type = Counter(line.execution_type for line in lines.values())
    return BasketView(
        basket=basket,
        lines=top,
        count=len(items),
        total=total,
        execution_type=rules.basket_execution_type(types.get(i.product_id) for i in items),
        credit=credit,
        # a prorated change is charged once, now (it counts with the one-off amounts)
        totals=pricing_rules.split_totals(
            (None if x.charge else x.billing_cycle, x.amount) for x in lines.values()
        ),
        credit_ribbon=credit_rules.credit_ribbon(credit.limit, credit.balance, total, bool(items)),
        lines_by_type=dict(by_type),
    )


def _line(item, subs, targets, types, plan_prices, addon_prices, promos, today) -> BasketLine:
    product = item.product
    sub = subs.get(item.subscription_id)
    discount = None
    fixed = False
    minimum, maximum = 1, 10000
    unit_name = product.unit
    cycle = item.plan.billing_cycle if item.plan is not None else None
    if item.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
        unit = addon_prices.get(item.addon_id, Decimal("0.00"))
        description = f"{item.addon.name} (add-on for {product.name})"
        if item.kind == ItemKind.ADDON_QUANTITY:
            description = f"Additional {item.addon.name} for {product.name}"
            cycle = sub.plan.billing_cycle if sub is not None and sub.plan is not None else None
        minimum, maximum = item.addon.min_quantity, item.addon.max_quantity
    elif item.kind == ItemKind.UPGRADE:
        target = targets.get(item.target_product_id)
        current = plan_prices.get(sub.plan_id, Decimal("0.00")) if sub else Decimal("0.00")
        unit = max(plan_prices.get(item.plan_id, Decimal("0.00")) - current, Decimal("0.00"))
        description = f"Upgrade {product.name} to {target.name if target else '?'}"
        fixed = True
        unit_name = target.unit if target else unit_name
    elif item.kind == ItemKind.TO_PAID:
        unit = plan_prices.get(item.plan_id, Decimal("0.00"))
        description = f"{product.name} ({item.plan.name if item.plan else ''}): trial to paid"
        fixed = True
        unit, discount = promotion_service.priced(promos, product.id, item.plan_id, unit, today)
    else:
        unit = plan_prices.get(item.plan_id, Decimal("0.00"))
        plan_name = item.plan.name if item.plan else ""
        description = f"{product.name} ({plan_name})"
        if item.kind == ItemKind.LICENSES:
            description = f"Additional licenses: {product.name} ({plan_name})"
        if item.trial:
            description += " — trial"
            unit = Decimal("0.00")
        else:
            unit, discount = promotion_service.priced(promos, product.id, item.plan_id, unit, today)
        if item.plan is not None:
            minimum, maximum = item.plan.min_quantity, item.plan.max_quantity
            if item.kind == ItemKind.LICENSES and sub is not None:
                minimum, maximum = 1, max(1, item.plan.max_quantity - sub.quantity)
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
        unavailable=not sold_on_storefront(product.active, product.published),
    )


def _charge_now(line: BasketLine, sub, plan_prices, today: date) -> None:
    """Issue 17: an increase of an existing subscription costs its prorated rest of the period
    now (:func:`core.services.subscription_changes.now_charge`, the one rule for it)."""
    item = line.item
    if sub is None or not subscription_changes.is_increase(item.kind, item.subscription_id):
        return
    extra_next = None
    if item.kind == ItemKind.UPGRADE:
        new_price = plan_prices.get(item.plan_id, sub.unit_price)
        extra_next = subscription_changes.upgrade_next_amount(sub, new_price)
    elif item.kind == ItemKind.LICENSES:
        extra_next = pricing_rules.line_amount(sub.unit_price, item.quantity, None)
    elif item.kind == ItemKind.ADDON_QUANTITY:
        owned = next((a for a in sub.addons if a.addon_id == item.addon_id), None)
        price = owned.unit_price if owned is not None else line.unit_price
        extra_next = pricing_rules.line_amount(price, item.quantity, None)
    line.charge = subscription_changes.now_charge(
        sub, item.kind, line.amount, today, extra_next=extra_next
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
    rows = {(pid, is_bundle, manual) for pid, is_bundle, manual, _n in in_basket}
    types = catalogue.execution_types_of(session, rows | {tuple(new)})
    current = rules.basket_execution_type(types[row[0]] for row in in_basket)
    new_type = types[new[0]]
    rules.check_compatible(current, new_type)
    lines = sum(n for *_row, n in in_basket)
    return Fit(rules.basket_execution_type([current or new_type, new_type]), lines)


@dataclass(frozen=True)
class Added:
    item: BasketItem
    product: Product  # with its type, plans and add-ons loaded
    basket_execution_type: str
    basket_count: int  # lines in the basket now (the header counter)
    merged: bool = False  # the plan was in the basket already: its quantity went up
    plan_prices: dict[int, Decimal] = field(default_factory=dict)  # in the price list given

    @property
    def basket_manual(self) -> bool:
        return self.basket_execution_type == ExecutionType.MANUAL


def _quantity(raw, minimum: int, maximum: int, field_name: str = "quantity") -> int:
    try:
        return rules.parse_quantity(raw, minimum, maximum)
    except QuantityInvalid as error:
        raise ValidationFailed(str(error), {field_name: [str(error)]}) from None


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
    product comes with its plans' prices in ``price_list_id`` (the customer's), for the
    answer to show without another query."""
    with write_transaction(session):
        product, plan_prices = catalogue.priced_product_for_sale(
            session, tenant_id, product_id, price_list_id
        )
        if product is None:
            raise NotFound("That product does not exist.")
        non_automatic = product.product_type.non_automatic_execution
        plan = next((p for p in product.plans if str(p.id) == str(plan_id)), None)
        if plan is None:
            raise ValidationFailed("Choose a plan.", {"plan_id": ["Choose a plan."]})
        qty = _quantity(quantity, plan.min_quantity, plan.max_quantity)
        addon_qty: dict[AddOn, int] = {}
        for addon in product.addons:
            raw = (addons or {}).get(addon.id)
            if raw in (None, "", "0", 0):
                continue
            addon_qty[addon] = _quantity(
                raw, addon.min_quantity, addon.max_quantity, f"addon_{addon.id}"
            )
        is_trial = bool(trial and trial_days_for(plan.trial_days, product.trial_days))
        basket, item = _basket_and_plan_line(session, tenant_id, user, plan.id, is_trial)
        fit = check_fits(session, basket, (product.id, product.is_bundle, non_automatic))
        merged = item is not None
        new_lines = len(addon_qty)
        if merged:  # the same plan again: its line's quantity goes up (issue 13)
            item.quantity = _merged(item.quantity, qty, plan.max_quantity)
            if addon_qty:
                _merge_addons(session, basket, product, item, addon_qty)
                new_lines = len(addon_qty)
        else:
            item = BasketItem(
                basket_id=basket.id,
                kind=ItemKind.NEW,
                product_id=product.id,
                plan_id=plan.id,
                quantity=qty,
                trial=is_trial,
            )
            session.add(item)
            new_lines += 1
            if addon_qty:
                session.flush()  # the add-ons' lines point to the item
        for addon, n in addon_qty.items():
            session.add(_addon_line(basket, product, item, addon, n))
        basket.updated_at = utcnow()
        lines = fit.lines_before + new_lines
        return Added(item, product, fit.execution_type, lines, merged, plan_prices)


# the user's basket, locked, with its line of the plan bought new (not an add-on, not a change
# of a subscription), if it has one: one statement (issue 19)
_BASKET_AND_PLAN_LINE = (
    select(Basket, BasketItem)
    .outerjoin(
        BasketItem,
        and_(
            BasketItem.basket_id == Basket.id,
            BasketItem.kind == ItemKind.NEW,
            BasketItem.plan_id == bindparam("plan_id"),
            BasketItem.trial == bindparam("trial"),
            BasketItem.parent_item_id.is_(None),
            BasketItem.subscription_id.is_(None),
        ),
    )
    .where(Basket.tenant_id == bindparam("tenant_id"), Basket.user_id == bindparam("user_id"))
    .with_for_update(of=Basket)
)


def _basket_and_plan_line(
    session: Session, tenant_id: int, user: User, plan_id: int, trial: bool
) -> tuple[Basket, BasketItem | None]:
    """The user's basket, locked until the end of the transaction (created when missing), and
    its line of ``plan_id`` bought new, if any."""
    params = {"tenant_id": tenant_id, "user_id": user.id, "plan_id": plan_id, "trial": trial}
    row = session.execute(_BASKET_AND_PLAN_LINE, params).first()
    if row is None:
        return _new_basket(session, tenant_id, user), None
    return row[0], row[1]


def _merged(current: int, added: int, maximum: int) -> int:
    try:
        return pricing_rules.merged_quantity(current, added, maximum)
    except pricing_rules.MergeTooLarge as error:
        raise ValidationFailed(str(error), {"quantity": [str(error)]}) from None


def _addon_line(basket, product, item, addon, quantity) -> BasketItem:
    return BasketItem(
        basket_id=basket.id,
        kind=ItemKind.ADDON_NEW,
        product_id=product.id,
        addon_id=addon.id,
        parent_item_id=item.id,
        quantity=quantity,
    )


def _merge_addons(session: Session, basket, product, item, addon_qty: dict) -> None:
    """Add-ons bought again with a plan already in the basket raise the quantity of the add-on
    lines it has; the ``addon_qty`` left are the add-ons it did not have yet (new lines)."""
    existing = session.scalars(
        select(BasketItem).where(
            BasketItem.basket_id == basket.id, BasketItem.parent_item_id == item.id
        )
    )
    by_addon = {line.addon_id: line for line in existing}
    for addon in list(addon_qty):
        line = by_addon.get(addon.id)
        if line is not None:
            line.quantity = _merged(line.quantity, addon_qty.pop(addon), addon.max_quantity)


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
    """Empty a basket (after placing its order), inside the caller's transaction."""
    session.execute(
        delete(BasketItem).where(
            BasketItem.basket_id == basket_id, BasketItem.parent_item_id.is_not(None)
        )
    )
    session.execute(delete(BasketItem).where(BasketItem.basket_id == basket_id))
