"""Distributor back-ordering (PRODUCT.md section 8, seed 003), as plain rules.

When a tenant reseller's BSS executes a change, one order is created in the distributor's BSS
for that execution. These rules decide, from what was executed (plain values), which action the
execution was, which lines the back-order gets, how the distributor's subscription view relates
the back-order to each subscription, and the ribbon text. No database, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core import texts
from core.enums import ItemKind


class BackorderAction:
    """What the reseller did; stored on the back-order (``Order.backorder_action``)."""

    NEW_SUBSCRIPTION = "new_subscription"
    QUANTITY_CHANGE = "quantity_change"
    BASKET_CHECKOUT = "basket_checkout"
    ADDON_ADDED = "addon_added"
    ADDON_QUANTITY = "addon_quantity"
    TRIAL_TO_PAID = "trial_to_paid"
    UPGRADE = "upgrade"
    ALL = (
        NEW_SUBSCRIPTION,
        QUANTITY_CHANGE,
        BASKET_CHECKOUT,
        ADDON_ADDED,
        ADDON_QUANTITY,
        TRIAL_TO_PAID,
        UPGRADE,
    )
    LABELS = {
        NEW_SUBSCRIPTION: "New subscription",
        QUANTITY_CHANGE: "Subscription quantity change",
        BASKET_CHECKOUT: "Basket checkout",
        ADDON_ADDED: "Add-on added to a subscription",
        ADDON_QUANTITY: "Add-on quantity change",
        TRIAL_TO_PAID: "Trial upgraded to paid",
        UPGRADE: "Subscription upgrade or downgrade",
    }


class Relation:
    """Where the distributor's subscription view shows the back-order (seed 003)."""

    ORDER_FIELD = "order_field"  # the subscription's "Order" field
    HISTORY_LINE = "history_line"  # a line of the subscription's history
    ADDON_SOURCE = "addon_source"  # the "Source Type" of an add-on
    NONE = "none"  # nothing to relate (a one-off product has no subscription)


@dataclass(frozen=True)
class ExecutedLine:
    """One item of the reseller's order and the quantity executed now."""

    item_id: int
    kind: str  # core.enums.ItemKind
    quantity: int
    one_off: bool = False  # a one-off product: delivered, no subscription
    has_subscription: bool = False  # the item changes (or, partly executed, created) one
    belongs_to_new_item: bool = False  # an add-on bought with a new subscription of this order
    subscription_quantity: int | None = None  # before an upgrade: tells full from partial


def triggers_backorder(lines: Iterable[ExecutedLine]) -> bool:
    """Only an execution creates a back-order: nothing executed, nothing created."""
    return any(line.quantity > 0 for line in lines)


def line_action(line: ExecutedLine) -> str:
    """The action one executed line stands for."""
    if line.kind == ItemKind.NEW:
        if line.one_off:
            return BackorderAction.BASKET_CHECKOUT
        # the rest of a partly executed new subscription only changes its quantity
        if line.has_subscription:
            return BackorderAction.QUANTITY_CHANGE
        return BackorderAction.NEW_SUBSCRIPTION
    if line.kind == ItemKind.LICENSES:
        return BackorderAction.QUANTITY_CHANGE
    if line.kind == ItemKind.ADDON_NEW:
        if line.belongs_to_new_item:
            return BackorderAction.NEW_SUBSCRIPTION
        return BackorderAction.ADDON_ADDED
    if line.kind == ItemKind.ADDON_QUANTITY:
        return BackorderAction.ADDON_QUANTITY
    if line.kind == ItemKind.TO_PAID:
        return BackorderAction.TRIAL_TO_PAID
    if line.kind == ItemKind.UPGRADE:
        return BackorderAction.UPGRADE
    raise ValueError(f"unknown item kind {line.kind!r}")


def classify(lines: Iterable[ExecutedLine]) -> str:
    """The action of a whole execution: the one action of its lines, or a basket checkout
    when it did several things at once (e.g. a Storefront basket with two products)."""
    lines = [line for line in lines if line.quantity > 0]
    if not lines:
        raise ValueError("nothing was executed")
    # an add-on bought with a new subscription is part of that new subscription
    main = [line for line in lines if not line.belongs_to_new_item] or lines
    actions = {line_action(line) for line in main}
    if len(main) == 1 and len(actions) == 1:
        return actions.pop()
    return BackorderAction.BASKET_CHECKOUT


def is_full_upgrade(upgraded_quantity: int, subscription_quantity: int | None) -> bool:
    """An upgrade (or downgrade) of every licence of the subscription is a full one."""
    return subscription_quantity is None or upgraded_quantity >= subscription_quantity


def relation(line: ExecutedLine) -> str:
    """How the distributor's subscription view shows the back-order for this line (seed 003):

    * Order field: new subscription, trial to paid, order execution, full upgrade/downgrade;
    * history line: subscription quantity change, partial upgrade/downgrade;
    * add-on Source Type: new add-on, add-on quantity change.
    """
    if line.kind == ItemKind.NEW:
        if line.one_off:
            return Relation.NONE
        return Relation.HISTORY_LINE if line.has_subscription else Relation.ORDER_FIELD
    if line.kind == ItemKind.LICENSES:
        return Relation.HISTORY_LINE
    if line.kind in (ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY):
        return Relation.ADDON_SOURCE
    if line.kind == ItemKind.TO_PAID:
        return Relation.ORDER_FIELD
    if line.kind == ItemKind.UPGRADE:
        full = is_full_upgrade(line.quantity, line.subscription_quantity)
        return Relation.ORDER_FIELD if full else Relation.HISTORY_LINE
    raise ValueError(f"unknown item kind {line.kind!r}")


def event_key(tenant_id: int, order_id: int, executed_units_after: int) -> str:
    """The unique key of one execution of a reseller's order.

    Every execution raises the order's total executed quantity, so the total after it names
    that execution for good: a retried or duplicated event computes the same key, and the
    database refuses a second back-order with it.
    """
    return f"{tenant_id}:order:{order_id}:exec:{executed_units_after}"


def mirrored_account_ref(reseller_tenant_id: int, account_id: int) -> str:
    """``Account.external_ref`` of the reseller's end customer mirrored in the distributor."""
    return f"tenant:{reseller_tenant_id}:account:{account_id}"


def mirrored_subscription_ref(reseller_tenant_id: int, subscription_id: int) -> str:
    """``Subscription.external_ref`` of a reseller's subscription mirrored in the distributor."""
    return f"tenant:{reseller_tenant_id}:subscription:{subscription_id}"


def ribbon_text(reseller_name: str) -> str:
    """[seed 003] the ribbon every back-order shows."""
    return texts.BACKORDER_RIBBON.format(reseller=reseller_name)


def order_name(action: str, customer_name: str) -> str:
    return f"{BackorderAction.LABELS[action]} for {customer_name}"


def history_change(kind: str) -> str:
    """The ``change`` of the history line a back-order adds to a mirrored subscription."""
    return "upgrade" if kind == ItemKind.UPGRADE else "quantity_change"
