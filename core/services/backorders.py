"""Distributor back-ordering (PRODUCT.md section 8, seed 003).

:func:`record_backorders` is called by :mod:`core.services.execution` inside the execution's
transaction, after every execution in any tenant. When the tenant is a tenant reseller (its
parent tenant has a ``tenant_reseller`` account that represents it), it creates exactly one
order in the distributor for that execution, and mirrors the end customer and the changed
subscriptions in the distributor so its subscription view can relate the back-order.

Exactly once: the back-order carries a unique key of the execution (``backorder_event_key``).
A retried call finds the existing back-order; two writers racing past the check meet the
database's unique constraint, and the loser keeps the winner's back-order (savepoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from core.enums import AccountKind, BillingCycle, ItemKind, OrderSource
from core.models import (
    Account,
    AddOn,
    ApiOptions,
    Order,
    OrderItem,
    Plan,
    Product,
    Subscription,
    SubscriptionAddOn,
    SubscriptionHistory,
    Tenant,
)
from core.rules import backorders as rules
from core.rules.backorders import ExecutedLine, Relation
from core.rules.execution import product_execution_type
from core.services import order_messages, pricing, representations, webhooks
from core.services import promotions as promotion_service
from core.services.audit import record_audit
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook

ZERO = Decimal("0.00")
# the history line of a mirrored subscription that names its source (see _find_mirror)
MIRRORED = "mirrored"
ACTOR = "Back-ordering"


def find_tenant_reseller_account(session: Session, tenant: Tenant, lock: bool = False):
    """The account that stands for ``tenant`` in its distributor, or None."""
    if tenant.parent_id is None:
        return None
    # lock: serialises back-ordering per reseller (mirrored records never race each other)
    values = {"parent_id": tenant.parent_id, "tenant_id": tenant.id}
    return session.scalar(_TENANT_RESELLER_LOCKED if lock else _TENANT_RESELLER, values)


# built once (issue 19: every execution in a reseller tenant runs them)
_TENANT_RESELLER = (
    select(Account)
    .where(
        Account.tenant_id == bindparam("parent_id"),
        Account.kind == AccountKind.TENANT_RESELLER,
        Account.represents_tenant_id == bindparam("tenant_id"),
    )
    .order_by(Account.id)
    .limit(1)
)
_TENANT_RESELLER_LOCKED = _TENANT_RESELLER.with_for_update()
_FOR_EVENT = select(Order).where(Order.backorder_event_key == bindparam("key"))
_DISTRIBUTOR_PRODUCTS = (
    select(Product)
    .where(
        Product.tenant_id == bindparam("tenant_id"),
        Product.code.in_(bindparam("codes", expanding=True)),
    )
    .options(
        selectinload(Product.plans),
        selectinload(Product.addons),
        joinedload(Product.product_type),
    )
)


def backorder_for_event(session: Session, key: str) -> Order | None:
    return session.scalar(_FOR_EVENT, {"key": key})


# the reseller's account locked (back-ordering one at a time per reseller), the event's
# back-order if it exists and whether the distributor sells any of the executed products, in
# one statement (issue 19, fifth pass: two; seventh pass: a distributor that sells none of
# them, as the benchmark's, was a third read of its products)
_RESELLER_AND_EVENT = _TENANT_RESELLER.add_columns(
    select(Order.id).where(Order.backorder_event_key == bindparam("key")).scalar_subquery(),
    select(Product.id)
    .where(
        Product.tenant_id == bindparam("parent_id"),
        Product.code.in_(bindparam("codes", expanding=True)),
    )
    .exists(),
).with_for_update(of=Account)


def _reseller_and_event(session: Session, reseller: Tenant, key: str, codes: set[str]):
    """(the account that stands for ``reseller`` in its distributor, locked, or None; the id
    of the back-order already created for the event ``key``, or None; whether the
    distributor has a product of one of ``codes``)."""
    values = {
        "parent_id": reseller.parent_id,
        "tenant_id": reseller.id,
        "key": key,
        "codes": sorted(codes),
    }
    row = session.execute(_RESELLER_AND_EVENT, values).first()
    return tuple(row) if row is not None else (None, None, False)


def record_backorders(
    session: Session, order: Order, executed: dict[int, int], now: datetime
) -> Order | None:
    """Create the distributor's back-order for what was just executed, exactly once.

    ``executed`` maps the order's item ids to the quantities executed now. Returns the
    back-order (the existing one for a retried event), or None when none is due.
    """
    if not executed or order.source == OrderSource.BACKORDER:
        return None
    reseller = session.get(Tenant, order.tenant_id)
    if reseller is None or reseller.parent_id is None:
        return None
    items = {item.id: item for item in order.items}
    executed = {i: q for i, q in executed.items() if q > 0 and i in items}
    if not executed:
        return None
    units = sum(item.executed_quantity for item in order.items)
    key = rules.event_key(order.tenant_id, order.id, units)
    codes = _product_codes(session, [items[i] for i in sorted(executed)])
    found = _reseller_and_event(session, reseller, key, set(codes.values()))
    tenant_reseller, existing_id, sold = found
    if tenant_reseller is None:
        return None
    if existing_id is not None:
        return session.get(Order, existing_id)
    distributor_id = tenant_reseller.tenant_id
    if sold:
        lines, missing = _map_lines(
            session, distributor_id, tenant_reseller, items, executed, codes, now
        )
    else:  # the distributor sells none of them: every code is missing, nothing to map
        lines, missing = [], set(codes.values())
    if not lines:  # nothing to back-order: no savepoint (issue 19), what is missing is noted
        _note_missing(session, tenant_reseller, key, missing)
        return None
    try:
        with session.begin_nested():
            return _create_backorder(
                session, reseller, tenant_reseller, order, key, now, lines, missing
            )
    except IntegrityError:
        existing = backorder_for_event(session, key)
        if existing is None:
            raise
        return existing


# --- building the back-order -----------------------------------------------------------------


@dataclass
class _Line:
    """One executed reseller item, mapped onto the distributor's catalogue."""

    item: OrderItem
    executed: ExecutedLine
    product: Product  # the distributor's product
    plan: Plan | None
    addon: AddOn | None
    source_subscription: Subscription | None
    unit_price: Decimal
    discount: Decimal | None
    spec_index: int = -1
    mirror: Subscription | None = None


def _note_missing(session, tenant_reseller, key, missing) -> None:
    """The distributor's audit names the reseller's products it does not sell (a Core INSERT:
    nothing left for the ORM to flush when nothing is back-ordered)."""
    if missing:
        record_audit(
            session,
            tenant_reseller.tenant_id,
            None,
            "backorder",
            None,
            "products_missing",
            {"reseller": tenant_reseller.name, "event": key, "codes": sorted(missing)},
            at_once=True,
        )


def _create_backorder(session, reseller, tenant_reseller, order, key, now, lines, missing):
    distributor_id = tenant_reseller.tenant_id
    _note_missing(session, tenant_reseller, key, missing)
    action = rules.classify(line.executed for line in lines)
    customer = _mirror_account(session, distributor_id, reseller.id, order, tenant_reseller)
    for line in lines:
        if line.source_subscription is not None:
            line.mirror = _find_or_create_mirror(
                session, distributor_id, reseller.id, customer, line, now
            )
            _mirror_billing_terms(line, tenant_reseller)  # recurring billing (issue 17)
    specs = _item_specs(lines)
    options = session.scalar(
        select(ApiOptions).where(
            ApiOptions.tenant_id == distributor_id, ApiOptions.entity == "order"
        )
    )
    distributor = session.get(Tenant, distributor_id)
    backorder = build_order(
        session,
        tenant_id=distributor_id,
        account=customer,
        billing_account=tenant_reseller,
        status=StatusBook.load(session, distributor_id).submitted(),
        items=specs,
        source=OrderSource.BACKORDER,
        actor_name=ACTOR,
        currency=distributor.currency,
        order_date=now,
        note=f"Created by back-ordering: {rules.BackorderAction.LABELS[action]} "
        f"({tenant_reseller.name})",
        name=rules.order_name(action, customer.name),
        price_list_id=tenant_reseller.price_list_id,
        payment_method=tenant_reseller.payment_method,
        responsible_user_id=options.responsible_user_id if options else None,
        sharing_rule=options.sharing_rule if options else None,
        backorder_reseller_name=tenant_reseller.name,
        backorder_source_tenant_id=reseller.id,
        backorder_event_key=key,
        backorder_action=action,
    )
    for line in lines:
        _relate(session, backorder, line, now)
    session.flush()
    order_messages.backorder_created(session, backorder, now)
    webhooks.emit(
        session,
        backorder.tenant_id,
        "backorder.created",
        lambda: representations.backorder_by_id(session, backorder.tenant_id, backorder.id),
        now,
    )
    return backorder


def _product_codes(session, chosen: list[OrderItem]) -> dict[int, str]:
    """The code of the product each executed item back-orders, by item id: its own, or the
    target of an upgrade or downgrade."""
    targets = {i.target_product_id for i in chosen if i.target_product_id}
    target_codes = {}
    if targets:
        target_codes = dict(
            session.execute(select(Product.id, Product.code).where(Product.id.in_(targets))).all()
        )
    return {
        item.id: target_codes.get(item.target_product_id) or item.product.code for item in chosen
    }


def _map_lines(session, distributor_id, tenant_reseller, items, executed, codes, now):
    """The executed items with their distributor products, plans, add-ons and prices;
    ``codes``: the product code of each (:func:`_product_codes`)."""
    chosen = [items[i] for i in sorted(executed)]
    products = {
        p.code: p
        for p in session.scalars(
            _DISTRIBUTOR_PRODUCTS,
            {"tenant_id": distributor_id, "codes": sorted(set(codes.values()))},
        )
    }
    new_item_ids = {i.id for i in items.values() if i.kind == ItemKind.NEW}
    lines: list[_Line] = []
    missing: set[str] = set()
    for item in chosen:
        quantity = executed[item.id]
        code = codes[item.id]
        product = products.get(code)
        if product is None:
            missing.add(code)
            continue
        source_sub = _source_subscription(session, item, items)
        plan = _matching_plan(product, item.plan or (source_sub.plan if source_sub else None))
        addon = None
        if item.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
            addon = _matching_addon(product, item.addon_id and session.get(AddOn, item.addon_id))
            if addon is None:
                missing.add(f"{code} add-on")
                continue
        one_off = bool(plan and plan.billing_cycle == BillingCycle.ONE_OFF)
        line = ExecutedLine(
            item_id=item.id,
            kind=item.kind,
            quantity=quantity,
            one_off=one_off and item.kind == ItemKind.NEW,
            has_subscription=item.kind != ItemKind.NEW or item.executed_quantity > quantity,
            belongs_to_new_item=bool(item.parent_item_id in new_item_ids),
            subscription_quantity=source_sub.quantity if source_sub else None,
        )
        lines.append(_Line(item, line, product, plan, addon, source_sub, ZERO, None))
    if lines:  # nothing to price (every product missing): the distributor's day is not read
        # the distributor's promotions are read on its own day (its time zone)
        on = promotion_service.tenant_today(session, distributor_id, now)
        _apply_prices(session, distributor_id, tenant_reseller.price_list_id, lines, on)
    return lines, missing


def _apply_prices(session, distributor_id, price_list_id, lines: list[_Line], on: date) -> None:
    """Price every line from the distributor's price list of the reseller account, with the
    distributor's best active promotion for the ordered product on the effective date; add-ons
    are priced on their own (a product's promotion does not discount them) and trials are free.
    A few queries for the whole order, not a few per line."""
    plan_ids = {line.plan.id for line in lines if line.plan and line.addon is None}
    addon_ids = {line.addon.id for line in lines if line.addon}
    plan_prices = pricing.plan_prices(session, price_list_id, plan_ids)
    addon_prices = pricing.addon_prices(session, price_list_id, addon_ids)
    promotions = promotion_service.load_terms(
        session, distributor_id, {line.product.id for line in lines if line.addon is None}, on
    )
    for line in lines:
        if line.item.trial:
            line.unit_price, line.discount = ZERO, None
        elif line.addon is not None:
            line.unit_price = addon_prices.get(line.addon.id, ZERO)
        else:
            unit = plan_prices.get(line.plan.id, ZERO) if line.plan else ZERO
            line.unit_price, line.discount = promotion_service.priced(
                promotions, line.product.id, line.plan.id if line.plan else None, unit, on
            )


def _source_subscription(session, item: OrderItem, items: dict[int, OrderItem]):
    subscription_id = item.subscription_id
    if subscription_id is None and item.parent_item_id:
        parent = items.get(item.parent_item_id) or session.get(OrderItem, item.parent_item_id)
        subscription_id = parent.subscription_id if parent else None
    if subscription_id is None:
        return None
    subscription = session.get(Subscription, subscription_id)
    if subscription is None or subscription.tenant_id != item.order.tenant_id:
        return None
    return subscription


def _matching_plan(product: Product, source_plan: Plan | None) -> Plan | None:
    """The distributor's plan that matches the reseller's: same name, else same billing cycle,
    else the product's first plan."""
    if not product.plans:
        return None
    if source_plan is not None:
        for plan in product.plans:
            if plan.name == source_plan.name:
                return plan
        for plan in product.plans:
            if plan.billing_cycle == source_plan.billing_cycle:
                return plan
    return product.plans[0]


def _matching_addon(product: Product, source_addon: AddOn | None) -> AddOn | None:
    if source_addon is None:
        return None
    return next((a for a in product.addons if a.name == source_addon.name), None)


def _item_specs(lines: list[_Line]) -> list[ItemSpec]:
    specs: list[ItemSpec] = []
    index_of_item: dict[int, int] = {}
    for line in lines:
        item = line.item
        parent_index = index_of_item.get(item.parent_item_id) if item.parent_item_id else None
        name = line.product.name
        if line.addon is not None:
            name = f"{line.product.name} · {line.addon.name}"
        elif line.plan is not None:
            name = f"{line.product.name} ({line.plan.name})"
        specs.append(
            ItemSpec(
                product_id=line.product.id,
                description=name[:300],
                quantity=line.executed.quantity,
                unit_price=line.unit_price,
                kind=item.kind,
                plan_id=line.plan.id if line.plan else None,
                addon_id=line.addon.id if line.addon else None,
                subscription_id=line.mirror.id if line.mirror else None,
                target_product_id=line.product.id if item.kind == ItemKind.UPGRADE else None,
                execution_type=_execution_type(line),
                trial=bool(item.trial),
                discount_percent=line.discount,
                parent_index=parent_index,
            )
        )
        line.spec_index = len(specs) - 1
        index_of_item[item.id] = line.spec_index
    return specs


def _execution_type(line: _Line) -> str:
    if line.product.is_bundle:
        return line.item.execution_type
    return product_execution_type(line.product.product_type.non_automatic_execution)


# --- mirrored records in the distributor -----------------------------------------------------


def _mirror_account(session, distributor_id, reseller_tenant_id, order, tenant_reseller):
    """The reseller's end customer as an account of the distributor, created as needed."""
    source = order.account
    ref = rules.mirrored_account_ref(reseller_tenant_id, source.id)
    account = session.scalar(
        select(Account).where(Account.tenant_id == distributor_id, Account.external_ref == ref)
    )
    if account is None:
        account = Account(
            tenant_id=distributor_id,
            name=source.name,
            kind=AccountKind.END_CUSTOMER,
            email=source.email,
            reseller_account_id=tenant_reseller.id,
            external_ref=ref,
            price_list_id=tenant_reseller.price_list_id,
            payment_method=tenant_reseller.payment_method,
            timezone=source.timezone,
            billing_name=source.billing_name or source.name,
            billing_address=source.billing_address,
        )
        session.add(account)
        session.flush()
    else:
        account.name = source.name
    return account


def _find_mirror(session, distributor_id, customer, ref) -> Subscription | None:
    return session.scalar(
        select(Subscription)
        .join(SubscriptionHistory, SubscriptionHistory.subscription_id == Subscription.id)
        .where(
            Subscription.tenant_id == distributor_id,
            Subscription.account_id == customer.id,
            SubscriptionHistory.change == MIRRORED,
            SubscriptionHistory.detail == ref,
        )
        .limit(1)
    )


def _find_or_create_mirror(session, distributor_id, reseller_tenant_id, customer, line, now):
    source = line.source_subscription
    ref = rules.mirrored_subscription_ref(reseller_tenant_id, source.id)
    mirror = _find_mirror(session, distributor_id, customer, ref)
    if mirror is not None:
        return mirror
    # a subscription the distributor has not seen yet: mirror it as it was before this change
    quantity = source.quantity
    history = rules.relation(line.executed) == Relation.HISTORY_LINE
    if history and line.item.kind in (ItemKind.NEW, ItemKind.LICENSES):
        quantity = max(1, source.quantity - line.executed.quantity)
    product = line.product
    mirror = Subscription(
        tenant_id=distributor_id,
        account_id=customer.id,
        product_id=product.id,
        plan_id=line.plan.id if line.plan else _first_plan_id(product),
        quantity=quantity,
        status=source.status,
        is_trial=source.is_trial,
        trial_ends_on=source.trial_ends_on,
        start_date=source.start_date,
    )
    if line.item.kind == ItemKind.TO_PAID:
        mirror.is_trial, mirror.trial_ends_on = True, None
    session.add(mirror)
    session.flush()
    session.add(
        SubscriptionHistory(
            subscription_id=mirror.id, at=now, change=MIRRORED, detail=ref, to_quantity=quantity
        )
    )
    return mirror


def _mirror_billing_terms(line: _Line, tenant_reseller) -> None:
    """Recurring billing (issue 17): the distributor's mirror of a new subscription renews in
    the distributor's own billing run, billed to the tenant reseller at the distributor's
    price, on the source subscription's periods. A renewal in the reseller therefore makes no
    back-order (README: "Recurring billing")."""
    mirror, source = line.mirror, line.source_subscription
    if mirror.current_period_start is not None or line.item.kind != ItemKind.NEW:
        return  # already has its terms (a later change to it): the price stays
    mirror.billing_account_id = tenant_reseller.id
    mirror.billing_cycle = source.billing_cycle
    mirror.commitment_months = source.commitment_months
    mirror.current_period_start = source.current_period_start
    mirror.current_period_end = source.current_period_end
    mirror.next_billing_date = source.next_billing_date
    mirror.term_end = source.term_end
    mirror.unit_price = line.unit_price
    mirror.currency = source.currency


def _first_plan_id(product: Product) -> int | None:
    return product.plans[0].id if product.plans else None


def _relate(session, backorder: Order, line: _Line, now: datetime) -> None:
    """Show the back-order in the distributor's subscription view, by the rules of seed 003."""
    mirror, source = line.mirror, line.source_subscription
    if mirror is None or source is None:
        return
    relation = rules.relation(line.executed)
    before = mirror.quantity
    kind = line.item.kind
    if kind == ItemKind.UPGRADE and line.plan is not None:
        mirror.product_id, mirror.plan_id = line.product.id, line.plan.id
    if kind != ItemKind.ADDON_NEW and kind != ItemKind.ADDON_QUANTITY:
        mirror.quantity = source.quantity
        mirror.is_trial, mirror.trial_ends_on = source.is_trial, source.trial_ends_on
    if relation == Relation.ORDER_FIELD:
        mirror.order_id = backorder.id
    elif relation == Relation.HISTORY_LINE:
        session.add(
            SubscriptionHistory(
                subscription_id=mirror.id,
                at=now,
                change=rules.history_change(kind),
                detail=line.item.description,
                from_quantity=before,
                to_quantity=mirror.quantity,
                order_id=backorder.id,
            )
        )
    elif relation == Relation.ADDON_SOURCE:
        _relate_addon(session, backorder, line, mirror, source)


def _relate_addon(session, backorder, line, mirror, source) -> None:
    source_addon = session.scalar(
        select(SubscriptionAddOn).where(
            SubscriptionAddOn.subscription_id == source.id,
            SubscriptionAddOn.addon_id == line.item.addon_id,
        )
    )
    quantity = source_addon.quantity if source_addon else line.executed.quantity
    mirrored = session.scalar(
        select(SubscriptionAddOn).where(
            SubscriptionAddOn.subscription_id == mirror.id,
            SubscriptionAddOn.addon_id == line.addon.id,
        )
    )
    if mirrored is None:
        session.add(
            SubscriptionAddOn(
                subscription_id=mirror.id,
                addon_id=line.addon.id,
                quantity=quantity,
                source_order_id=backorder.id,
            )
        )
    else:
        mirrored.quantity = quantity
        mirrored.source_order_id = backorder.id
