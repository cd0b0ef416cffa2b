"""What a distributor reads about its back-orders (PRODUCT.md section 8, issue 13 point 6): the
list, filtered by tenant reseller (Billing To), account and date and keyset-paginated on
(order date, id) like the orders list, and the seed-003 fields of one back-order (Billing To,
price list, sharing rule) for its page and print-out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import String, literal, select, tuple_
from sqlalchemy.orm import Session, aliased, joinedload

from core.db import UTCDateTime
from core.enums import AccountKind, OrderSource
from core.models import Account, Order, PriceList
from core.services import sharing
from core.services.orders import _day_start as day_start
from core.services.orders import decode_cursor, encode_cursor
from core.services.setup import SHARING_RULES

PER_PAGE = 50


@dataclass(frozen=True)
class BackorderFilters:
    reseller_id: int | None = None  # the tenant reseller account billed (Billing To)
    account_id: int | None = None  # the end customer
    date_from: date | None = None
    date_to: date | None = None
    after: str | None = None  # the keyset cursor of the previous page's last row
    timezone: str = "UTC"
    # issue 14: the BSS user the list is for (sharing rules); None: every back-order
    viewer: object | None = None


@dataclass
class BackorderRow:
    order: Order
    account_name: str
    billing_name: str | None


@dataclass
class BackorderPage:
    rows: list[BackorderRow]
    next_cursor: str | None


_BACKORDER = literal(OrderSource.BACKORDER, String, literal_execute=True)


def list_backorders(
    session: Session, tenant_id: int, filters: BackorderFilters, page_size: int = PER_PAGE
) -> BackorderPage:
    """One page of the back-orders of the distributor's tenant resellers, newest first; a deep
    page costs what the first one does (no offset, no count)."""
    billing = aliased(Account)
    query = (
        select(Order, Account.name, billing.name)
        .join(Account, Account.id == Order.account_id)
        .outerjoin(billing, billing.id == Order.billing_account_id)
        .options(joinedload(Order.status))
        # the source written into the SQL: the partial index ix_order_backorder_date serves
        # only a statement whose condition is its own (a bound value could be any source)
        .where(Order.tenant_id == tenant_id, Order.source == _BACKORDER)
    )
    if filters.reseller_id is not None:
        query = query.where(Order.billing_account_id == filters.reseller_id)
    if filters.account_id is not None:
        query = query.where(Order.account_id == filters.account_id)
    shared = sharing.visible_to(filters.viewer)
    if shared is not None:
        query = query.where(shared)
    if filters.date_from:
        query = query.where(Order.order_date >= day_start(filters.date_from, filters.timezone))
    if filters.date_to:
        end = day_start(filters.date_to + timedelta(days=1), filters.timezone)
        query = query.where(Order.order_date < end)
    cursor = decode_cursor(filters.after) if filters.after else None
    if cursor:
        after = tuple_(literal(cursor[0], UTCDateTime), cursor[1])
        query = query.where(tuple_(Order.order_date, Order.id) < after)
    query = query.order_by(Order.order_date.desc(), Order.id.desc()).limit(page_size + 1)
    found = session.execute(query).all()
    rows = [BackorderRow(*row) for row in found[:page_size]]
    next_cursor = (
        encode_cursor(rows[-1].order.order_date, rows[-1].order.id)
        if len(found) > page_size
        else None
    )
    return BackorderPage(rows, next_cursor)


def tenant_resellers(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    """(id, name) of the distributor's tenant reseller accounts: the Billing To of its
    back-orders, and the choices of the list's reseller filter."""
    query = (
        select(Account.id, Account.name)
        .where(Account.tenant_id == tenant_id, Account.kind == AccountKind.TENANT_RESELLER)
        .order_by(Account.name, Account.id)
    )
    return [(account_id, name) for account_id, name in session.execute(query)]


@dataclass(frozen=True)
class BackorderFacts:
    """The seed-003 fields of a back-order that its page and print-out show."""

    billing_to: str | None  # the tenant reseller account
    price_list: str | None  # the reseller's price list in the distributor
    sharing_rule: str | None  # label of the sharing rule from Use of API Options


def backorder_facts(session: Session, order: Order) -> BackorderFacts:
    """One query: the names behind the back-order's Billing To and price list."""
    billing_name, price_list_name = session.execute(
        select(
            select(Account.name).where(Account.id == order.billing_account_id).scalar_subquery(),
            select(PriceList.name).where(PriceList.id == order.price_list_id).scalar_subquery(),
        )
    ).one()
    rules = dict(SHARING_RULES)
    sharing = rules.get(order.sharing_rule, order.sharing_rule) if order.sharing_rule else None
    return BackorderFacts(billing_name, price_list_name, sharing)
