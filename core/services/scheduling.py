"""Scheduled orders (PRODUCT.md 5.5): the customer's date, and the worker that executes them.

A due order is *claimed* in a short transaction (row lock, Scheduled → Executing), then
executed in a second one: items re-priced from the current price list, credit and payment
re-checked, then :func:`core.services.execution.apply_execution` (→ Executed). A failed check
puts it back to Submitted with a hold that says why, and tells the customer.

Never twice: the claim re-reads the locked row, so of two workers only one moves an order to
Executing; the execution step locks the order again and does nothing unless it is still
Executing. A worker that dies after claiming leaves the order in Executing; once the lease
(:data:`core.rules.scheduling.EXECUTING_LEASE`) has passed, a later run claims it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import HoldReason, PaymentMethod
from core.models import (
    Account,
    Order,
    OrderHold,
    OrderStatus,
    Payment,
    User,
)
from core.rules import scheduling as rules
from core.rules.notifications import SCHEDULED_FAILED
from core.rules.pricing import format_money
from core.rules.statuses import OrderStatusType, StatusKey
from core.services import billing, invoicing, order_messages
from core.services import promotions as promotion_service
from core.services.audit import record_order_event
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.execution import apply_execution, line_amount, lock_order
from core.services.pricing import addon_prices, plan_prices
from core.services.statuses import StatusBook, set_order_status

log = logging.getLogger(__name__)
WORKER = "scheduler"
CENT = Decimal("0.01")

# charge(session, order, now) -> (succeeded, message); must be idempotent per order
Charge = Callable[[Session, Order, datetime], tuple[bool, str]]


@dataclass
class CheckOutcome:
    executed: bool
    reason: str | None = None  # HoldReason when not executed
    detail: str | None = None


@dataclass
class RunSummary:
    executed: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)  # back to Submitted, with the reason
    skipped: int = 0
    errors: list[int] = field(default_factory=list)


# --- the worker ------------------------------------------------------------------------------


def find_due(
    session: Session, now: datetime, tenant_id: int | None = None, limit: int = 200
) -> list[tuple[int, int]]:
    """(tenant id, order id) of Scheduled orders whose date has come in the customer's zone,
    and of Executing orders whose worker's lease has run out."""
    latest_today = (now + timedelta(hours=14)).date()  # the furthest-ahead zone's today
    query = (
        select(Order.tenant_id, Order.id, Order.scheduled_for, OrderStatus.type, Account.timezone)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .join(Account, Account.id == Order.account_id)
        .where(
            or_(
                and_(
                    OrderStatus.type == OrderStatusType.SCHEDULED,
                    Order.scheduled_for <= latest_today,
                ),
                and_(
                    OrderStatus.type == OrderStatusType.EXECUTING,
                    Order.updated_at <= now - rules.EXECUTING_LEASE,
                ),
            )
        )
        .order_by(Order.scheduled_for, Order.id)
        .limit(limit)
    )
    if tenant_id is not None:
        query = query.where(Order.tenant_id == tenant_id)
    rows = session.execute(query).all()
    session.rollback()  # end the read transaction before the write ones
    return [
        (t, o)
        for t, o, day, type_, tz in rows
        if type_ == OrderStatusType.EXECUTING or rules.is_due(day, now, tz)
    ]


def claim(session: Session, tenant_id: int, order_id: int, now: datetime) -> bool:
    """Scheduled (due) or stale Executing → Executing, in its own short transaction.

    Returns False when another worker got there first or the order is no longer due."""
    with write_transaction(session):
        order = session.scalar(
            select(Order)
            .where(Order.id == order_id, Order.tenant_id == tenant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            return False
        status = session.get(OrderStatus, order.status_id)
        tz = session.get(Account, order.account_id).timezone
        if status.type == OrderStatusType.SCHEDULED and rules.is_due(order.scheduled_for, now, tz):
            note = texts.SCHEDULE_EVENT_CLAIMED
        elif status.type == OrderStatusType.EXECUTING and rules.lease_expired(
            order.updated_at, now
        ):
            note = texts.SCHEDULE_EVENT_RECLAIMED
        else:
            return False
        executing = StatusBook.load(session, tenant_id).by_key(StatusKey.EXECUTING)
        order.updated_at = now  # the lease starts now
        if order.status_id == executing.id:
            record_order_event(session, order, "note", actor_name=WORKER, note=note)
        else:
            set_order_status(session, order, executing, actor_name=WORKER, note=note)
    return True


def execute_claimed(
    session: Session, tenant_id: int, order_id: int, now: datetime, charge: Charge | None = None
) -> CheckOutcome | None:
    """Re-price, re-check and execute a claimed order. None if it is no longer Executing."""
    with write_transaction(session):
        order = lock_order(session, tenant_id, order_id)
        if session.get(OrderStatus, order.status_id).type != OrderStatusType.EXECUTING:
            return None
        release_hold(session, order, HoldReason.SCHEDULED, texts.SCHEDULE_HOLD_RELEASED, now)
        return execute_with_checks(session, order, now, charge=charge, actor_name=WORKER)


def run_due(
    session: Session,
    *,
    now: datetime | None = None,
    tenant_id: int | None = None,
    charge: Charge | None = None,
    limit: int = 200,
) -> RunSummary:
    """One pass of the worker: every due order is claimed, then executed (or returned)."""
    now = now or utcnow()
    summary = RunSummary()
    for order_tenant, order_id in find_due(session, now, tenant_id, limit):
        try:
            if not claim(session, order_tenant, order_id, now):
                summary.skipped += 1
                continue
            outcome = execute_claimed(session, order_tenant, order_id, now, charge)
        except Exception:  # one bad order must not stop the others; its lease brings it back
            log.exception("scheduled order %s could not be executed", order_id)
            session.rollback()
            summary.errors.append(order_id)
            continue
        number = session.get(Order, order_id).number
        if outcome is None:
            summary.skipped += 1
        elif outcome.executed:
            summary.executed.append(number)
        else:
            summary.returned.append(number)
    return summary


# --- checks at execution time (shared with reseller approval) -------------------------------


def execute_with_checks(
    session: Session,
    order: Order,
    now: datetime,
    *,
    charge: Charge | None = None,
    actor: User | None = None,
    actor_name: str = WORKER,
) -> CheckOutcome:
    """Inside the caller's transaction, ``order`` locked: re-price, check credit and payment,
    then execute; or back to Submitted with the reason and the customer told."""
    account = session.get(Account, order.account_id)
    reprice(session, order, account, now, actor_name=actor_name)
    shortfall = rules.credit_shortfall(
        order.total,
        account.credit_limit,
        billing.open_balance(session, account.tenant_id, account.id, order.id),
    )
    if shortfall is not None:
        detail = texts.SCHEDULE_CREDIT_DETAIL.format(amount=format_money(shortfall, order.currency))
        return _return_to_submitted(
            session, order, account, HoldReason.CREDIT_LIMIT, detail, now, actor, actor_name
        )
    if order.payment_method == PaymentMethod.CARD and order.total > 0:
        succeeded, message = (charge or gateway_charge)(session, order, now)
        if not succeeded:
            detail = message or texts.PAYMENT_DECLINED
            return _return_to_submitted(
                session, order, account, HoldReason.PAYMENT_FAILED, detail, now, actor, actor_name
            )
        # as at checkout: the invoice is issued paid, on the run's time, with the payment
        # linked to it (it read "Paid … Still owed, No payments yet" and its e-mail asked to
        # pay it), and the card that paid is the account's card for its renewals
        from core.services.checkout import execute_paid, keep_order_card

        execute_paid(session, order, now, actor_name=actor_name)
        keep_order_card(session, order, account, now)
        return CheckOutcome(True)
    apply_execution(session, order, None, actor=actor, actor_name=actor_name, now=now)
    return CheckOutcome(True)


def reprice(
    session: Session, order: Order, account: Account, now: datetime, *, actor_name: str = WORKER
) -> None:
    """Unit prices from the account's current price list and today's promotions."""
    price_list_id = account.price_list_id or order.price_list_id
    items = [i for i in order.items if i.executed_quantity == 0]
    plans = plan_prices(session, price_list_id, {i.plan_id for i in items if i.plan_id})
    addons = addon_prices(session, price_list_id, {i.addon_id for i in items if i.addon_id})
    # promotions are read on the tenant's day (core.rules.promotions)
    today = promotion_service.tenant_today(session, order.tenant_id, now)
    promotions = promotion_service.load_terms(
        session, order.tenant_id, {i.product_id for i in items if not i.addon_id}, today
    )
    before = order.total
    for item in items:
        price = addons.get(item.addon_id) if item.addon_id else plans.get(item.plan_id)
        if price is None:
            continue  # no longer in the price list: the line keeps the price it was ordered at
        if item.addon_id:
            # as in the basket: a product's promotion does not discount its add-ons
            item.unit_price, item.discount_percent = price, None
        else:
            item.unit_price, item.discount_percent = promotion_service.priced(
                promotions, item.product_id, item.plan_id, price, today
            )
    order.price_list_id = price_list_id
    order.total = sum((line_amount(i, i.quantity) for i in order.items), Decimal("0.00"))
    if order.total != before:
        record_order_event(
            session,
            order,
            "note",
            actor_name=actor_name,
            note=texts.SCHEDULE_EVENT_REPRICED.format(
                before=format_money(before, order.currency),
                after=format_money(order.total, order.currency),
            ),
        )
    session.flush()


def gateway_charge(session: Session, order: Order, now: datetime) -> tuple[bool, str]:
    """Charge the card kept for the order (a Payment ``awaiting`` with the gateway token),
    with the payment's idempotency key, so a retried run never charges twice."""
    from core.services import payments

    done = session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == payments.SUCCEEDED)
    )
    if done is not None:
        return True, ""
    waiting = session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == payments.AWAITING)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if waiting is None or not waiting.gateway_reference:
        return False, texts.PAYMENT_NO_CARD
    amount = invoicing.charge_amount(order)  # VAT included (issue 17)
    result = payments.default_gateway().charge(
        amount=amount,
        currency=order.currency,
        idempotency_key=waiting.idempotency_key,
        token=waiting.gateway_reference,
    )
    waiting.amount = amount
    waiting.status = result.status
    waiting.message = result.message
    waiting.created_at = now
    session.flush()
    return result.succeeded, result.message or ""


def release_hold(
    session: Session,
    order: Order,
    reason: str,
    note: str,
    now: datetime,
    *,
    actor: User | None = None,
    actor_name: str = WORKER,
) -> bool:
    """Release the open hold of ``reason`` with a history line; False if there was none."""
    released = False
    for hold in order.holds:
        if hold.reason == reason and hold.released_at is None:
            hold.released_at = now
            hold.released_by_user_id = actor.id if actor else None
            hold.release_note = note
            record_order_event(
                session,
                order,
                "release",
                actor=actor,
                actor_name=actor_name,
                note=texts.HOLD_RELEASED_NOTE.format(hold=texts.HOLD_LABELS.get(reason, reason))
                + f" — {note}",
            )
            released = True
    return released


def _return_to_submitted(session, order, account, reason, detail, now, actor, actor_name):
    session.add(OrderHold(order_id=order.id, reason=reason, detail=detail, placed_at=now))
    record_order_event(
        session,
        order,
        "hold",
        actor=actor,
        actor_name=actor_name,
        note=texts.HOLD_PLACED_NOTE.format(hold=texts.HOLD_LABELS.get(reason, reason))
        + f" — {detail}",
    )
    book = StatusBook.load(session, order.tenant_id)
    set_order_status(
        session,
        order,
        book.submitted(),
        actor=actor,
        actor_name=actor_name,
        note=texts.SCHEDULE_NOT_EXECUTED.format(reason=detail),
    )
    notify_customer(
        session,
        order,
        account,
        kind=SCHEDULED_FAILED,
        subject=texts.SCHEDULE_FAILED_SUBJECT.format(number=order.number),
        body=texts.SCHEDULE_FAILED_BODY.format(number=order.number, reason=detail),
        now=now,
    )
    session.flush()
    return CheckOutcome(False, reason, detail)


def notify_customer(session, order, account, *, kind, subject, body, now) -> None:
    """A message to the account (e-mail when configured, the log in development)."""
    from core.services.notifications import notify

    recipient = account.email or ""
    if not recipient:
        user = session.scalar(select(User).where(User.account_id == account.id).limit(1))
        recipient = user.email if user else ""
    notify(session, order.tenant_id, kind, recipient, subject, body, order_id=order.id, now=now)


# --- the customer's side ---------------------------------------------------------------------


def _customer_order(session, tenant_id, account_id, order_id) -> Order:
    order = lock_order(session, tenant_id, order_id)
    if order.account_id != account_id:
        raise NotFound("That order does not exist.")
    if session.get(OrderStatus, order.status_id).type != OrderStatusType.SCHEDULED:
        raise Conflict(texts.SCHEDULE_NOT_CHANGEABLE)
    return order


def reschedule(
    session: Session,
    tenant_id: int,
    account_id: int,
    order_id: int,
    day: date | None,
    *,
    actor: User | None = None,
    now: datetime | None = None,
    show_date: Callable[[date], str] | None = None,
) -> Order:
    """Move a Scheduled order to another date (tomorrow .. 60 days, customer's zone).
    ``show_date`` writes the dates of a refusal as the customer's pages show them."""
    now = now or utcnow()
    with write_transaction(session):
        order = _customer_order(session, tenant_id, account_id, order_id)
        tz = session.get(Account, account_id).timezone
        error = rules.schedule_date_error(day, now, tz, show_date or rules.day_month_year)
        if error:
            raise ValidationFailed(error, {"scheduled_for": [error]})
        previous = order.scheduled_for
        if day != previous:
            order.scheduled_for = day
            for hold in order.holds:
                if hold.reason == HoldReason.SCHEDULED and hold.released_at is None:
                    hold.detail = day.isoformat()
            record_order_event(
                session,
                order,
                "note",
                actor=actor,
                note=texts.SCHEDULE_EVENT_RESCHEDULED.format(
                    before=previous.isoformat() if previous else "—", after=day.isoformat()
                ),
            )
    return order


def cancel_scheduled(
    session: Session,
    tenant_id: int,
    account_id: int,
    order_id: int,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> Order:
    """The customer cancels a Scheduled order before its date (→ Canceled)."""
    now = now or utcnow()
    with write_transaction(session):
        order = _customer_order(session, tenant_id, account_id, order_id)
        tz = session.get(Account, account_id).timezone
        if not rules.can_cancel_before(order.scheduled_for, now, tz):
            raise Conflict(texts.SCHEDULE_TOO_LATE_TO_CANCEL)
        for hold in order.holds:
            if hold.released_at is None:
                hold.released_at = now
                hold.released_by_user_id = actor.id if actor else None
                hold.release_note = texts.SCHEDULE_CANCELED_NOTE
        set_order_status(
            session,
            order,
            StatusBook.load(session, tenant_id).canceled(),
            actor=actor,
            note=texts.SCHEDULE_CANCELED_NOTE,
        )
        order_messages.canceled(session, order, now)
    return order
