"""The BSS dashboard's widgets (PRODUCT.md 6.1), each one query over indexed columns whose
cost does not grow with the number of orders, open or not (issue 19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors

from core.db import read_rows, utcnow
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


def _any_item(*conditions):
    """Whether the order has an item matching ``conditions``, as a condition: a scalar
    subquery (``(SELECT 1 ... LIMIT 1) IS NOT NULL``) rather than EXISTS, which PostgreSQL
    turns into a semi-join of each branch and plans as such: planning the five-branch Manual
    Management statement took 2.4-2.7 ms of its CPU on every dashboard, now 0.9-1.3 ms (the
    same rows and index ranges; a subplan per order read, as EXISTS in a column list is)."""
    found = select(literal(1)).where(OrderItem.order_id == Order.id, *conditions)
    return found.correlate(Order).limit(1).scalar_subquery().is_not(None)


_COLUMNS = (
    Order.id,
    Order.number,
    Account.name,
    Order.status_id,
    Order.order_date,
    Order.total,
    Order.currency,
    exists()
    .where(OrderItem.order_id == Order.id, OrderItem.executed_quantity > 0)
    .correlate(Order)
    .label("partly"),
)

# the open holds of an order, for the Unexecuted Orders (why it waits, since when): two
# subqueries on ix_order_hold_order_id. A join to order_hold was one statement too, but
# PostgreSQL hashed every hold ever placed (released ones too) to join 100 orders. Hold
# reasons are identifiers (core.enums.HoldReason): a comma never occurs in one.
_OPEN_HOLD = (OrderHold.order_id == Order.id, OrderHold.released_at.is_(None))
_HOLD_COLUMNS = (
    select(func.aggregate_strings(OrderHold.reason, ","))
    .where(*_OPEN_HOLD)
    .correlate(Order)
    .scalar_subquery()
    .label("hold_reasons"),
    select(func.min(OrderHold.placed_at))
    .where(*_OPEN_HOLD)
    .correlate(Order)
    .scalar_subquery()
    .label("held_since"),
)

# a back-order is the distributor's copy of what a tenant reseller executed: the distributor
# only sees it, never executes it (the Back-orders page lists them), so no widget counts it as
# waiting for execution. The source written into the SQL, as the Back-orders list does
# (core.services.backorder_listing): a residual condition on the status index's rows.
_NOT_BACKORDER = Order.source != literal(OrderSource.BACKORDER, String, literal_execute=True)

# Manual Management: a Storefront order with a manual item not yet executed
_MANUAL_WAITING = (
    Order.source == OrderSource.STOREFRONT,
    Order.execution_type == ExecutionType.MANUAL,
    _any_item(
        OrderItem.execution_type == ExecutionType.MANUAL,
        OrderItem.executed_quantity < OrderItem.quantity,
    ),
)


@lru_cache(maxsize=64)
def _newest_statement(
    manual: bool, statuses: int, visibility: str | None, holds: bool = False, prefix: str = ""
):
    """The newest ``:limit`` top-level orders of the tenant in ``statuses`` statuses (bound
    as ``status_0`` ..., each name after ``prefix``), those of Manual Management when
    ``manual``, as the viewer may see them (``core.services.sharing.visibility_shape``);
    built once per shape, as the pages' hot statements are (construction and cache key cost
    as much as the query).

    One branch per status, each reading ix_order_tenant_status_date backwards and stopping at
    its own LIMIT, under one UNION ALL; the final sort sees at most statuses x limit rows.
    A single ``status_id IN (...)`` ordered by date read every open order first (PostgreSQL:
    a bitmap scan and a sort of them all; SQLite: a walk of the date index until enough rare
    rows turned up, or a temporary B-tree), so it grew with the history (issue 19).

    With ``holds``, each order comes with its open holds (``_HOLD_COLUMNS``): the widget's
    second statement (the holds of the rows' ids), folded into this one (issue 19)."""
    columns = (*_COLUMNS, *_HOLD_COLUMNS) if holds else _COLUMNS
    shared = sharing.visible_to_bound(visibility)
    conditions = [
        *(_MANUAL_WAITING if manual else (_NOT_BACKORDER,)),
        *([] if shared is None else [shared]),
    ]
    # the LIMIT written into the statement (100, 50), not bound: PostgreSQL then plans the
    # prepared statement once (a generic plan) instead of on every request; bound, its
    # generic plan assumed a tenth of the tenant's orders and lost to a custom plan (issue 19)
    limit = bindparam(f"{prefix}limit", type_=Integer, literal_execute=True)

    def branch(n: int, *columns):
        return (
            select(*columns)
            .where(
                Order.tenant_id == bindparam("tenant_id", type_=Integer),
                Order.status_id == bindparam(f"{prefix}status_{n}", type_=Integer),
                Order.parent_order_id.is_(None),
                *conditions,
            )
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(limit)
        )

    if statuses == 1:  # the index alone gives the order: no union, no sort
        return _written_in(branch(0, *columns).join(Account, Account.id == Order.account_id))
    branches = [branch(n, Order.id, Order.order_date).subquery() for n in range(statuses)]
    newest = union_all(*(select(b.c.id, b.c.order_date) for b in branches)).subquery()
    return _written_in(
        select(*columns)
        .join(newest, newest.c.id == Order.id)
        .join(Account, Account.id == Order.account_id)
        .order_by(newest.c.order_date.desc(), newest.c.id.desc())
        .limit(limit)
    )


def _written_in(statement):
    """``statement`` with every value it is executed with written into its SQL (SQLAlchemy's
    ``literal_execute``: the statement is still compiled once, the values rendered at each
    execution), so it reaches the database with no parameter at all.

    PostgreSQL plans a prepared statement without parameters once, for the values it reads,
    and keeps that plan. With the tenant and the statuses bound, it kept planning the
    dashboard's statement anew on every request at 200,000 orders (its generic plan, costed
    for an average tenant and status, looked dearer than a plan for the values): 1.4 ms of
    the server's CPU a dashboard, half the statement's time (issue 19, eleventh pass). A
    statement per tenant (and per viewer, for a viewer who sees only some orders), each
    planned once per connection: psycopg keeps the 100 most used of a connection prepared."""

    def write_in(bind):
        bind.literal_execute = True

    return visitors.cloned_traverse(statement, {}, {"bindparam": write_in})


def _newest_rows(
    session: Session,
    tenant_id: int,
    status_ids: list[int],
    limit: int,
    viewer,
    *,
    manual: bool,
    holds: bool = False,
) -> list:
    """The newest ``limit`` top-level orders in ``status_ids`` (Manual Management's when
    ``manual``) that ``viewer`` may see, as result rows of ``_COLUMNS`` (and their open holds
    with ``holds``): one statement, see :func:`_newest_statement`."""
    if not status_ids:
        return []
    shape = sharing.visibility_shape(viewer)
    statement = _newest_statement(manual, len(status_ids), shape, holds)
    params = {"tenant_id": tenant_id, "limit": limit, **sharing.visibility_params(viewer)}
    params.update({f"status_{n}": status_id for n, status_id in enumerate(status_ids)})
    return read_rows(session, statement, params).all()


def _row(book: StatusBook, r, **waited) -> DashboardRow:
    return DashboardRow(r[0], r[1], r[2], book.by_id[r[3]], r[4], r[5], r[6], bool(r[7]), **waited)


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
    rows = _newest_rows(session, tenant_id, ids, limit, viewer, manual=False, holds=True)
    return _with_waiting(book, rows, now or utcnow())


def _with_waiting(book: StatusBook, rows: list, now: datetime) -> list[DashboardRow]:
    """Each order with why it waits (its open holds) and for how long.

    The distinct reasons and the earliest placed_at are all the rules read of the holds; the
    reasons are worked out once per set of them (the widget's 100 rows share a few: sorting
    them cost ~5 us a row, the HoldReason members hashed in Python, issue 19)."""
    result = []
    reasons_of: dict[str | None, tuple[str, ...]] = {}
    for r in rows:
        raw, placed_at = r[8], r[9]
        reasons = reasons_of.get(raw)
        if reasons is None:
            holds = [waiting.OpenHold(x, placed_at) for x in raw.split(",")] if raw else []
            reasons = reasons_of[raw] = waiting.waiting_reasons(holds)
        # every open hold counted from the earliest one's placed_at: the wait starts there
        earliest = (waiting.OpenHold(raw, placed_at),) if raw else ()
        since = waiting.waiting_since(r[4], earliest)
        result.append(_row(book, r, waiting_reasons=reasons, waited=waiting.waited(since, now)))
    return result


def manual_management_orders(
    session: Session,
    tenant_id: int,
    limit: int = MANUAL_LIMIT,
    book: StatusBook | None = None,
    viewer=None,
) -> list[DashboardRow]:
    """The newest Storefront orders holding at least one manual item not yet executed."""
    book = book or StatusBook.load(session, tenant_id)
    rows = _newest_rows(session, tenant_id, _open_ids(book), limit, viewer, manual=True)
    return [_row(book, r) for r in rows]


# an executed (or cancelled) order has nothing left to execute: only the open statuses
_CLOSED = (OrderStatusType.CANCELLED, OrderStatusType.AUTOMATIC_EXECUTE, OrderStatusType.DELIVERED)


def _open_ids(book: StatusBook) -> list[int]:
    return [s.id for s in book.statuses if s.type not in _CLOSED]


@dataclass(frozen=True)
class Dashboard:
    unexecuted: list[DashboardRow]
    manual: list[DashboardRow]


@lru_cache(maxsize=64)
def _dashboard_statement(submitted: int, open_statuses: int, visibility: str | None):
    """The Unexecuted Orders' rows (with their holds) and Manual Management's under one
    UNION ALL, each part the statement it has alone (its parameters named ``u_...`` and
    ``m_...``), Manual Management's padded with the holds' two columns; a last column says
    which part a row is of (0, 1), and the result is sorted by it, then newest first, as each
    part was (at most 150 rows). One round trip for the page's two widgets instead of two
    (issue 19, fifth pass)."""
    unexecuted = _newest_statement(False, submitted, visibility, True, "u_").subquery()
    manual = _newest_statement(True, open_statuses, visibility, False, "m_").subquery()
    both = union_all(
        select(*unexecuted.c, literal_column("0", Integer).label("part")),
        select(*manual.c, null(), null(), literal_column("1", Integer)),
    ).subquery()
    return select(*both.c).order_by(both.c.part, both.c.order_date.desc(), both.c.id.desc())


def dashboard(
    session: Session,
    tenant_id: int,
    book: StatusBook | None = None,
    now: datetime | None = None,
    viewer=None,
    unexecuted_limit: int = UNEXECUTED_LIMIT,
    manual_limit: int = MANUAL_LIMIT,
) -> Dashboard:
    """The dashboard page's two widgets, :func:`unexecuted_orders` and
    :func:`manual_management_orders`, read in one statement (:func:`_dashboard_statement`)."""
    book = book or StatusBook.load(session, tenant_id)
    submitted, open_ids = _submitted_ids(book), _open_ids(book)
    if not submitted or not open_ids:  # a widget with no status to read: no statement for it
        return Dashboard(
            unexecuted_orders(session, tenant_id, unexecuted_limit, book, now, viewer),
            manual_management_orders(session, tenant_id, manual_limit, book, viewer),
        )
    statement = _dashboard_statement(
        len(submitted), len(open_ids), sharing.visibility_shape(viewer)
    )
    params = {
        "tenant_id": tenant_id,
        "u_limit": unexecuted_limit,
        "m_limit": manual_limit,
        **sharing.visibility_params(viewer),
    }
    params.update({f"u_status_{n}": status_id for n, status_id in enumerate(submitted)})
    params.update({f"m_status_{n}": status_id for n, status_id in enumerate(open_ids)})
    rows = read_rows(session, statement, params).all()
    manual = [r for r in rows if r[10]]
    unexecuted = rows[: len(rows) - len(manual)]
    return Dashboard(
        _with_waiting(book, unexecuted, now or utcnow()), [_row(book, r) for r in manual]
    )
