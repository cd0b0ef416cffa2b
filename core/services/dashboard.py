"""The BSS dashboard's widgets (PRODUCT.md 6.1), each one query over indexed columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.enums import ExecutionType, OrderSource
from core.models import Account, Order, OrderItem, OrderStatus
from core.rules.statuses import OrderStatusType, StorefrontType
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


def unexecuted_orders(
    session: Session,
    tenant_id: int,
    limit: int = UNEXECUTED_LIMIT,
    book: StatusBook | None = None,
) -> list[DashboardRow]:
    """Every order in Submitted status (not or partially executed), newest first."""
    book = book or StatusBook.load(session, tenant_id)
    ids = _submitted_ids(book)
    if not ids:
        return []
    query = (
        _base(tenant_id)
        .where(Order.status_id.in_(ids))
        .order_by(Order.order_date.desc(), Order.id.desc())
        .limit(limit)
    )
    return _rows(session, book, query)


def manual_management_orders(
    session: Session,
    tenant_id: int,
    limit: int = MANUAL_LIMIT,
    book: StatusBook | None = None,
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
        _base(tenant_id)
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
