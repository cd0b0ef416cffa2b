"""Executing an order, whole or in part (PRODUCT.md 6.3), exactly once.

Executing produces the invoice lines and the subscriptions (or subscription changes) for what
was executed and starts provisioning. The primary order's status is derived from what has been
executed, never typed in. Two users executing the same order at once never execute a quantity
twice: the order row is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and
the database refuses an executed quantity above the ordered one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core import texts
from core.db import utcnow, write_transaction
from core.models import (
    Account,
    BillingCharge,
    BillingCycle,
    HoldReason,
    Invoice,
    ItemKind,
    Order,
    OrderItem,
    OrderSource,
    OrderStatus,
    Plan,
    PlanPrice,
    Product,
    ProductType,
    Subscription,
    SubscriptionAddOn,
    SubscriptionHistory,
    User,
)
from core.rules import billing_periods as periods
from core.rules import execution_plan as plan_rules
from core.rules.catalogue import trial_days_for
from core.rules.execution_plan import ExecutionPlanError, LineState
from core.rules.statuses import OrderStatusType
from core.services import (
    backorders,
    bulk,
    invoicing,
    order_messages,
    provisioning,
    subscription_changes,
)
from core.services import promotions as promotion_service
from core.services.audit import (
    hold_event,
    order_event,
    record_order_event,
    record_order_events,
)
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.statuses import StatusBook, set_order_status

CENT = Decimal("0.01")


@dataclass
class ExecutionResult:
    order: Order
    sub_order: Order | None
    invoice: Invoice | None
    executed: dict[int, int] = field(default_factory=dict)  # primary item id -> quantity
    fully_executed: bool = False


def line_amount(item: OrderItem, quantity: int) -> Decimal:
    amount = item.unit_price * quantity
    if item.discount_percent:
        amount = amount * (Decimal(100) - item.discount_percent) / Decimal(100)
    return amount.quantize(CENT)


def lock_order(session: Session, tenant_id: int, order_id: int, *, joined: bool = False) -> Order:
    """Load an order of the tenant with its row locked for the rest of the transaction.

    Its items too: their executed quantities are what we compare against; they become the
    order's collection, so reading ``order.items`` does not load them a second time.
    ``joined``: the order and its items in one statement (issue 19, fifth pass: a checkout's
    order, a few lines, saves a round trip in each transaction of its placement); without
    it two statements, cheaper for a large order (the joined rows repeat the order's columns:
    +6 % Python work for a 500-item execution)."""
    values = {"order_id": order_id, "tenant_id": tenant_id}
    if joined:
        rows = session.execute(_LOCK_ORDER_AND_ITEMS, values).all()
        if rows:
            order = rows[0][0]
            set_committed_value(order, "items", [item for _order, item in rows])
            return order
        # no items: the order alone (or none)
    order = session.scalar(_LOCK_ORDER, values)
    if order is None:
        raise NotFound("That order does not exist.")
    items = [] if joined else session.scalars(_LOCK_ITEMS, {"order_id": order.id}).all()
    set_committed_value(order, "items", list(items))
    return order


# built once: every execution and checkout step that writes an order locks it (issue 19)
_LOCK_ORDER = (
    select(Order)
    .where(Order.id == bindparam("order_id"), Order.tenant_id == bindparam("tenant_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOCK_ITEMS = (
    select(OrderItem)
    .where(OrderItem.order_id == bindparam("order_id"))
    .order_by(OrderItem.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
_LOCK_ORDER_AND_ITEMS = (
    select(Order, OrderItem)
    .join(OrderItem, OrderItem.order_id == Order.id)
    .where(Order.id == bindparam("order_id"), Order.tenant_id == bindparam("tenant_id"))
    .order_by(OrderItem.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)


def line_states(order: Order) -> list[LineState]:
    return [LineState(i.id, i.quantity, i.executed_quantity) for i in order.items]


def execute_order(
    session: Session,
    tenant_id: int,
    order_id: int,
    quantities: dict[int, int] | None = None,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    now: datetime | None = None,
) -> ExecutionResult:
    """Use case: execute everything left (``quantities=None``) or the chosen quantities."""
    with write_transaction(session):
        order = lock_order(session, tenant_id, order_id)
        return apply_execution(
            session, order, quantities, actor=actor, actor_name=actor_name, now=now
        )


def check_executable(order: Order) -> None:
    if order.parent_order_id is not None:
        raise Conflict("A sub-order is already executed.")
    if order.status.type == OrderStatusType.CANCELLED:
        raise Conflict("A cancelled order cannot be executed.")
    if order.status.type in (OrderStatusType.AUTOMATIC_EXECUTE, OrderStatusType.DELIVERED):
        raise Conflict(plan_rules.NOTHING_LEFT)
    if any(h.reason == HoldReason.RESELLER_APPROVAL and h.released_at is None for h in order.holds):
        raise Conflict("This order is waiting for the reseller's approval.")
    if not order.items:
        raise Conflict("This order has no items to execute.")


def apply_execution(
    session: Session,
    order: Order,
    quantities: dict[int, int] | None = None,
    *,
    actor: User | None = None,
    actor_name: str = "system",
    now: datetime | None = None,
    release_holds: bool = True,
    executed_status: OrderStatus | None = None,
    tax: invoicing.TaxContext | None = None,
    book: StatusBook | None = None,
    paid: bool = False,
) -> ExecutionResult:
    """Execute within the caller's transaction; ``order`` must be locked (:func:`lock_order`).
    ``paid``: its charge is paid (a card payment succeeded): the invoice is issued paid.

    What this execution completes (the order, or the sub-order of a partial execution) gets
    ``executed_status``, one of the execution outcomes, by default the resolved Executed.
    ``tax`` and ``book``: the tenant's tax settings and statuses when the caller already read
    them (a card checkout's placement), else read here."""
    now = now or utcnow()
    check_executable(order)
    states = line_states(order)
    try:
        plan = plan_rules.plan_execution(states, quantities)
    except ExecutionPlanError as error:
        raise ValidationFailed(str(error), {str(k): [v] for k, v in error.errors.items()}) from None
    book = book or StatusBook.load(session, order.tenant_id)
    executed_status = executed_status or book.executed()
    partial = plan_rules.is_partial(states, plan)

    leaves_some = any(line.remaining - plan.get(line.item_id, 0) > 0 for line in states)
    if release_holds:
        released = []
        for hold in order.holds:
            # what is left of a manual order still needs manual execution: that hold (and its
            # ribbon) stays until the last quantity is executed; the others a BSS user's
            # execution resolves at once
            if hold.reason == HoldReason.MANUAL_EXECUTION and leaves_some:
                continue
            if hold.released_at is None:
                hold.released_at = now
                hold.released_by_user_id = actor.id if actor else None
                hold.release_note = "Released by execution"
                released.append(
                    hold_event(
                        order,
                        "release",
                        texts.HOLD_RELEASED_BY_EXECUTION,
                        hold.reason,
                        actor=actor,
                        actor_name=actor_name,
                    )
                )
        record_order_events(session, released)

    items = {i.id: i for i in order.items}
    catalogue = _catalogue_for(session, order, [items[i] for i in plan])
    sub_order = _create_sub_order(session, order, executed_status, now) if partial else None
    if sub_order is not None:
        # a sub-order is born Executed: its history says so, by whom and when (issue 8)
        record_order_event(
            session,
            sub_order,
            "status",
            actor=actor,
            actor_name=actor_name,
            to_status_id=sub_order.status_id,
            note=f"Partial execution of {order.number}",
        )
    target = sub_order or order
    # one flush for every sub-order item (batched inserts), not one per item
    executed_items: dict[int, OrderItem] = {}
    for item_id, quantity in sorted(plan.items()):
        item = items[item_id]
        # written with the new subscription's id, in one statement for all the items
        # (:func:`_write_executed`, issue 19: it was two UPDATEs per item)
        set_committed_value(item, "executed_quantity", item.executed_quantity + quantity)
        executed_items[item_id] = item
        if sub_order is not None:
            executed_items[item_id] = OrderItem(
                order_id=sub_order.id,
                kind=item.kind,
                product_id=item.product_id,
                plan_id=item.plan_id,
                addon_id=item.addon_id,
                subscription_id=item.subscription_id,
                target_product_id=item.target_product_id,
                source_item_id=item.id,
                description=item.description,
                execution_type=item.execution_type,
                quantity=quantity,
                executed_quantity=quantity,
                unit_price=item.unit_price,
                discount_percent=item.discount_percent,
                trial=item.trial,
            )
            session.add(executed_items[item_id])
    if sub_order is not None:
        session.flush()  # the sub-order's items get their ids
    # issue 17: an increase of an existing subscription bills its prorated rest of the period
    # (priced before the change is applied, on the tenant's day of execution)
    today = promotion_service.tenant_today(session, order.tenant_id, now)
    prorated = {
        item_id: subscription_changes.executed_line(session, order, items[item_id], quantity, today)
        for item_id, quantity in plan.items()
        if subscription_changes.is_increase(items[item_id].kind, items[item_id].subscription_id)
    }
    first_periods = _apply_to_subscriptions(session, order, target, items, plan, catalogue, now)
    _write_executed(session, [items[item_id] for item_id in sorted(plan)])
    # the invoice of what was executed (issue 17: numbered, taxed, with the bill-to and the
    # seller); a new subscription's line bills its first period
    lines = []
    for item_id, quantity in sorted(plan.items()):
        item = items[item_id]
        sub_id = item.subscription_id or (
            items[item.parent_item_id].subscription_id if item.parent_item_id in items else None
        )
        period = first_periods.get(sub_id) if item.kind in _FIRST_PERIOD_KINDS else None
        change = prorated.get(item_id)
        if change is not None:
            period = change.period
        lines.append(
            invoicing.LineDraft(
                description=change.description if change is not None else item.description,
                quantity=quantity,
                unit_price=item.unit_price,
                discount_percent=item.discount_percent,
                order_item_id=executed_items[item_id].id,
                subscription_id=sub_id,
                period_start=period.start if period else None,
                period_end=period.end if period else None,
                net=change.amount if change is not None else None,
            )
        )
    account = session.get(Account, order.billing_account_id or order.account_id)
    invoice = invoicing.issue(
        session,
        tenant_id=order.tenant_id,
        account=account,
        lines=lines,
        currency=order.currency,
        issue_date=now.date(),
        order=target,
        context=tax,
        now=now,
        paid=paid,
    )
    _record_first_charges(session, order.tenant_id, invoice.id, lines, first_periods, now)
    if sub_order is not None:
        # the sub-order holds exactly what this execution invoiced: its total is that amount
        sub_order.total = invoice.net_total
    session.flush()

    fully = plan_rules.is_fully_executed(line_states(order))
    note = ", ".join(f"{items[i].description} × {q}" for i, q in sorted(plan.items()))
    # the execution's history line and its status's, one INSERT
    lines = [
        order_event(
            order,
            "execution",
            actor=actor,
            actor_name=actor_name,
            note=f"Executed {note}" + (f" as {sub_order.number}" if sub_order else ""),
        )
    ]
    if fully:  # written now with its status, one UPDATE (no flush for it: eighth pass)
        set_order_status(
            session,
            order,
            executed_status,
            actor=actor,
            actor_name=actor_name,
            note="Every quantity executed",
            lines=lines,
            columns={"executed_at": now},
        )
    elif (
        order.status.type != OrderStatusType.IN_PROGRESS
        or order.status.storefront_type != "viewable"
    ):
        set_order_status(
            session,
            order,
            book.submitted(),
            actor=actor,
            actor_name=actor_name,
            note="Partially executed",
            lines=lines,
        )
    record_order_events(session, lines)
    backorders.record_backorders(session, order, plan, now)
    order_messages.executed(session, order, invoice, sub_order=sub_order, fully=fully, now=now)
    session.flush()
    return ExecutionResult(order, sub_order, invoice, dict(plan), fully)


def _create_sub_order(
    session: Session, order: Order, executed: OrderStatus, now: datetime
) -> Order:
    count = session.scalar(select(func.count()).where(Order.parent_order_id == order.id)) or 0
    sub = Order(
        tenant_id=order.tenant_id,
        number=f"{order.number}-{count + 1}",
        name=order.name,
        account_id=order.account_id,
        billing_account_id=order.billing_account_id,
        status_id=executed.id,
        storefront_status_id=executed.id,
        parent_order_id=order.id,
        source=order.source,
        execution_type=order.execution_type,
        price_list_id=order.price_list_id,
        payment_method=order.payment_method,
        currency=order.currency,
        order_date=now,
        executed_at=now,
        created_by_user_id=order.created_by_user_id,
    )
    session.add(sub)
    session.flush()
    return sub


@dataclass
class _Catalogue:
    """What the execution reads of the catalogue for the executed items."""

    plans: dict[int, Plan]
    products: dict[int, Product]
    list_prices: dict[int, Decimal]  # plan id -> price list price (see _list_price_plans)
    connectors: dict[int, str | None]  # product id -> its product type's connector


# built once (bound parameters): every execution runs them
_PLANS = select(Plan).where(Plan.id.in_(bindparam("plan_ids", expanding=True)))
_PLANS_PRICED = _PLANS.add_columns(PlanPrice.price).outerjoin(
    PlanPrice,
    (PlanPrice.plan_id == Plan.id) & (PlanPrice.price_list_id == bindparam("price_list_id")),
)
# the products with their type's connector and, joined, those of their plans the items name
# with the plan's price in the order's price list: one statement (issue 19, sixth pass: the
# plans were a second one)
_PRODUCTS_AND_PLANS = (
    select(Product, ProductType.connector, Plan, PlanPrice.price)
    .outerjoin(ProductType, ProductType.id == Product.product_type_id)
    .outerjoin(
        Plan,
        (Plan.product_id == Product.id) & Plan.id.in_(bindparam("plan_ids", expanding=True)),
    )
    .outerjoin(
        PlanPrice,
        (PlanPrice.plan_id == Plan.id) & (PlanPrice.price_list_id == bindparam("price_list_id")),
    )
    .where(Product.id.in_(bindparam("product_ids", expanding=True)))
)


def _catalogue_for(session: Session, order: Order, items: list[OrderItem]) -> _Catalogue:
    """The products (with their type's connector) of the executed items and their plans
    (with their price list price), in one query (issue 19: it was four, one of them after
    the provisioning tasks' INSERT to find their connector, then two). A plan of none of the
    items' products (never made by the Storefront or the BSS) is read on its own."""
    plan_ids = {i.plan_id for i in items if i.plan_id}
    product_ids = {i.product_id for i in items} | {
        i.target_product_id for i in items if i.target_product_id
    }
    priced = _list_price_plans(order, items)
    plans: dict[int, Plan] = {}
    list_prices: dict[int, Decimal] = {}
    products: dict[int, Product] = {}
    connectors: dict[int, str | None] = {}
    values = {
        "product_ids": list(product_ids),
        "plan_ids": list(plan_ids),
        "price_list_id": order.price_list_id,
    }

    def keep(item_plan: Plan, price: Decimal | None) -> None:
        plans[item_plan.id] = item_plan
        if item_plan.id in priced and price is not None:
            list_prices[item_plan.id] = price

    for product, connector, item_plan, price in session.execute(_PRODUCTS_AND_PLANS, values):
        products[product.id] = product
        connectors[product.id] = connector
        if item_plan is not None:
            keep(item_plan, price)
    if missing := plan_ids - plans.keys():
        values = {"plan_ids": list(missing), "price_list_id": order.price_list_id}
        for item_plan, price in session.execute(_PLANS_PRICED, values):
            keep(item_plan, price)
    return _Catalogue(plans, products, list_prices, connectors)


def _apply_to_subscriptions(
    session: Session,
    order: Order,
    target: Order,
    items: dict[int, OrderItem],
    plan: dict[int, int],
    catalogue: _Catalogue,
    now: datetime,
) -> None:
    """Create or change the subscriptions for what is executed now; start provisioning.

    New subscriptions are inserted together (one statement, ids returned in order) before the
    changes that may refer to them (add-ons of a new item executed in the same run)."""
    today = now.date()
    tasks: list[dict] = []
    new_items: list[OrderItem] = []
    new_rows: list[dict] = []
    first_periods: dict[int, periods.Period] = {}
    plans, products, list_prices = catalogue.plans, catalogue.products, catalogue.list_prices

    def task(subscription_id, action, product_id):
        tasks.append(
            {
                "tenant_id": order.tenant_id,
                "order_id": target.id,
                "subscription_id": subscription_id,
                "product_id": product_id,
                "action": action,
                "status": "started",
                "created_at": now,
                # the connector of its product's type, written with the task (issue 19)
                "connector": provisioning.connector_of(catalogue.connectors.get(product_id)),
                "updated_at": now,
            }
        )

    def one_off(item: OrderItem) -> bool:
        item_plan = plans.get(item.plan_id)
        return item_plan is not None and item_plan.billing_cycle == "one_off"

    for item_id, quantity in sorted(plan.items()):
        item = items[item_id]
        if item.kind != ItemKind.NEW or item.subscription_id:
            continue
        if one_off(item):
            task(None, "deliver", item.product_id)
            continue
        item_plan = plans.get(item.plan_id)
        trial_days = (
            trial_days_for(
                item_plan.trial_days if item_plan else None,
                products[item.product_id].trial_days,
            )
            if item.trial
            else None
        )
        new_items.append(item)
        new_rows.append(
            {
                **_billing_terms(item, item_plan, order, today, trial_days, list_prices),
                "tenant_id": order.tenant_id,
                "account_id": order.account_id,
                "product_id": item.product_id,
                "plan_id": item.plan_id,
                "quantity": quantity,
                "status": "active",
                "is_trial": bool(item.trial),
                "trial_ends_on": today + timedelta(days=trial_days) if trial_days else None,
                "start_date": today,
                "order_id": target.id,
                "created_at": now,
            }
        )
    if new_rows:
        # one executemany, then the ids in insertion order: nothing else can point a
        # subscription at this (new or never executed) target yet, and ids only grow
        # (RETURNING in parameter order would be one INSERT per row on SQLite)
        ids = bulk.insert_rows(session, Subscription.__table__, new_rows, returning="id")
        history = []
        for item, row, subscription_id in zip(new_items, new_rows, ids, strict=True):
            # written with its executed quantity (:func:`_write_executed`)
            set_committed_value(item, "subscription_id", subscription_id)
            if not row["is_trial"]:
                first_periods[subscription_id] = periods.Period(
                    row["current_period_start"], row["current_period_end"]
                )
            history.append(
                {
                    "subscription_id": subscription_id,
                    "at": now,
                    "change": "created",
                    "to_quantity": row["quantity"],
                    "order_id": target.id,
                }
            )
            task(subscription_id, item.kind, item.product_id)
        _insert_many(session, SubscriptionHistory, history)
    done = {item.id for item in new_items}
    for item_id, quantity in sorted(plan.items()):
        item = items[item_id]
        if item_id in done or (item.kind == ItemKind.NEW and one_off(item)):
            continue  # created above, or a one-off delivery whose task is already there
        subscription = _change_subscription(session, order, target, item, quantity, now)
        task(
            subscription.id if subscription else None,
            item.kind,
            item.target_product_id or item.product_id,
        )
    provisioning.start_tasks(session, order.tenant_id, tasks, now)
    return first_periods


# --- recurring billing (issue 17): a new subscription's billing terms, its first period ----

# items whose invoice line bills the first period of a subscription created by this order
_FIRST_PERIOD_KINDS = (ItemKind.NEW, ItemKind.ADDON_NEW)


def _list_price_plans(order: Order, items: list[OrderItem]) -> set[int]:
    """The plans whose price list price a new subscription renews at, for Storefront orders:
    a subscription renews at its plan's list price of the day it was bought (the order item's
    price may be lowered by a fixed-amount promotion of that day). Orders entered in the BSS,
    from offers or back-orders renew at their item's (negotiated) price."""
    if order.source != OrderSource.STOREFRONT or not order.price_list_id:
        return set()
    return {i.plan_id for i in items if i.plan_id and i.kind == ItemKind.NEW}


def _billing_terms(item, item_plan, order, today, trial_days, list_prices) -> dict:
    """The billing columns of a new subscription: cycle and commitment from its plan, the
    first period from today (billed by this execution's invoice), or the trial until its
    end; auto-renew on; the price it renews at."""
    cycle = item_plan.billing_cycle if item_plan is not None else BillingCycle.MONTHLY
    if cycle not in (BillingCycle.MONTHLY, BillingCycle.ANNUAL):
        cycle = BillingCycle.MONTHLY
    commitment = (item_plan.commitment_months or 0) if item_plan is not None else 0
    if trial_days:
        trial_end = today + timedelta(days=trial_days)
        first = periods.Period(today, trial_end)
        term_end, next_billing = trial_end, trial_end
    else:
        first, terms = periods.initial_terms(today, cycle, commitment)
        term_end, next_billing = terms.term_end, terms.next_billing_date
    return {
        "billing_cycle": cycle,
        "commitment_months": commitment,
        "current_period_start": first.start,
        "current_period_end": first.end,
        "next_billing_date": next_billing,
        "term_end": term_end,
        "auto_renew": True,
        "unit_price": list_prices.get(item.plan_id, item.unit_price),
        "currency": order.currency,
        "billing_account_id": order.billing_account_id or order.account_id,
    }


def _record_first_charges(session, tenant_id, invoice_id, lines, first_periods, now) -> None:
    """The exactly-once key of each new subscription's first period: billed by this invoice,
    so the billing run never bills it again. Its amount is its lines' net amount, taken from
    the drafts the invoice was issued from (issue 19: not read back from the invoice), summed
    in one pass over the lines (it was one pass per subscription: 250,000 for 500 items)."""
    amounts: dict[int, Decimal] = {}
    for line in lines:
        if line.subscription_id in first_periods:
            amounts[line.subscription_id] = (
                amounts.get(line.subscription_id, Decimal("0.00")) + line.net_amount()
            )
    _insert_many(
        session,
        BillingCharge,
        [
            {
                "tenant_id": tenant_id,
                "subscription_id": subscription_id,
                "period_start": period.start,
                "period_end": period.end,
                "kind": "period",
                "invoice_id": invoice_id,
                "amount": amounts.get(subscription_id, Decimal("0.00")),
                "created_at": now,
            }
            for subscription_id, period in sorted(first_periods.items())
        ],
    )


def _insert_many(session: Session, model, rows: list[dict]) -> None:
    """Rows nobody reads back in this transaction: one statement (:mod:`bulk`)."""
    bulk.insert_rows(session, model.__table__, rows)


def _write_executed(session: Session, items: list[OrderItem]) -> None:
    """The executed items' new executed quantities and subscriptions, one statement for all
    (their objects hold the values already; the CHECK on ``executed_quantity`` fires here if
    anything went wrong, and the transaction is undone)."""
    bulk.update_rows(
        session,
        OrderItem.__table__,
        [
            {
                "id": item.id,
                "executed_quantity": item.executed_quantity,
                "subscription_id": item.subscription_id,
            }
            for item in items
        ],
    )


def _change_subscription(
    session: Session, order: Order, target: Order, item: OrderItem, quantity: int, now: datetime
) -> Subscription | None:
    """An executed change to an existing subscription (or to one an earlier part created)."""
    subscription: Subscription | None = None
    if item.kind == ItemKind.NEW:  # an earlier partial execution created it
        subscription = session.get(Subscription, item.subscription_id)
        _change_quantity(session, subscription, quantity, target, now, "quantity_change")
    elif item.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
        subscription = _subscription_for(session, order, item)
        if subscription is None:
            raise Conflict("The add-on's subscription has not been executed yet.")
        existing = session.scalar(
            select(SubscriptionAddOn).where(
                SubscriptionAddOn.subscription_id == subscription.id,
                SubscriptionAddOn.addon_id == item.addon_id,
            )
        )
        if existing:
            existing.quantity += quantity
            existing.source_order_id = target.id
        else:
            session.add(
                SubscriptionAddOn(
                    subscription_id=subscription.id,
                    addon_id=item.addon_id,
                    quantity=quantity,
                    source_order_id=target.id,
                    unit_price=item.unit_price,  # issue 17: the price the add-on renews at
                )
            )
        session.add(
            SubscriptionHistory(
                subscription_id=subscription.id,
                at=now,
                change=item.kind,
                detail=item.description,
                to_quantity=quantity,
                order_id=target.id,
            )
        )
    elif item.kind == ItemKind.LICENSES:
        subscription = _subscription_for(session, order, item)
        _change_quantity(session, subscription, quantity, target, now, "quantity_change")
        # a pending reduction keeps the licenses just bought (its target grows by them)
        subscription_changes.grow_pending_reduction(session, subscription, quantity, now)
    elif item.kind == ItemKind.UPGRADE:
        subscription = _subscription_for(session, order, item)
        if subscription is None:
            raise Conflict("The subscription for this item does not exist.")
        # issue 17: from the next period every license bills the new plan's price
        subscription.unit_price = subscription_changes.upgraded_unit_price(
            session, order, item, subscription
        )
        # the add-ons held move to the new product's (same name) or end with the upgrade
        addons = subscription_changes.upgrade_addons(
            session, subscription, item.target_product_id, order.price_list_id
        )
        subscription_changes.carry_addons_over(session, subscription, addons, target.id, now)
        subscription.product_id = item.target_product_id or subscription.product_id
        if item.plan_id:
            subscription.plan_id = item.plan_id
        subscription.order_id = target.id
        session.add(
            SubscriptionHistory(
                subscription_id=subscription.id,
                at=now,
                change="upgrade",
                detail=item.description,
                order_id=target.id,
            )
        )
    elif item.kind == ItemKind.TO_PAID:
        subscription = _subscription_for(session, order, item)
        if subscription is None:
            raise Conflict("The subscription for this item does not exist.")
        subscription.is_trial = False
        subscription.trial_ends_on = None
        subscription.order_id = target.id
        session.add(
            SubscriptionHistory(
                subscription_id=subscription.id, at=now, change="trial_to_paid", order_id=target.id
            )
        )
    return subscription


def _subscription_for(session: Session, order: Order, item: OrderItem) -> Subscription | None:
    if item.subscription_id:
        sub = session.get(Subscription, item.subscription_id)
    elif item.parent_item_id:
        parent = session.get(OrderItem, item.parent_item_id)
        sub = session.get(Subscription, parent.subscription_id) if parent.subscription_id else None
    else:
        sub = None
    if sub is not None and (sub.tenant_id != order.tenant_id or sub.account_id != order.account_id):
        raise NotFound("That subscription does not exist.")
    return sub


def _change_quantity(session, subscription, quantity, target, now, change) -> None:
    if subscription is None:
        raise Conflict("The subscription for this item does not exist.")
    before = subscription.quantity
    subscription.quantity = before + quantity
    session.add(
        SubscriptionHistory(
            subscription_id=subscription.id,
            at=now,
            change=change,
            from_quantity=before,
            to_quantity=subscription.quantity,
            order_id=target.id,
        )
    )
