"""The customer's orders and invoices (PRODUCT.md 5.6) and the open balance (rule 4.7).

Pages run a fixed number of queries: orders with their visible status in one query (joined),
items and holds with IN queries, invoices with their lines with an IN query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from core import texts
from core.db import read_rows, utcnow, write_transaction
from core.models import (
    HoldReason,
    Invoice,
    InvoiceLine,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    Subscription,
    User,
)
from core.rules import waiting as waiting_rules
from core.rules.statuses import OrderStatusType, StorefrontType
from core.services import order_messages
from core.services.errors import Conflict, NotFound
from core.services.statuses import StatusBook, set_order_status

ZERO = Decimal("0.00")
OPEN_TYPES = (OrderStatusType.IN_PROGRESS, OrderStatusType.SCHEDULED, OrderStatusType.EXECUTING)


def open_balance(
    session: Session, tenant_id: int, account_id: int, exclude_order_id: int | None = None
) -> Decimal:
    """What is still owed on open invoices (gross less payments and credit notes, issue 17) +
    the not yet executed part of submitted orders, in one statement.

    The orders billed to the account are read in two branches, each served by an index (the
    account's orders without a billing account; the orders billed to it): one OR over both
    columns made the databases scan every order of the tenant (issue 19)."""
    values = {"tenant_id": tenant_id, "account_id": account_id}
    if exclude_order_id is not None:
        values["exclude_order_id"] = exclude_order_id
    row = read_rows(session, _open_balance_statement(exclude_order_id is not None), values).one()
    return sum((Decimal(v or 0) for v in row), ZERO).quantize(Decimal("0.01"))


@cache
def _open_balance_statement(excluding: bool):
    """The open balance's statement, built once (issue 19): building this expression (its
    correlated subqueries, CASE and COALESCE) took ~5 ms of CPU per call, a hundred times
    what the databases need to run it; the values are bound parameters."""
    tenant_id, account_id = bindparam("tenant_id"), bindparam("account_id")
    unpaid = (
        select(func.coalesce(func.sum(_owed_expression()), 0))
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.account_id == account_id,
            Invoice.status == "open",
            Invoice.kind == "invoice",
        )
        .scalar_subquery()
    )
    remaining = (
        OrderItem.unit_price
        * (OrderItem.quantity - OrderItem.executed_quantity)
        * (100 - func.coalesce(OrderItem.discount_percent, 0))
        / 100
    )

    def unexecuted(*billed_to):
        query = (
            select(func.coalesce(func.sum(remaining), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .join(OrderStatus, OrderStatus.id == Order.status_id)
            .where(
                Order.tenant_id == tenant_id,
                *billed_to,
                Order.parent_order_id.is_(None),
                OrderStatus.type.in_(OPEN_TYPES),
                OrderStatus.storefront_type != StorefrontType.DRAFT,
            )
        )
        if excluding:
            query = query.where(Order.id != bindparam("exclude_order_id"))
        return query.scalar_subquery()

    own = unexecuted(Order.account_id == account_id, Order.billing_account_id.is_(None))
    billed = unexecuted(Order.billing_account_id == account_id)
    return select(unpaid, own, billed)


@dataclass(frozen=True)
class RefundDue:
    invoice_id: int
    number: str
    amount: Decimal
    currency: str


def refunds_due(session: Session, tenant_id: int, account_id: int) -> list[RefundDue]:
    """The account's invoices whose payments exceed what their credit notes left to pay
    (core.rules.dunning.refund_due): money owed back to the customer, never part of the open
    balance (a refund is paid back, it does not lower what other invoices owe)."""
    paid, credited = _paid_and_credited()
    excess = paid + credited - Invoice.total
    rows = session.execute(
        select(Invoice.id, Invoice.number, excess, Invoice.currency)
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.account_id == account_id,
            Invoice.kind == "invoice",
            Invoice.status.in_(("paid", "void")),
            excess > 0,
        )
        .order_by(Invoice.id)
    ).all()
    return [RefundDue(i, n, Decimal(a).quantize(Decimal("0.01")), c) for i, n, a, c in rows]


def _paid_and_credited():
    credit = aliased(Invoice)
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.invoice_id == Invoice.id, Payment.status == "succeeded")
        .correlate(Invoice)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(credit.total), 0))
        .where(credit.credit_note_for_id == Invoice.id, credit.kind == "credit_note")
        .correlate(Invoice)
        .scalar_subquery()
    )
    return paid, credited


def _owed_expression():
    """Per open invoice: its total less its succeeded payments and its credit notes, never
    below zero (correlated subqueries; core.rules.dunning.owed says the same in Python)."""
    paid, credited = _paid_and_credited()
    left = Invoice.total - paid - credited
    return case((left > 0, left), else_=0)


def _visible_orders(tenant_id: int, account_id: int):
    return select(Order).where(
        Order.tenant_id == tenant_id,
        Order.account_id == account_id,
        Order.parent_order_id.is_(None),
        Order.storefront_status_id.is_not(None),
        Order.storefront_status.has(OrderStatus.storefront_type != StorefrontType.DRAFT),
    )


@dataclass
class OrderPage:
    orders: list[Order]
    page: int
    has_next: bool


def list_orders(
    session: Session, tenant_id: int, account_id: int, page: int = 1, per_page: int = 20
) -> OrderPage:
    """Newest first; each with its last storefront-visible status (one query) and its holds
    (one IN query: a failed payment is flagged in the list)."""
    page = max(1, page)
    rows = list(
        session.scalars(
            _visible_orders(tenant_id, account_id)
            .options(joinedload(Order.storefront_status), selectinload(Order.holds))
            .order_by(Order.order_date.desc(), Order.id.desc())
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return OrderPage(rows[:per_page], page, len(rows) > per_page)


@dataclass
class OrderDetail:
    order: Order
    invoices: list[Invoice]
    payments: list[Payment]
    can_cancel: bool

    @property
    def open_holds(self):
        return [h for h in self.order.holds if h.released_at is None]

    @property
    def cancelled(self) -> bool:
        return self.order.status.type == OrderStatusType.CANCELLED

    @property
    def explanations(self) -> list[str]:
        """What the customer reads about a waiting or refused order: why it waits (its open
        holds), or the reason its reseller gave for rejecting it."""
        closed = self.order.status.type in (OrderStatusType.CANCELLED, OrderStatusType.DELIVERED)
        reasons = waiting_rules.customer_waiting_reasons(
            (waiting_rules.OpenHold(h.reason, h.placed_at) for h in self.open_holds),
            closed=closed,
        )
        lines = [texts.ORDER_WAITS[r] for r in reasons if r in texts.ORDER_WAITS]
        if self.cancelled and self.order.rejection_reason:
            lines.append(
                texts.ORDER_REJECTED_BY_RESELLER.format(reason=self.order.rejection_reason)
            )
        return lines

    def delivery(self, item: OrderItem) -> str:
        state = waiting_rules.item_delivery(
            item.executed_quantity, item.quantity, cancelled=self.cancelled
        )
        return _DELIVERY_TEXTS[state].format(done=item.executed_quantity, total=item.quantity)

    @property
    def bill_to_name(self) -> str:
        """Who the order is billed to: its billing details, else its account's (as on its
        invoice; an order placed without them, e.g. in the BSS, showed an empty "Bill to")."""
        account = self.order.account
        return self.order.billing_name or account.billing_name or account.name

    @property
    def bill_to_address(self) -> str | None:
        return self.order.billing_address or self.order.account.billing_address


_DELIVERY_TEXTS = {
    "delivered": texts.DELIVERY_DELIVERED,
    "partial": texts.DELIVERY_PARTIAL,
    "pending": texts.DELIVERY_PENDING,
    "cancelled": texts.DELIVERY_CANCELED,
    "cancelled_partial": texts.DELIVERY_CANCELED_PARTIAL,
}


def get_order(session: Session, tenant_id: int, account_id: int, order_id: int) -> OrderDetail:
    order = session.scalar(
        _visible_orders(tenant_id, account_id)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.storefront_status),
            joinedload(Order.status),
            joinedload(Order.account),  # "Bill to" falls back on its billing details
            # the plan and product say what each price is for (issue 13)
            selectinload(Order.items).options(
                joinedload(OrderItem.plan), joinedload(OrderItem.product)
            ),
            selectinload(Order.holds),
        )
    )
    if order is None:
        raise NotFound("That order does not exist.")
    sub_ids = select(Order.id).where(Order.parent_order_id == order.id)
    invoices = list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.tenant_id == tenant_id,
                or_(Invoice.order_id == order.id, Invoice.order_id.in_(sub_ids)),
            )
            .order_by(Invoice.id)
        )
    )
    payments = list(
        session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
    )
    return OrderDetail(order, invoices, payments, cancelable(order, payments))


def cancelable(order: Order, payments: list[Payment]) -> bool:
    """A Submitted order (In progress / Viewable) with nothing executed and nothing charged."""
    status = order.status
    return (
        status.type == OrderStatusType.IN_PROGRESS
        and status.storefront_type == StorefrontType.VIEWABLE
        and all(i.executed_quantity == 0 for i in order.items)
        and not any(p.status in ("succeeded", "pending") for p in payments)
    )


def cancel_order(
    session: Session,
    tenant_id: int,
    user: User,
    order_id: int,
    now: datetime | None = None,
) -> Order:
    now = now or utcnow()
    with write_transaction(session):
        order = session.scalar(
            _visible_orders(tenant_id, user.account_id)
            .where(Order.id == order_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise NotFound("That order does not exist.")
        payments = list(session.scalars(select(Payment).where(Payment.order_id == order.id)))
        if not cancelable(order, payments):
            raise Conflict(texts.ORDER_NOT_CANCELABLE)
        actor_name = f"{user.name} (Storefront)"
        for hold in order.holds:
            if hold.released_at is None:
                hold.released_at = now
                hold.release_note = "Order canceled by the customer"
        set_order_status(
            session,
            order,
            StatusBook.load(session, tenant_id).canceled(),
            actor=user,
            actor_name=actor_name,
            note="Canceled by the customer on the Storefront",
        )
        order_messages.canceled(session, order, now)
        return order


def list_invoices(
    session: Session, tenant_id: int, account_id: int, page: int = 1, per_page: int = 20
):
    page = max(1, page)
    rows = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.tenant_id == tenant_id, Invoice.account_id == account_id)
            .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            .limit(per_page + 1)
            .offset((page - 1) * per_page)
        )
    )
    return rows[:per_page], len(rows) > per_page


def get_invoice(session: Session, tenant_id: int, account_id: int, invoice_id: int) -> Invoice:
    invoice = session.scalar(
        select(Invoice)
        .where(
            Invoice.id == invoice_id,
            Invoice.tenant_id == tenant_id,
            Invoice.account_id == account_id,
        )
        .options(
            # each line's order item with its plan and product: what its price is for
            selectinload(Invoice.lines).options(
                joinedload(InvoiceLine.order_item).options(
                    joinedload(OrderItem.plan), joinedload(OrderItem.product)
                ),
                # a billing run's line: its subscription's cycle and product's unit
                joinedload(InvoiceLine.subscription).joinedload(Subscription.product),
            )
        )
    )
    if invoice is None:
        raise NotFound("That invoice does not exist.")
    return invoice


def hold_reasons() -> tuple[str, ...]:
    return HoldReason.ALL


# --- recurring billing (issue 17) -------------------------------------------------------------


def credited_invoice(session: Session, invoice: Invoice) -> Invoice | None:
    """The invoice a credit note credits (same tenant), else None."""
    if invoice.credit_note_for_id is None:
        return None
    return session.scalar(
        select(Invoice).where(
            Invoice.id == invoice.credit_note_for_id, Invoice.tenant_id == invoice.tenant_id
        )
    )
