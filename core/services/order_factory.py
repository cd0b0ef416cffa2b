"""Building orders: one place that creates an order row with its items and its first history
line, used by checkout, the BSS, offers, copies and back-orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from core.db import utcnow
from core.enums import ExecutionType, ItemKind
from core.models import Account, Order, OrderItem, OrderStatus, Product, User
from core.rules.catalogue import retired_names
from core.rules.execution import bundle_execution_type
from core.services import bulk
from core.services.audit import order_event, record_order_events

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ItemSpec:
    product_id: int
    description: str
    quantity: int
    unit_price: Decimal
    kind: str = ItemKind.NEW
    plan_id: int | None = None
    addon_id: int | None = None
    subscription_id: int | None = None
    target_product_id: int | None = None
    execution_type: str = ExecutionType.AUTOMATIC
    trial: bool = False
    discount_percent: Decimal | None = None
    parent_index: int | None = None  # index in the spec list of the item this add-on belongs to
    # billing changes (issue 17): an increase's prorated charge now, for [charge_from, charge_to)
    charge_now: Decimal | None = None
    charge_from: date | None = None
    charge_to: date | None = None


def order_total(specs: list[ItemSpec]) -> Decimal:
    total = Decimal("0")
    for spec in specs:
        if spec.charge_now is not None:  # a prorated change: what is charged now
            total += spec.charge_now
            continue
        amount = spec.unit_price * spec.quantity
        if spec.discount_percent:
            amount = amount * (Decimal(100) - spec.discount_percent) / Decimal(100)
        total += amount.quantize(CENT)
    return total.quantize(CENT)


def retired_products(session: Session, product_ids: set[int]) -> str | None:
    """The names of the retired products among ``product_ids`` ("A, B"), or None: what a new
    order made from an old one (a copy, an offer's conversion) must not sell again."""
    ids = {i for i in product_ids if i is not None}
    if not ids:
        return None
    return retired_names(
        session.execute(select(Product.name, Product.active).where(Product.id.in_(ids)))
    )


def build_order(
    session: Session,
    *,
    tenant_id: int,
    account: Account,
    status: OrderStatus,
    items: list[ItemSpec],
    source: str,
    actor: User | None = None,
    actor_name: str = "system",
    currency: str = "EUR",
    order_date: datetime | None = None,
    billing_account: Account | None = None,
    note: str | None = None,
    read_items: bool = True,
    **fields,
) -> Order:
    """Insert an order and its items; number it; write the first history line. No commit.
    ``read_items=False``: the caller does not use ``order.items`` (a checkout's start
    redirects): they are not read back unless add-ons must be pointed at their lines."""
    from core.services.statuses import is_storefront_visible

    execution_type = bundle_execution_type(i.execution_type for i in items)
    # what the customer sees, known before the INSERT (issue 19: it was a second UPDATE)
    shown = is_storefront_visible(status) or status.storefront_type == "draft"
    order = Order(
        tenant_id=tenant_id,
        number="pending",
        account_id=account.id,
        billing_account_id=billing_account.id if billing_account else None,
        status_id=status.id,
        storefront_status_id=status.id if shown else None,
        source=source,
        execution_type=execution_type,
        price_list_id=fields.pop("price_list_id", account.price_list_id),
        payment_method=fields.pop("payment_method", account.payment_method),
        currency=currency,
        total=order_total(items),
        order_date=order_date or utcnow(),
        created_by_user_id=actor.id if actor else None,
        **fields,
    )
    session.add(order)
    session.flush()
    # numbered from its id: written now, no flush for it (issue 19, eighth pass)
    bulk.update_object(session, order, {"number": f"SO{order.id:07d}"})
    # every item in one executemany (the ORM inserts them one at a time where it cannot
    # batch, as on SQLite), read back in id order = the list's order, which the pages show;
    # then the add-ons are pointed at their items: a fixed number of statements whatever the
    # order's size (issue 19)
    if items:
        session.execute(
            insert(OrderItem),
            [
                {
                    "order_id": order.id,
                    "kind": spec.kind,
                    "product_id": spec.product_id,
                    "plan_id": spec.plan_id,
                    "addon_id": spec.addon_id,
                    "subscription_id": spec.subscription_id,
                    "target_product_id": spec.target_product_id,
                    "description": spec.description,
                    "execution_type": spec.execution_type,
                    "quantity": spec.quantity,
                    "executed_quantity": 0,
                    "unit_price": spec.unit_price,
                    "discount_percent": spec.discount_percent,
                    "trial": spec.trial,
                    # issue 17, point 3: what the line charges now (prorated) and for when
                    "charge_now": spec.charge_now,
                    "charge_from": spec.charge_from,
                    "charge_to": spec.charge_to,
                }
                for spec in items
            ],
        )
    if read_items or any(spec.parent_index is not None for spec in items):
        created = (
            list(
                session.scalars(
                    select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
                )
            )
            if items
            else []
        )
        set_committed_value(order, "items", created)
        for spec, item in zip(items, created, strict=True):
            if spec.parent_index is not None:
                item.parent_item_id = created[spec.parent_index].id
    # else not read back (issue 19): ``order.items`` would load them if anyone asked
    first = order_event(
        order,
        "status",
        actor=actor,
        actor_name=actor_name,
        to_status_id=status.id,
        note=note or f"Order created ({source})",
    )
    if order_date is not None:  # an order dated before now (the demo's): its history too
        first["at"] = order.order_date
    record_order_events(session, [first])
    session.flush()
    return order
