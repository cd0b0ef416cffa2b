"""The BSS dashboard's widgets (PRODUCT.md 6.1), each one query over indexed columns."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.enums import ExecutionType, OrderSource
from core.models import Account, Order, OrderHold, OrderItem, OrderStatus
from core.rules import waiting
from core.rules.statuses import OrderStatusType, StorefrontType
from core.services import sharing
from core.services.statuses import StatusBook

UNEXECUTED_LIMIT = 100
MANUAL_LIMIT = 50


@dataclass(frozen=True)
class DashboardRow:
    id: int
    number: str
    account_name: str
    status: OrderStatus
    order_date: datetime
    total: Decimal
    currency: str
    partly_executed: bool
    waiting_reasons: tuple[str, ...] = ()  # HoldReason values, see core.rules.waiting
    waited: waiting.Waited | None = None


def _submitted_ids(book: StatusBook) -> list[int]:
    """Every live status of the Submitted combination (In progress / Viewable)."""
    return [
        s.id
        for s in book.statuses
        if s.deleted_at is None
        and s.type == OrderStatusType.IN_PROGRESS
        and s.storefront_type == StorefrontType.VIEWABLE
    ]


def _rows(session: Session, book: StatusBook, query) -> list[DashboardRow]:
    partly = (
        exists()
        .where(OrderItem.order_id == Order.id, OrderItem.executed_quantity > 0)
        .correlate(Order)
    )
    query = query.add_columns(partly.label("partly"))
    return [
        DashboardRow(r[0], r[1], r[2], book.by_id[r[3]], r[4], r[5], r[6], bool(r[7]))
        for r in session.execute(query)
    ]


def _base(tenant_id: int):
    return (
        select(
            Order.id,
            Order.number,
            Account.name,
            Order.status_id,
            Order.order_date,
            Order.total,
            Order.currency,
        )
        .join(Account, Account.id == Order.account_id)
        .where(Order.tenant_id == tenant_id, Order.parent_order_id.is_(None))
    )


def _shared(query, viewer):
    """Issue 14: only the orders the viewing BSS user may see (back-orders' sharing rules)."""
    condition = sharing.visible_to(viewer)
    return query if condition is None else query.where(condition)


def unexecuted_orders(
    session: Session,
    tenant_id: int,
    limit: int = UNEXECUTED_LIMIT,
    book: StatusBook | None = None,
    now: datetime | None = None,
    viewer=None,
) -> list[DashboardRow]:
    """Every order in Submitted status (not or partially executed), newest first, each with
    why it waits and for how long."""
    book = book or StatusBook.load(session, tenant_id)
    ids = _submitted_ids(book)
    if not ids:
        return []
    query = (
        _shared(_base(tenant_id), viewer)
        .where(Order.status_id.in_(ids))
        .order_by(Order.order_date.desc(), Order.id.desc())
        .limit(limit)
    )
    return _with_waiting(session, _rows(session, book, query), now or utcnow())


def _with_waiting(session: Session, rows: list[DashboardRow], now: datetime) -> list[DashboardRow]:
    """Each row with why it waits (its open holds) and for how long: one query for all rows."""
    if not rows:
        return rows
    holds: dict[int, list[waiting.OpenHold]] = {}
    query = select(OrderHold.order_id, OrderHold.reason, OrderHold.placed_at).where(
        OrderHold.order_id.in_([r.id for r in rows]), OrderHold.released_at.is_(None)
    )
    for order_id, reason, placed_at in session.execute(query):
        holds.setdefault(order_id, []).append(waiting.OpenHold(reason, placed_at))
    return [
        replace(
            row,
            waiting_reasons=waiting.waiting_reasons(holds.get(row.id, ())),
            waited=waiting.waited(
                waiting.waiting_since(row.order_date, holds.get(row.id, ())), now
            ),
        )
        for row in rows
    ]


def manual_management_orders(
    session: Session,
    tenant_id: int,
    limit: int = MANUAL_LIMIT,
    book: StatusBook | None = None,
    viewer=None,
) -> list[DashboardRow]:
    """The newest Storefront orders holding at least one manual item not yet executed."""
    book = book or StatusBook.load(session, tenant_id)
    waiting = (
        exists()
        .where(
            OrderItem.order_id == Order.id,
            OrderItem.execution_type == ExecutionType.MANUAL,
            OrderItem.executed_quantity < OrderItem.quantity,
        )
        .correlate(Order)
    )
    # an executed (or cancelled) order has nothing left to execute: only the open statuses
    closed = (
        OrderStatusType.CANCELLED,
        OrderStatusType.AUTOMATIC_EXECUTE,
        OrderStatusType.DELIVERED,
    )
    open_ids = [s.id for s in book.statuses if s.type not in closed]
    query = (
        _shared(_base(tenant_id), viewer)
        .where(
            Order.source == OrderSource.STOREFRONT,
            Order.execution_type == ExecutionType.MANUAL,
            Order.status_id.in_(open_ids),
            waiting,
        )
        .order_by(Order.order_date.desc(), Order.id.desc())
        .limit(limit)
    )
    return _rows(session, book, query)
