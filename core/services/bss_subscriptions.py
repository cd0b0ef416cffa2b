"""The BSS subscription view (PRODUCT.md section 8): a tenant's subscriptions with the orders
related to them — the Order field, the orders of history lines, and each add-on's Source Type.

In a distributor these include the subscriptions mirrored from its tenant resellers, related to
the back-orders; every query is scoped to the signed-in user's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.models import (
    Account,
    AddOn,
    Order,
    Plan,
    Product,
    Subscription,
    SubscriptionAddOn,
    SubscriptionHistory,
)
from core.services.errors import NotFound

PER_PAGE = 50


@dataclass
class SubscriptionRow:
    subscription: Subscription
    account_name: str
    product_name: str
    plan_name: str | None
    order_number: str | None


@dataclass
class SubscriptionPage:
    rows: list[SubscriptionRow]
    page: int
    has_next: bool


@dataclass
class HistoryLine:
    line: SubscriptionHistory
    label: str
    detail: str | None
    order: Order | None


@dataclass
class AddOnLine:
    addon: SubscriptionAddOn
    name: str
    source_order: Order | None


@dataclass
class SubscriptionDetail:
    subscription: Subscription
    account: Account
    product: Product
    plan: Plan | None
    order: Order | None  # the "Order" field
    history: list[HistoryLine]
    addons: list[AddOnLine]


CHANGE_LABELS = {
    "created": "Created",
    "mirrored": texts.SUBSCRIPTION_MIRRORED,
    "quantity_change": "Quantity change",
    "addon_new": "Add-on added",
    "addon_quantity": "Add-on quantity change",
    "upgrade": "Upgrade or downgrade",
    "trial_to_paid": "Trial upgraded to paid",
}


def list_subscriptions(session: Session, tenant_id: int, page: int = 1) -> SubscriptionPage:
    page = max(1, page)
    rows = session.execute(
        select(Subscription, Account.name, Product.name, Plan.name, Order.number)
        .join(Account, Account.id == Subscription.account_id)
        .join(Product, Product.id == Subscription.product_id)
        .outerjoin(Plan, Plan.id == Subscription.plan_id)
        .outerjoin(Order, Order.id == Subscription.order_id)
        .where(Subscription.tenant_id == tenant_id)
        .order_by(Subscription.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    result = [SubscriptionRow(*row) for row in rows[:PER_PAGE]]
    return SubscriptionPage(result, page, len(rows) > PER_PAGE)


def get_subscription(session: Session, tenant_id: int, subscription_id: int) -> SubscriptionDetail:
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.id == subscription_id, Subscription.tenant_id == tenant_id
        )
    )
    if subscription is None:
        raise NotFound(texts.NOT_FOUND)
    orders = _orders_of(session, tenant_id, subscription)
    history = [
        HistoryLine(
            line,
            CHANGE_LABELS.get(line.change, line.change.replace("_", " ").capitalize()),
            None if line.change == "mirrored" else line.detail,
            orders.get(line.order_id),
        )
        for line in session.scalars(
            select(SubscriptionHistory)
            .where(SubscriptionHistory.subscription_id == subscription.id)
            .order_by(SubscriptionHistory.at, SubscriptionHistory.id)
        )
    ]
    addons = [
        AddOnLine(addon, name, orders.get(addon.source_order_id))
        for addon, name in session.execute(
            select(SubscriptionAddOn, AddOn.name)
            .join(AddOn, AddOn.id == SubscriptionAddOn.addon_id)
            .where(SubscriptionAddOn.subscription_id == subscription.id)
            .order_by(SubscriptionAddOn.id)
        )
    ]
    return SubscriptionDetail(
        subscription=subscription,
        account=session.get(Account, subscription.account_id),
        product=session.get(Product, subscription.product_id),
        plan=session.get(Plan, subscription.plan_id) if subscription.plan_id else None,
        order=orders.get(subscription.order_id),
        history=history,
        addons=addons,
    )


def _orders_of(session: Session, tenant_id: int, subscription: Subscription) -> dict[int, Order]:
    """Every order the subscription view links to, in one query (same tenant only)."""
    ids = {subscription.order_id} if subscription.order_id else set()
    ids |= set(
        session.scalars(
            select(SubscriptionHistory.order_id).where(
                SubscriptionHistory.subscription_id == subscription.id,
                SubscriptionHistory.order_id.is_not(None),
            )
        )
    )
    ids |= set(
        session.scalars(
            select(SubscriptionAddOn.source_order_id).where(
                SubscriptionAddOn.subscription_id == subscription.id,
                SubscriptionAddOn.source_order_id.is_not(None),
            )
        )
    )
    if not ids:
        return {}
    return {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.id.in_(ids), Order.tenant_id == tenant_id)
        )
    }
