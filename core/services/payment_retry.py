"""Pay now: paying a Submitted card order again after its payment failed (issue 13, point 9).

Like the checkout's charge, an attempt runs between two short transactions: the first locks the
order, checks the rule (:mod:`core.rules.payment_retry`) and writes a pending Payment whose
idempotency key is derived from the order and the attempt number (unique in the database); the
charge carries that key; the second records the answer and, when paid, releases the
payment-failed hold and executes the order the way a successful checkout does
(:func:`core.services.checkout.execute_paid`). The form carries the attempt it was shown for,
so a double click or a retried request of the same attempt finds its payment and charges once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import HoldReason, PaymentMethod
from core.models import Order, Payment, User
from core.rules import payment_retry as rules
from core.rules.statuses import StorefrontType
from core.services import payments as pay
from core.services.audit import record_order_event
from core.services.checkout import (
    actor_name,
    add_pending_card_payment,
    charge_key,
    charge_order,
    execute_paid,
)
from core.services.errors import Conflict, NotFound
from core.services.execution import lock_order
from core.services.invoicing import charge_amount

PAID = "paid"
FAILED = "failed"
PROCESSING = "processing"


@dataclass
class PayNowResult:
    order_id: int
    outcome: str  # PAID / FAILED / PROCESSING
    message: str


def card_payments(session: Session, order_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.order_id == order_id, Payment.method == PaymentMethod.CARD)
            .order_by(Payment.id)
        )
    )


def facts(order: Order, payments: list[Payment]) -> rules.PayNowFacts:
    return rules.PayNowFacts(
        status_type=order.status.type,
        payment_method=order.payment_method or "",
        open_holds=rules.open_reasons(order.holds),
        anything_executed=any(i.executed_quantity > 0 for i in order.items),
        already_paid=any(p.status == pay.SUCCEEDED for p in payments),
    )


def _outcome(order_id: int, payment: Payment) -> PayNowResult:
    if payment.status == pay.SUCCEEDED:
        return PayNowResult(order_id, PAID, texts.PAY_NOW_SUCCEEDED)
    if payment.status in (pay.PENDING, pay.AWAITING):
        return PayNowResult(order_id, PROCESSING, texts.PAYMENT_PROCESSING)
    reason = payment.message or texts.PAYMENT_DECLINED
    return PayNowResult(order_id, FAILED, texts.PAY_NOW_FAILED.format(reason=reason))


def _own_placed_order(session: Session, tenant_id: int, user: User, order_id: int) -> Order:
    order = lock_order(session, tenant_id, order_id)
    visible = order.storefront_status is not None and (
        order.storefront_status.storefront_type != StorefrontType.DRAFT
    )
    if order.account_id != user.account_id or order.parent_order_id is not None or not visible:
        raise NotFound("That order does not exist.")
    return order


def pay_now(
    session: Session,
    tenant_id: int,
    user: User,
    order_id: int,
    *,
    card: dict,
    attempt: int | None,
    now: datetime | None = None,
    gateway: pay.PaymentGateway | None = None,
) -> PayNowResult:
    """Charge the order with another card once per ``attempt`` (the number the form showed)."""
    now = now or utcnow()
    gateway = gateway or pay.default_gateway()
    with write_transaction(session):
        order = _own_placed_order(session, tenant_id, user, order_id)
        payments = card_payments(session, order.id)
        by_key = {p.idempotency_key: p for p in payments}
        base = charge_key(order)
        if attempt is not None and attempt <= len(payments):
            earlier = by_key.get(rules.attempt_key(base, attempt))
            if earlier is not None:  # a repeat of an attempt already made: its answer
                return _outcome(order.id, earlier)
        if not rules.can_pay_now(facts(order, payments)):
            if any(p.status == pay.SUCCEEDED for p in payments):
                return PayNowResult(order.id, PAID, texts.PAY_NOW_ALREADY_PAID)
            raise Conflict(texts.PAY_NOW_NOT_NEEDED)
        expected = rules.next_attempt(len(payments))
        if attempt != expected:
            # the page was older than the last attempt (another tab): show it again
            raise Conflict(texts.PAY_NOW_PAGE_CHANGED)
        details = pay.card_or_refuse(card, now.date())
        key = rules.attempt_key(base, attempt)
        add_pending_card_payment(session, order, gateway.name, details.last4, key, now)
        record_order_event(
            session,
            order,
            "note",
            actor=user,
            actor_name=actor_name(user),
            note=texts.PAYMENT_EVENT_STARTED.format(attempt=attempt, last4=details.last4),
        )
    result = charge_order(gateway, order, details, None, key)
    return finalize_attempt(session, tenant_id, order_id, key, attempt, result, now=now, actor=user)


def finalize_attempt(
    session: Session,
    tenant_id: int,
    order_id: int,
    key: str,
    attempt: int,
    result: pay.ChargeResult,
    *,
    now: datetime,
    actor: User | None,
) -> PayNowResult:
    """Record the gateway's answer of one attempt; when paid, release the payment-failed hold
    and execute. Does nothing more if that attempt was already finalized."""
    with write_transaction(session):
        order = lock_order(session, tenant_id, order_id)
        payment = session.scalar(
            select(Payment)
            .where(Payment.idempotency_key == key, Payment.order_id == order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment is None or payment.status != pay.PENDING:
            return _outcome(order_id, payment) if payment else PayNowResult(order_id, FAILED, "")
        name = actor_name(actor)
        payment.status = result.status
        payment.gateway_reference = result.reference
        payment.message = (result.message or "")[:300] or None
        last4 = payment.card_last4 or "????"
        failed_holds = [
            h
            for h in order.holds
            if h.reason == HoldReason.PAYMENT_FAILED and h.released_at is None
        ]
        if not result.succeeded:
            reason = result.message or texts.PAYMENT_DECLINED
            for hold in failed_holds:  # the flag stays, with the latest reason
                hold.detail = reason
            record_order_event(
                session,
                order,
                "note",
                actor=actor,
                actor_name=name,
                note=texts.PAYMENT_EVENT_FAILED.format(attempt=attempt, last4=last4, reason=reason),
            )
            return _outcome(order_id, payment)
        record_order_event(
            session,
            order,
            "note",
            actor=actor,
            actor_name=name,
            note=texts.PAYMENT_EVENT_SUCCEEDED.format(attempt=attempt, last4=last4),
        )
        for hold in failed_holds:
            hold.released_at = now
            hold.released_by_user_id = actor.id if actor else None
            hold.release_note = texts.PAYMENT_HOLD_RELEASED.format(attempt=attempt)
            record_order_event(
                session,
                order,
                "release",
                actor=actor,
                actor_name=name,
                note=texts.PAYMENT_HOLD_RELEASED_EVENT.format(attempt=attempt),
            )
        session.flush()
        execute_paid(session, order, now, actor_name=name)
        return _outcome(order_id, payment)


@dataclass
class PayNowState:
    """What the order page shows about paying: the flag, the reason, and the form's attempt."""

    payment_failed: bool
    reason: str
    can_pay: bool
    attempt: int
    payments: list[Payment]
    # what the next attempt charges (VAT included, as the checkout's charge and the invoice):
    # the Pay button's amount; None when the order cannot be paid now
    amount: Decimal | None = None


def amount_to_pay(order: Order) -> Decimal:
    """What a Pay now attempt charges: the order's gross (VAT included), computed by the one
    function the checkout's charge and :func:`pay_now` use (``order.total`` is before VAT)."""
    return charge_amount(order)


def pay_now_view(session: Session, order: Order, payments: list[Payment]) -> PayNowState:
    """:func:`pay_now_state` with the amount the button offers (the tenant's VAT settings are
    read only for an order that can be paid now)."""
    state = pay_now_state(order, payments)
    if state.can_pay:
        state.amount = amount_to_pay(order)
    return state


def pay_now_state(order: Order, payments: list[Payment]) -> PayNowState:
    """From the order with its holds and its payments already loaded (no query); without the
    amount (:func:`pay_now_view` adds it)."""
    cards = [p for p in payments if p.method == PaymentMethod.CARD]
    failed = [
        h for h in order.holds if h.reason == HoldReason.PAYMENT_FAILED and h.released_at is None
    ]
    return PayNowState(
        payment_failed=bool(failed),
        reason=(failed[0].detail or "") if failed else "",
        can_pay=rules.can_pay_now(facts(order, cards)),
        attempt=rules.next_attempt(len(cards)),
        payments=cards,
    )


def awaiting_payment(orders: list[Order]) -> set[int]:
    """Ids of the orders whose payment failed and is still open (their holds loaded)."""
    return {o.id for o in orders if HoldReason.PAYMENT_FAILED in rules.open_reasons(o.holds)}


__all__ = [
    "pay_now_state",
    "pay_now_view",
    "amount_to_pay",
    "awaiting_payment",
    "pay_now",
    "finalize_attempt",
    "card_payments",
    "facts",
    "PayNowResult",
]
