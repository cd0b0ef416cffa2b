"""BSS orders (PRODUCT.md 6.2-6.4): the list, the order page, creating an order, Quick Add,
Update of quantities, Edit, execution, Copy, Cancel, CSV export.

Every use case runs in one transaction, scoped by tenant; every change first asks
:mod:`core.rules.permissions` whether it is allowed, so the server refuses what the page hides.
"""

from __future__ import annotations

import base64
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, and_, bindparam, false, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, aliased, joinedload

from core import texts
from core.db import MAX_ID, UTCDateTime, read_rows, utcnow, write_transaction, written_limit
from core.enums import ExecutionType, HoldReason, ItemKind, OrderSource, PaymentMethod
from core.models import (
    Account,
    AddOn,
    Offer,
    Order,
    OrderEvent,
    OrderHold,
    OrderItem,
    OrderStatus,
    Plan,
    PlanPrice,
    Product,
    User,
)
from core.rules import accounts as account_rules
from core.rules import basket as basket_rules
from core.rules import execution_plan as plan_rules
from core.rules import permissions
from core.rules.execution_plan import ExecutionPlanError, LineState
from core.rules.permissions import Action, OrderFacts
from core.rules.statuses import OrderStatusType
from core.services import execution, order_messages, picking, pricing, sharing
from core.services import promotions as promotion_service
from core.services.audit import record_order_event
from core.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.services.order_factory import ItemSpec, build_order, order_total, retired_products
from core.services.statuses import StatusBook, set_order_status

PAGE_SIZE = 50


# --- facts and permission checks ------------------------------------------------------------


def order_facts(
    order: Order,
    items: list[OrderItem],
    status: OrderStatus,
    holds: list[OrderHold] | None = None,
) -> OrderFacts:
    """What rule 4.8 needs: the status, the items' executed quantities and the open holds
    (``holds``: the order's, when already read; else ``order.holds``)."""
    open_reasons = {
        h.reason for h in (order.holds if holds is None else holds) if h.released_at is None
    }
    return OrderFacts(
        status_type=status.type,
        is_sub_order=order.parent_order_id is not None,
        is_backorder=bool(order.backorder_event_key or order.backorder_reseller_name),
        any_executed=any(i.executed_quantity for i in items),
        has_remaining=any(i.executed_quantity < i.quantity for i in items),
        has_items=bool(items),
        awaiting_reseller_approval=HoldReason.RESELLER_APPROVAL in open_reasons,
        scheduled_hold_open=HoldReason.SCHEDULED in open_reasons,
    )


def require(facts: OrderFacts, action: str) -> None:
    """Refuse ``action`` with the rule's message: 403 for back-orders, else 409."""
    _refuse(permissions.refusal(facts, action))


def _refuse(message: str | None) -> None:
    if message is None:
        return
    if message == texts.BACKORDER_ACTION_REFUSED:
        raise Forbidden(message)
    raise Conflict(message)


def _locked_order(session: Session, tenant_id: int, order_id: int) -> tuple[Order, OrderFacts]:
    try:
        order = execution.lock_order(session, tenant_id, order_id)
    except NotFound:
        raise NotFound(texts.ORDER_NOT_FOUND) from None
    return order, order_facts(order, order.items, order.status)


# --- list (filters, keyset pagination) -----------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    status_id: int | None = None
    account_id: int | None = None
    execution_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str | None = None
    oldest_first: bool = False
    after: str | None = None  # the keyset cursor of the previous page's last row
    timezone: str = "UTC"
    # issue 14: the BSS user the list is for (back-orders' sharing rules); None: every order
    viewer: object | None = None


@dataclass(frozen=True)
class OrderRow:
    id: int
    number: str
    name: str | None
    account_name: str
    status: OrderStatus
    execution_type: str
    order_date: datetime
    total: Decimal
    currency: str
    is_sub_order: bool


@dataclass
class OrderListPage:
    rows: list[OrderRow]
    next_cursor: str | None
    statuses: list[OrderStatus] = field(default_factory=list)
    # the tenant's accounts counted up to ``list_orders``'s ``count_accounts``; None when not
    # asked, or when the page has no row to carry the count
    accounts: int | None = None


def encode_cursor(order_date: datetime, order_id: int) -> str:
    raw = f"{order_date.astimezone(UTC).isoformat()}|{order_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, order_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(when)
        if parsed.tzinfo is None:
            return None
        return parsed, int(order_id)
    except (ValueError, UnicodeDecodeError):
        return None


def _day_start(day: date, zone: str) -> datetime:
    try:
        tz = ZoneInfo(zone)
    except Exception:
        tz = UTC
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


@lru_cache(maxsize=256)
def _list_statement(
    status: bool,
    account: bool,
    execution_type: bool,
    date_from: bool,
    date_to: bool,
    oldest_first: bool,
    after: bool,
    visibility: str | None,
    accounts: bool = False,
):
    """The list's statement for one combination of filters, with every value bound
    (``tenant_id``, ``status_id`` ..., ``limit``): built once per combination, as the pages'
    hot statements are (construction and cache key cost as much as the query itself).

    With ``accounts``, each row also carries the tenant's accounts counted up to
    ``accounts_limit`` (an index-only scan of at most that many entries, run once): the
    list's account picker learns whether the tenant has too many accounts to list without a
    statement of its own (issue 19, fifth pass)."""
    columns = [
        Order.id,
        Order.number,
        Order.name,
        Account.name,
        Order.status_id,
        Order.execution_type,
        Order.order_date,
        Order.total,
        Order.currency,
        Order.parent_order_id,
    ]
    if accounts:
        counted = aliased(Account)
        capped = (
            select(literal(1))
            .where(counted.tenant_id == bindparam("tenant_id", type_=Integer))
            .limit(bindparam("accounts_limit", type_=Integer, literal_execute=True))
            .subquery()
        )
        columns.append(select(func.count()).select_from(capped).scalar_subquery())
    query = (
        select(*columns)
        .join(Account, Account.id == Order.account_id)
        .where(Order.tenant_id == bindparam("tenant_id", type_=Integer))
    )
    if status:
        query = query.where(Order.status_id == bindparam("status_id", type_=Integer))
    if account:
        query = query.where(Order.account_id == bindparam("account_id", type_=Integer))
    if execution_type:
        query = query.where(Order.execution_type == bindparam("execution_type", type_=String))
    if date_from:
        query = query.where(Order.order_date >= bindparam("date_from", type_=UTCDateTime))
    if date_to:
        query = query.where(Order.order_date < bindparam("date_to", type_=UTCDateTime))
    shared = sharing.visible_to_bound(visibility)
    if shared is not None:
        query = query.where(shared)
    key = tuple_(Order.order_date, Order.id)
    cursor = tuple_(
        bindparam("after_date", type_=UTCDateTime), bindparam("after_id", type_=Integer)
    )
    if oldest_first:
        if after:
            query = query.where(key > cursor)
        query = query.order_by(Order.order_date.asc(), Order.id.asc())
    else:
        if after:
            query = query.where(key < cursor)
        query = query.order_by(Order.order_date.desc(), Order.id.desc())
    # the LIMIT written into the statement (a page and one): see core.services.dashboard
    return query.limit(bindparam("limit", type_=Integer, literal_execute=True))


def list_orders(
    session: Session,
    tenant_id: int,
    filters: OrderFilters,
    page_size: int = PAGE_SIZE,
    count_accounts: int | None = None,
    book: StatusBook | None = None,
) -> OrderListPage:
    """One page of the tenant's orders, newest (or oldest) first, keyset-paginated on
    (order_date, id) so a deep page costs what the first one does (ix_order_tenant_date);
    with ``count_accounts``, the tenant's accounts counted up to that many
    (``OrderListPage.accounts``) in the same statement. ``book``: the tenant's statuses, if
    the caller has them (else read)."""
    book = book or StatusBook.load(session, tenant_id)
    cursor = decode_cursor(filters.after) if filters.after else None
    execution_type = filters.execution_type
    if execution_type not in (ExecutionType.AUTOMATIC, ExecutionType.MANUAL):
        execution_type = None
    params = {
        "tenant_id": tenant_id,
        "status_id": filters.status_id,
        "account_id": filters.account_id,
        "execution_type": execution_type,
        "limit": page_size + 1,
        "accounts_limit": count_accounts,
        **sharing.visibility_params(filters.viewer),
    }
    if filters.date_from:
        params["date_from"] = _day_start(filters.date_from, filters.timezone)
    if filters.date_to:
        params["date_to"] = _day_start(filters.date_to + timedelta(days=1), filters.timezone)
    if cursor:
        params["after_date"], params["after_id"] = cursor
    query = _list_statement(
        filters.status_id is not None,
        filters.account_id is not None,
        execution_type is not None,
        bool(filters.date_from),
        bool(filters.date_to),
        filters.oldest_first,
        cursor is not None,
        sharing.visibility_shape(filters.viewer),
        count_accounts is not None,
    )
    text = (filters.text or "").strip()
    if text:
        # a search's LIMIT stays bound: a plan for each search's own values (how narrow the
        # number's range is picks the index), as before (issue 19)
        query = query.where(_text_match(session, tenant_id, text))
        query = query.limit(bindparam("limit", type_=Integer))
    found = read_rows(session, query, params).all()  # plain rows (issue 19, tenth pass)
    status_of = book.by_id
    rows = [  # unpacked, not indexed ten times a row (~1 us a row)
        OrderRow(i, no, name, acct, status_of[st], kind, when, total, cur, parent is not None)
        for i, no, name, acct, st, kind, when, total, cur, parent, *_ in found[:page_size]
    ]
    next_cursor = (
        encode_cursor(rows[-1].order_date, rows[-1].id) if len(found) > page_size else None
    )
    live = [s for s in book.statuses if s.deleted_at is None]
    accounts = found[0][10] if found and count_accounts is not None else None
    return OrderListPage(rows, next_cursor, live, accounts)


def _text_match(session: Session, tenant_id: int, text: str):
    """Search on the order number (a prefix: "SO0000123", "so123" or "123" find SO0000123
    and its sub-orders) or on the account name (contains). Both use an index: the number
    through its unique index (a range), the account through the few matching account ids."""
    lowered = text.lower()
    conditions = []
    prefix = None
    digits = lowered[2:] if lowered.startswith("so") else lowered
    if digits.isdigit() and len(digits) < 7:
        prefix = "SO" + digits.zfill(7)  # "123" and "so123" are SO0000123
    elif lowered.startswith("so") and len(lowered) > 2:
        prefix = text.upper()  # typed as shown: a prefix of the number ("SO0000123-1")
    elif lowered.isdigit() and len(lowered) == 7:
        prefix = "SO" + lowered
    if prefix:
        # a range on the unique (tenant_id, number) index; numbers are ASCII, so the bound
        # holds in byte order (SQLite, PostgreSQL's C/UTF-8 collation)
        conditions.append(and_(Order.number >= prefix, Order.number < prefix + "\uffff"))
    account_ids = select(Account.id).where(
        Account.tenant_id == tenant_id,
        func.lower(Account.name).like(picking.contains_pattern(text)),
    )
    ids = list(read_rows(session, account_ids.limit(1000)).scalars())
    if ids:
        conditions.append(Order.account_id.in_(ids))
    return or_(*conditions) if conditions else false()


# account pickers list every account up to this many; beyond it, accounts are found by name
ACCOUNT_CHOICES = picking.LIMIT


def list_accounts(
    session: Session,
    tenant_id: int,
    *,
    name_contains: str | None = None,
    limit: int | None = None,
    active_only: bool = False,
) -> list[tuple[int, str]]:
    """(id, name) of the tenant's accounts by name (``active_only``: those not deactivated);
    ``limit`` keeps pickers small when a tenant has tens of thousands of accounts."""
    query = select(Account.id, Account.name).where(Account.tenant_id == tenant_id)
    if active_only:
        query = query.where(Account.active.is_(True))
    if name_contains:
        query = query.where(func.lower(Account.name).like(picking.contains_pattern(name_contains)))
    if limit is not None:
        query = query.limit(written_limit(limit))
    rows = read_rows(session, query.order_by(Account.name, Account.id))
    return [(account_id, name) for account_id, name in rows]


def _account_readers(session: Session, tenant_id: int, active_only: bool = False):
    """The account picker's readers (:mod:`core.services.picking`); ``active_only`` for the
    account of a new order or offer, which a deactivated account does not take."""

    def read(name_contains: str | None, limit: int) -> list[tuple[int, str]]:
        return list_accounts(
            session, tenant_id, name_contains=name_contains, limit=limit, active_only=active_only
        )

    def read_one(account_id: int) -> list[tuple[int, str]]:
        if not 0 < account_id <= MAX_ID:
            return []
        query = select(Account.id, Account.name).where(
            Account.tenant_id == tenant_id, Account.id == account_id
        )
        return [(found, name) for found, name in read_rows(session, query)]

    return read, read_one


_ACCOUNT_WORDING = picking.Wording(texts.ORDER_ACCOUNT_SEARCH, texts.ORDER_ACCOUNT_NO_MATCH)


def account_choices(
    session: Session, tenant_id: int, chosen: int | None = None
) -> tuple[list[tuple[int, str]], bool]:
    """An account picker's (id, name) choices and whether the tenant has too many accounts to
    list: every account up to ACCOUNT_CHOICES; beyond that only ``chosen`` (read by its id
    when it is not among the first by name), found otherwise by name (never a 20,000-option
    list: a megabyte and a second of a page, issue 19)."""
    return picking.choices(*_account_readers(session, tenant_id), chosen)


def pick_account(
    session: Session, tenant_id: int, chosen: int | None, typed: str | None, submitted: bool
) -> picking.Pick[int]:
    """The account of a new order or offer (:func:`core.services.picking.pick`): up to
    ACCOUNT_CHOICES accounts, a list of them all; beyond, the account typed by name. A
    deactivated account is left out (a list beyond the limit keeps a ``chosen`` one, which
    :func:`create_order` then refuses with its reason)."""
    read, read_one = _account_readers(session, tenant_id, active_only=True)
    return picking.pick(read, read_one, chosen, typed, submitted, _ACCOUNT_WORDING)


# --- the order page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemLine:
    item: OrderItem

    @property
    def remaining(self) -> int:
        return self.item.quantity - self.item.executed_quantity


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    kind: str
    from_status: OrderStatus | None
    to_status: OrderStatus | None
    note: str | None


@dataclass
class OrderDetail:
    order: Order
    account: Account
    status: OrderStatus
    items: list[ItemLine]
    holds: list[OrderHold]  # open holds: the ribbons
    sub_orders: list[Order]
    parent: Order | None
    history: list[HistoryLine]
    facts: OrderFacts
    actions: frozenset[str]
    fields: frozenset[str]
    assignable: list[OrderStatus]
    responsible_name: str | None = None
    statuses_by_id: dict[int, OrderStatus] = field(default_factory=dict)
    offer: Offer | None = None  # the offer this order was converted from
    copied_from_number: str | None = None  # the order this one is a copy of
    # what the account invoiced may pay with (rule: accounts.allowed_payment_methods)
    payment_methods: tuple[str, ...] = (PaymentMethod.CARD,)

    def can(self, action: str) -> bool:
        return action in self.actions

    @property
    def status_hint(self) -> str:
        return permissions.status_hint(self.facts)

    def status_by_id(self, status_id: int) -> OrderStatus | None:
        return self.statuses_by_id.get(status_id)


def pickable_statuses(
    book: StatusBook, *, new_order: bool = False, nothing_executed: bool = True
) -> list[OrderStatus]:
    """Statuses a user may give an order by hand (rule: statuses.pickable_by_hand): In
    progress ones, and in Edit the Cancelled ones while nothing is executed."""
    return book.pickable_by_hand(new_order=new_order, nothing_executed=nothing_executed)


def assignable_statuses(book: StatusBook, facts: OrderFacts) -> list[OrderStatus]:
    """What Edit offers this order: the statuses pickable by hand that the order may take now
    (rule: permissions.status_change_refusal); a Scheduled order, or one waiting for the
    reseller, only the Cancelled ones."""
    return [
        s
        for s in pickable_statuses(book, nothing_executed=not facts.any_executed)
        if permissions.status_change_refusal(facts, s.type) is None
    ]


def _payer(session: Session, order: Order, account: Account | None = None) -> Account:
    """The account the order is invoiced to (Billing To, else its account): it pays."""
    if order.billing_account_id and order.billing_account_id != order.account_id:
        return session.get(Account, order.billing_account_id)
    return account or session.get(Account, order.account_id)


def get_order(session: Session, tenant_id: int, order_id: int) -> OrderDetail:
    """Everything the order page shows, in a fixed number of queries."""
    row = session.execute(
        select(Order, Account)
        .join(Account, Account.id == Order.account_id)
        .where(Order.id == order_id, Order.tenant_id == tenant_id)
    ).first()
    if row is None:
        raise NotFound(texts.ORDER_NOT_FOUND)
    order, account = row
    book = StatusBook.load(session, tenant_id)
    items = list(
        session.scalars(
            select(OrderItem)
            .where(OrderItem.order_id == order.id)
            .order_by(OrderItem.id)
            # what each price is for (issue 13): the plan's cycle and the product's unit
            .options(joinedload(OrderItem.plan), joinedload(OrderItem.product))
        )
    )
    holds = list(
        session.scalars(
            select(OrderHold).where(OrderHold.order_id == order.id).order_by(OrderHold.id)
        )
    )
    sub_orders = list(
        session.scalars(
            select(Order)
            .where(Order.tenant_id == tenant_id, Order.parent_order_id == order.id)
            .order_by(Order.id)
        )
    )
    parent = None
    if order.parent_order_id:
        parent = session.scalar(
            select(Order).where(Order.tenant_id == tenant_id, Order.id == order.parent_order_id)
        )
    events = session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
    ).scalars()
    history = [
        HistoryLine(
            e.at,
            e.actor_label,
            e.kind,
            book.by_id.get(e.from_status_id),
            book.by_id.get(e.to_status_id),
            e.note,
        )
        for e in events
    ]
    status = book.by_id[order.status_id]
    facts = order_facts(order, items, status, holds)
    responsible = None
    if order.responsible_user_id:
        responsible = session.scalar(
            select(User.name).where(
                User.id == order.responsible_user_id, User.tenant_id == tenant_id
            )
        )
    offer = (
        session.scalar(
            select(Offer).where(Offer.id == order.offer_id, Offer.tenant_id == tenant_id)
        )
        if order.offer_id
        else None
    )
    copied_from_number = (
        session.scalar(
            select(Order.number).where(
                Order.id == order.copied_from_id, Order.tenant_id == tenant_id
            )
        )
        if order.copied_from_id
        else None
    )
    return OrderDetail(
        order=order,
        account=account,
        status=status,
        items=[ItemLine(i) for i in items],
        holds=[h for h in holds if h.released_at is None],
        sub_orders=sub_orders,
        parent=parent,
        history=history,
        facts=facts,
        actions=permissions.allowed_actions(facts),
        fields=permissions.editable_fields(facts),
        assignable=assignable_statuses(book, facts),
        payment_methods=account_rules.allowed_payment_methods(
            _payer(session, order, account).payment_method
        ),
        responsible_name=responsible,
        statuses_by_id=book.by_id,
        offer=offer,
        copied_from_number=copied_from_number,
    )


def bss_users(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(User.id, User.name)
        .where(User.tenant_id == tenant_id, User.kind == "bss", User.active.is_(True))
        .order_by(User.name)
    )
    return [(user_id, name) for user_id, name in rows]


# --- create, Quick Add, Update, Edit --------------------------------------------------------


def create_order(
    session: Session,
    tenant_id: int,
    actor: User,
    *,
    account_id: int | None,
    status_id: int | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> Order:
    """A new BSS order for an account: Submitted unless the user picked another status."""
    now = now or utcnow()
    with write_transaction(session):
        account = (
            session.scalar(
                select(Account).where(Account.id == account_id, Account.tenant_id == tenant_id)
            )
            if account_id
            else None
        )
        errors: dict[str, list[str]] = {}
        if account is None:
            errors["account_id"] = [texts.ORDER_ACCOUNT_REQUIRED]
        elif refusal := account_rules.new_order_refusal(account.active):
            errors["account_id"] = [refusal]
        book = StatusBook.load(session, tenant_id)
        status = book.submitted()
        if status_id is not None:
            picked = [s for s in pickable_statuses(book, new_order=True) if s.id == status_id]
            if not picked:
                errors["status_id"] = [texts.ORDER_STATUS_NOT_ASSIGNABLE]
            else:
                status = picked[0]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        order = build_order(
            session,
            tenant_id=tenant_id,
            account=account,
            status=status,
            items=[],
            source=OrderSource.BSS,
            actor=actor,
            order_date=now,
            note="Order created in the BSS",
            name=(name or "").strip() or None,
        )
        return order


def quick_add(
    session: Session,
    tenant_id: int,
    order_id: int,
    actor: User,
    *,
    product_id: int | None,
    plan_id: int | None,
    quantity: int | None,
    product_search: str | None = None,
    now: datetime | None = None,
) -> OrderItem:
    """Add an item (product, plan, quantity) priced from the order's price list. Without a
    product, the priced plan ``product_search`` names (:func:`quick_add_pick`: its one match,
    or the one whose whole name it is) when the plans are too many to list."""
    now = now or utcnow()
    with write_transaction(session):
        order, facts = _locked_order(session, tenant_id, order_id)
        require(facts, Action.QUICK_ADD)
        if product_id is None and product_search:
            pick = quick_add_pick(
                session, tenant_id, order.price_list_id, None, product_search, submitted=True
            )
            if pick.error:
                raise ValidationFailed(pick.error, {"product_search": [pick.error]})
            product_id, plan_id = _option_ids(pick.chosen or "")
        product = (
            session.scalar(
                select(Product).where(
                    Product.id == product_id,
                    Product.tenant_id == tenant_id,
                    Product.active.is_(True),
                )
            )
            if product_id
            else None
        )
        if product is None:
            raise ValidationFailed(
                texts.ORDER_PRODUCT_REQUIRED, {"product_id": [texts.ORDER_PRODUCT_REQUIRED]}
            )
        plan = next((p for p in product.plans if p.id == plan_id), None)
        if plan is None and plan_id is None and len(product.plans) == 1:
            plan = product.plans[0]
        if plan is None:
            raise ValidationFailed(
                texts.ORDER_PLAN_REQUIRED, {"plan_id": [texts.ORDER_PLAN_REQUIRED]}
            )
        _check_quantity(_limits(None, plan, None), quantity, 0, "quantity")
        price = pricing.plan_prices(session, order.price_list_id, [plan.id]).get(plan.id)
        if price is None:
            raise ValidationFailed(texts.ORDER_NO_PRICE, {"plan_id": [texts.ORDER_NO_PRICE]})
        execution_type = (
            ExecutionType.MANUAL
            if product.product_type.non_automatic_execution
            else ExecutionType.AUTOMATIC
        )
        if order.items and any(i.execution_type != execution_type for i in order.items):
            raise ValidationFailed(
                texts.ORDER_MIXED_EXECUTION_TYPES,
                {"product_id": [texts.ORDER_MIXED_EXECUTION_TYPES]},
            )
        today = promotion_service.tenant_today(session, tenant_id, now)
        promotions = promotion_service.load_terms(session, tenant_id, [product.id], today)
        price, discount = promotion_service.priced(promotions, product.id, plan.id, price, today)
        item = OrderItem(
            order_id=order.id,
            product_id=product.id,
            plan_id=plan.id,
            description=f"{product.name} ({plan.name})",
            execution_type=execution_type,
            quantity=quantity,
            executed_quantity=0,
            unit_price=price,
            discount_percent=discount,
        )
        session.add(item)
        order.items.append(item)
        order.execution_type = execution_type
        _retotal(order)
        session.flush()
        return item


def _limits(item: OrderItem | None, plan: Plan | None, addon: AddOn | None) -> tuple[int, int]:
    """The quantities a line may hold (:func:`core.rules.basket.line_limits`): an add-on
    line keeps its add-on's limits, any other its plan's."""
    return basket_rules.line_limits(
        item.kind if item is not None else ItemKind.NEW,
        (plan.min_quantity, plan.max_quantity) if plan is not None else None,
        (addon.min_quantity, addon.max_quantity) if addon is not None else None,
    )


def _check_quantity(limits: tuple[int, int], quantity, executed: int, key: str) -> None:
    low = max(limits[0], executed, 1)
    high = limits[1]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not low <= quantity <= high:
        message = (
            texts.ORDER_QUANTITY_BELOW_EXECUTED.format(executed=executed)
            if isinstance(quantity, int) and executed and quantity < executed
            else texts.QUANTITY_INVALID.format(min=low, max=high)
        )
        raise ValidationFailed(message, {key: [message]})


def _retotal(order: Order) -> None:
    order.total = order_total(
        [
            ItemSpec(0, "", i.quantity, i.unit_price, discount_percent=i.discount_percent)
            for i in order.items
        ]
    )


def update_quantities(
    session: Session, tenant_id: int, order_id: int, actor: User, quantities: dict[int, int]
) -> None:
    """Update: new quantities per item; never below what is already executed."""
    with write_transaction(session):
        order, facts = _locked_order(session, tenant_id, order_id)
        require(facts, Action.UPDATE_ITEMS)
        items = {i.id: i for i in order.items}
        addon_ids = {i.addon_id for i in order.items if i.addon_id}
        addons = (
            {a.id: a for a in session.scalars(select(AddOn).where(AddOn.id.in_(addon_ids)))}
            if addon_ids
            else {}
        )
        errors: dict[str, list[str]] = {}
        for item_id, quantity in quantities.items():
            item = items.get(item_id)
            if item is None:  # the order exists: it is the item that is not on it
                errors[str(item_id)] = [texts.ORDER_ITEM_NOT_FOUND]
                continue
            limits = _limits(item, item.plan, addons.get(item.addon_id))
            try:
                _check_quantity(limits, quantity, item.executed_quantity, str(item_id))
            except ValidationFailed as error:
                errors.update(error.errors)
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        changed = []
        for item_id, quantity in quantities.items():
            item = items[item_id]
            if item.quantity != quantity:
                changed.append(f"{item.description}: {item.quantity} → {quantity}")
                item.quantity = quantity
        _retotal(order)
        if changed:
            record_order_event(
                session,
                order,
                "note",
                actor=actor,
                note="Quantities updated: " + "; ".join(changed),
            )


def _checked_edit(
    session: Session, tenant_id: int, order: Order, facts: OrderFacts, values: dict
) -> tuple[dict, OrderStatus | None]:
    """The changes ``values`` make (only what differs) and the status picked, if any, once
    every rule agrees; else the refusal: a locked field or a status the order may not take
    now 409 (403 on a back-order), a bad value 422 with its message on its field."""
    require(facts, Action.EDIT)
    allowed = permissions.editable_fields(facts)
    changes = {}
    for key, value in values.items():
        current = getattr(order, key)
        if isinstance(value, str):
            value = value.strip() or None
        if value == current:
            continue
        if key not in allowed:
            _refuse(permissions.field_refusal(facts, key) or texts.ORDER_LOCKED)
        changes[key] = value
    book = StatusBook.load(session, tenant_id)
    errors: dict[str, list[str]] = {}
    picked = None
    if "status_id" in changes:
        picked = book.by_id.get(changes["status_id"])
        if picked is not None:
            # a Cancelled one: Cancel order's rule; any other: not while the order is
            # Scheduled (its hold open), Executing or waiting for the reseller
            _refuse(permissions.status_change_refusal(facts, picked.type))
        if picked not in assignable_statuses(book, facts):
            errors["status_id"] = [texts.ORDER_STATUS_NOT_ASSIGNABLE]
    if "payment_method" in changes:
        method = changes["payment_method"]
        if method not in PaymentMethod.ALL:
            errors["payment_method"] = [texts.PAYMENT_METHOD_INVALID]
        elif method not in account_rules.allowed_payment_methods(
            _payer(session, order).payment_method
        ):
            # on account is credit: only an admin gives it, in the account's settings
            errors["payment_method"] = [texts.ORDER_PAYMENT_METHOD_NOT_ALLOWED]
    if "responsible_user_id" in changes and changes["responsible_user_id"] is not None:
        if changes["responsible_user_id"] not in {u for u, _ in bss_users(session, tenant_id)}:
            errors["responsible_user_id"] = [texts.API_OPTIONS_USER_INVALID]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    return changes, picked


@dataclass(frozen=True)
class EditPreview:
    """What an Edit would do, for its confirmation: nothing is changed."""

    cancel_status: OrderStatus | None  # the Cancelled status it cancels the order with
    fields: list[str]  # the other fields it changes, in words (texts.ORDER_FIELD_LABELS)


def preview_edit(session: Session, tenant_id: int, order_id: int, values: dict) -> EditPreview:
    """Check an Edit as :func:`edit_order` would, changing nothing, and say whether it cancels
    the order (a Cancelled status), so the form asks first, as Cancel order does."""
    detail = get_order(session, tenant_id, order_id)
    changes, picked = _checked_edit(session, tenant_id, detail.order, detail.facts, values)
    cancelling = picked if picked is not None and picked.type == OrderStatusType.CANCELLED else None
    return EditPreview(
        cancel_status=cancelling,
        fields=[texts.ORDER_FIELD_LABELS.get(k, k) for k in sorted(changes) if k != "status_id"],
    )


def edit_order(session: Session, tenant_id: int, order_id: int, actor: User, values: dict) -> Order:
    """Edit header fields. A field the rule locks is refused when it would change; a
    Cancelled status cancels the order exactly as :func:`cancel_order` does."""
    with write_transaction(session):
        order, facts = _locked_order(session, tenant_id, order_id)
        changes, status = _checked_edit(session, tenant_id, order, facts, values)
        changes.pop("status_id", None)
        for key, value in changes.items():
            setattr(order, key, value)
        if changes:
            record_order_event(
                session,
                order,
                "note",
                actor=actor,
                note=texts.ORDER_EDITED_NOTE.format(
                    fields=", ".join(texts.ORDER_FIELD_LABELS.get(k, k) for k in sorted(changes))
                ),
            )
        if status is None:
            return order
        if status.type == OrderStatusType.CANCELLED:
            _cancel(order, status, actor, utcnow(), session, texts.ORDER_STATUS_CANCELED_BY_EDIT)
        else:
            set_order_status(session, order, status, actor=actor, note="Edit")
        return order


# --- execution, copy, cancel ----------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionPreview:
    """What an execution would do, for its confirmation: nothing is changed."""

    order: Order
    lines: list[tuple[OrderItem, int]]  # each item and the quantity to execute now
    warnings: list[str]  # open hold reasons to warn about (rule: holds_to_warn)
    outcomes: list[OrderStatus]  # the statuses it may end in; the first is the default


def preview_execution(
    session: Session, tenant_id: int, order_id: int, quantities: dict[int, int] | None = None
) -> ExecutionPreview:
    """Check an execution as :func:`execute` would (rule 4.8, the execution plan) and say what
    it would execute, so the user confirms it before anything irreversible happens."""
    detail = get_order(session, tenant_id, order_id)
    require(detail.facts, Action.EXECUTE)
    items = [line.item for line in detail.items]
    if not items:
        raise Conflict(texts.ORDER_EMPTY)
    states = [LineState(i.id, i.quantity, i.executed_quantity) for i in items]
    try:
        plan = plan_rules.plan_execution(states, quantities)
    except ExecutionPlanError as error:
        raise ValidationFailed(str(error), {str(k): [v] for k, v in error.errors.items()}) from None
    book = StatusBook(list(detail.statuses_by_id.values()))
    return ExecutionPreview(
        order=detail.order,
        lines=[(i, plan[i.id]) for i in items if i.id in plan],
        warnings=plan_rules.holds_to_warn(h.reason for h in detail.holds),
        outcomes=book.execution_outcomes(),
    )


def execute(
    session: Session,
    tenant_id: int,
    order_id: int,
    actor: User,
    quantities: dict[int, int] | None = None,
    now: datetime | None = None,
    executed_status_id: int | None = None,
) -> execution.ExecutionResult:
    """Execute everything left (``quantities=None``) or the chosen quantities, exactly once.

    ``executed_status_id`` picks the status what this execution completes ends in (the order,
    or the sub-order of a partial execution) among the execution outcomes: Executed by default,
    or a Delivered one."""
    with write_transaction(session):
        order, facts = _locked_order(session, tenant_id, order_id)
        require(facts, Action.EXECUTE)
        if not order.items:
            raise Conflict(texts.ORDER_EMPTY)
        outcome = None
        if executed_status_id is not None:
            outcomes = StatusBook.load(session, tenant_id).execution_outcomes()
            outcome = next((s for s in outcomes if s.id == executed_status_id), None)
            if outcome is None:
                message = texts.ORDER_EXECUTED_STATUS_INVALID
                raise ValidationFailed(message, {"executed_status_id": [message]})
        return execution.apply_execution(
            session, order, quantities, actor=actor, now=now, executed_status=outcome
        )


def copy_order(
    session: Session, tenant_id: int, order_id: int, actor: User, now: datetime | None = None
) -> Order:
    """A new Submitted order, with a new number, holding the same items and quantities. An
    order holding a product retired since is not copied (the copy would sell it again): the
    refusal names those products and nothing is created."""
    now = now or utcnow()
    with write_transaction(session):
        source, facts = _locked_order(session, tenant_id, order_id)
        require(facts, Action.COPY)
        sold = {i.product_id for i in source.items} | {i.target_product_id for i in source.items}
        if retired := retired_products(session, sold):
            raise Conflict(texts.ORDER_COPY_RETIRED.format(products=retired))
        index = {item.id: n for n, item in enumerate(source.items)}
        specs = [
            ItemSpec(
                product_id=i.product_id,
                description=i.description,
                quantity=i.quantity,
                unit_price=i.unit_price,
                kind=i.kind,
                plan_id=i.plan_id,
                addon_id=i.addon_id,
                target_product_id=i.target_product_id,
                execution_type=i.execution_type,
                trial=i.trial,
                discount_percent=i.discount_percent,
                parent_index=index.get(i.parent_item_id),
            )
            for i in source.items
        ]
        account = session.get(Account, source.account_id)
        if refusal := account_rules.new_order_refusal(account.active):
            raise Conflict(refusal)
        billing = (
            session.get(Account, source.billing_account_id) if source.billing_account_id else None
        )
        book = StatusBook.load(session, tenant_id)
        copy = build_order(
            session,
            tenant_id=tenant_id,
            account=account,
            billing_account=billing,
            status=book.submitted(),
            items=specs,
            source=OrderSource.COPY,
            actor=actor,
            currency=source.currency,
            order_date=now,
            note=f"Copied from {source.number}",
            copied_from_id=source.id,
            name=source.name,
            order_type=source.order_type,
            price_list_id=source.price_list_id,
            payment_method=source.payment_method,
            sales_rep=source.sales_rep,
            contact=source.contact,
            campaign=source.campaign,
            custom_fields=source.custom_fields,
        )
        record_order_event(session, source, "note", actor=actor, note=f"Copied to {copy.number}")
        return copy


def cancel_order(
    session: Session, tenant_id: int, order_id: int, actor: User, now: datetime | None = None
) -> Order:
    """Cancel an order of which nothing was executed; its open holds are released."""
    now = now or utcnow()
    with write_transaction(session):
        order, facts = _locked_order(session, tenant_id, order_id)
        require(facts, Action.CANCEL)
        canceled = StatusBook.load(session, tenant_id).canceled()
        _cancel(order, canceled, actor, now, session, "Canceled in the BSS")
        return order


def _cancel(
    order: Order, status: OrderStatus, actor: User, now: datetime, session: Session, note: str
) -> None:
    """Cancel with ``status`` (the default Canceled or a custom Cancelled one), the one path
    of Cancel order and of Edit's Cancelled statuses: open holds are released and the customer
    is told. The caller has checked the rule (nothing executed)."""
    for hold in order.holds:
        if hold.released_at is None:
            hold.released_at = now
            hold.released_by_user_id = actor.id
            hold.release_note = "Order canceled"
    set_order_status(session, order, status, actor=actor, note=note)
    order_messages.canceled(session, order, now)


# --- export -------------------------------------------------------------------------------


CSV_HEADER = [
    "order",
    "account",
    "status",
    "order_date",
    "item",
    "execution_type",
    "quantity",
    "executed",
    "remaining",
    "unit_price",
    "discount_percent",
    "currency",
]


def order_csv(detail: OrderDetail) -> str:
    """ "Export to" CSV: one line per item, with its ordered, executed and remaining quantity."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    order = detail.order
    for line in detail.items:
        item = line.item
        writer.writerow(
            [
                order.number,
                _csv_safe(detail.account.name),
                _csv_safe(detail.status.description),
                order.order_date.astimezone(UTC).isoformat(),
                _csv_safe(item.description),
                item.execution_type,
                item.quantity,
                item.executed_quantity,
                line.remaining,
                f"{item.unit_price:.2f}",
                f"{item.discount_percent:.2f}" if item.discount_percent else "",
                order.currency,
            ]
        )
    return out.getvalue()


def _csv_safe(value: str | None) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def catalogue_options(
    session: Session,
    tenant_id: int,
    price_list_id: int | None,
    *,
    name_contains: str | None = None,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """Quick Add choices: "<product id>-<plan id>" -> "Product (Plan)", priced plans only, by
    product name; those whose product or plan name contains ``name_contains``, at most
    ``limit`` of them.

    One statement joined to the price list: it read every plan, then their prices with one
    bound parameter per plan (~0.3 s of psycopg's CPU a page at 2,000 products, issue 19)."""
    if price_list_id is None:
        return []
    query = plans_named(_CATALOGUE_OPTIONS, name_contains, limit)
    rows = read_rows(session, query, {"tenant_id": tenant_id, "pl": price_list_id})
    return [_catalogue_option(row) for row in rows]


def plans_named(query, name_contains: str | None, limit: int | None):
    """A Quick Add statement (of plans joined to their products) narrowed to the plans whose
    product or own name contains ``name_contains``, at most ``limit`` of them."""
    if name_contains:
        pattern = picking.contains_pattern(name_contains)
        query = query.where(
            or_(func.lower(Product.name).like(pattern), func.lower(Plan.name).like(pattern))
        )
    if limit is not None:
        query = query.limit(written_limit(limit))
    return query


def _catalogue_option(row) -> tuple[str, str]:
    product_id, product_name, plan_id, plan_name = row
    return f"{product_id}-{plan_id}", picking.plan_label(product_name, plan_name)


_CATALOGUE_OPTIONS = (
    select(Product.id, Product.name, Plan.id, Plan.name)
    .join(Plan, Plan.product_id == Product.id)
    .join(PlanPrice, (PlanPrice.plan_id == Plan.id) & (PlanPrice.price_list_id == bindparam("pl")))
    .where(Product.tenant_id == bindparam("tenant_id"), Product.active.is_(True))
    .order_by(Product.name, Plan.id)
)


def quick_add_pick(
    session: Session,
    tenant_id: int,
    price_list_id: int | None,
    chosen: str | None,
    typed: str | None,
    submitted: bool,
) -> picking.Pick[str]:
    """Quick Add's product on an order page (:func:`core.services.picking.pick`): up to
    picking.LIMIT priced plans, a list of them all; beyond (2,000 at the benchmark's
    catalogue: a 130 KB page, issue 19), the plan found by its product's or its own name."""

    def read(name_contains: str | None, limit: int) -> list[tuple[str, str]]:
        return catalogue_options(
            session, tenant_id, price_list_id, name_contains=name_contains, limit=limit
        )

    def read_one(key: str) -> list[tuple[str, str]]:
        product_id, plan_id = _option_ids(key)
        if product_id is None or price_list_id is None:
            return []
        query = _CATALOGUE_OPTIONS.where(Product.id == product_id, Plan.id == plan_id)
        rows = read_rows(session, query, {"tenant_id": tenant_id, "pl": price_list_id})
        return [_catalogue_option(row) for row in rows]

    return picking.pick(
        read,
        read_one,
        chosen or None,
        typed,
        submitted,
        picking.PLAN_WORDING,
        picking.whole_plan_label,
    )


def _option_ids(key: str) -> tuple[int | None, int | None]:
    """The (product id, plan id) of a Quick Add key "<product id>-<plan id>", or Nones."""
    try:
        product_id, plan_id = (int(part) for part in key.split("-", 1))
    except ValueError:
        return None, None
    if not (0 < product_id <= MAX_ID and 0 < plan_id <= MAX_ID):
        return None, None
    return product_id, plan_id
