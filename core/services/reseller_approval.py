"""Standard resellers approve or reject their customers' orders (PRODUCT.md 5.5).

An order placed on the Storefront by a customer of a standard reseller waits in Pending
Reseller Approval with a ``reseller_approval`` hold. The reseller's Storefront users see only
orders of accounts whose ``reseller_account_id`` is their account; any other order is a 404.
Approving releases the hold (the reason goes in the history) and the order proceeds as it
would have at checkout; rejecting cancels it (Canceled by Reseller).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import AccountKind, HoldReason
from core.models import Account, Order, OrderItem, OrderStatus, User
from core.rules.statuses import OrderStatusType, StatusKey, StorefrontType
from core.services import order_messages, scheduling
from core.services.audit import record_order_event
from core.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from core.services.execution import lock_order
from core.services.statuses import StatusBook, set_order_status

MAX_REASON = 500


def reseller_account(session: Session, tenant_id: int, account_id: int | None) -> Account:
    """The signed-in user's account, which must be a standard reseller of the tenant."""
    account = session.get(Account, account_id) if account_id else None
    if account is None or account.tenant_id != tenant_id:
        raise Forbidden(texts.FORBIDDEN)
    if account.kind != AccountKind.STANDARD_RESELLER:
        raise Forbidden(texts.RESELLER_ONLY)
    return account


def _awaiting(order: Order, status: OrderStatus) -> bool:
    return (status.type, status.storefront_type) == (
        OrderStatusType.IN_PROGRESS,
        StorefrontType.PENDING_APPROVAL,
    )


def pending_orders(session: Session, tenant_id: int, reseller_account_id: int) -> list[Order]:
    """The reseller's customers' orders waiting in Pending Reseller Approval, oldest first."""
    return list(
        session.scalars(
            select(Order)
            .join(Account, Account.id == Order.account_id)
            .join(OrderStatus, OrderStatus.id == Order.status_id)
            .where(
                Order.tenant_id == tenant_id,
                Account.tenant_id == tenant_id,
                Account.reseller_account_id == reseller_account_id,
                OrderStatus.type == OrderStatusType.IN_PROGRESS,
                OrderStatus.storefront_type == StorefrontType.PENDING_APPROVAL,
            )
            .order_by(Order.order_date, Order.id)
            .options(
                # with what each price is for (issue 13)
                selectinload(Order.items).options(
                    joinedload(OrderItem.plan), joinedload(OrderItem.product)
                ),
                selectinload(Order.account),
                selectinload(Order.status),
            )
        )
    )


def pending_counts(session: Session, tenant_id: int, account_ids: list[int]) -> dict[int, int]:
    """How many orders of each of these accounts wait in Pending Reseller Approval."""
    rows = session.execute(
        select(Order.account_id, func.count(Order.id))
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(
            Order.tenant_id == tenant_id,
            Order.account_id.in_(account_ids),
            OrderStatus.type == OrderStatusType.IN_PROGRESS,
            OrderStatus.storefront_type == StorefrontType.PENDING_APPROVAL,
        )
        .group_by(Order.account_id)
    )
    return {account_id: count for account_id, count in rows}


def _reseller_order(session, tenant_id, reseller_account_id, order_id) -> Order:
    order = lock_order(session, tenant_id, order_id)
    customer = session.get(Account, order.account_id)
    if customer.reseller_account_id != reseller_account_id:
        raise NotFound("That order does not exist.")
    if not _awaiting(order, session.get(OrderStatus, order.status_id)):
        raise Conflict(texts.RESELLER_ORDER_NOT_PENDING)
    return order


def _clean_reason(reason: str | None, required: bool) -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(
            texts.RESELLER_REASON_REQUIRED, {"reason": [texts.RESELLER_REASON_REQUIRED]}
        )
    if len(reason) > MAX_REASON:
        message = texts.RESELLER_REASON_TOO_LONG.format(max=MAX_REASON)
        raise ValidationFailed(message, {"reason": [message]})
    return reason


def approve(
    session: Session,
    tenant_id: int,
    reseller_account_id: int,
    order_id: int,
    *,
    actor: User | None,
    reason: str | None = None,
    now: datetime | None = None,
) -> Order:
    """Release the approval hold; the order then proceeds as checkout would have sent it."""
    now = now or utcnow()
    reason = _clean_reason(reason, required=False) or texts.RESELLER_APPROVED_DEFAULT
    with write_transaction(session):
        order = _reseller_order(session, tenant_id, reseller_account_id, order_id)
        if not scheduling.release_hold(
            session,
            order,
            HoldReason.RESELLER_APPROVAL,
            texts.RESELLER_APPROVED_NOTE.format(reason=reason),
            now,
            actor=actor,
        ):
            record_order_event(
                session,
                order,
                "release",
                actor=actor,
                note=texts.RESELLER_APPROVED_NOTE.format(reason=reason),
            )
        order_messages.approval_decided(session, order, True, None, now)
        proceed(session, order, now, actor=actor)
    return order


def proceed(session: Session, order: Order, now: datetime, *, actor: User | None = None) -> None:
    """Continue placement once the approval hold is gone (PRODUCT.md 5.5), through the
    checkout's own continuation: a manual order is Submitted for the operations team, one over
    the credit limit waits for review, a scheduled one waits for its date, anything else is
    charged (the card kept as a gateway token at checkout) and executed."""
    from core.services.checkout import proceed_after_holds

    proceed_after_holds(session, order, now, actor=actor)
    session.flush()


def reject(
    session: Session,
    tenant_id: int,
    reseller_account_id: int,
    order_id: int,
    *,
    actor: User | None,
    reason: str | None,
    now: datetime | None = None,
) -> Order:
    """Cancel the order (Canceled by Reseller) with the reason in the history."""
    now = now or utcnow()
    with write_transaction(session):
        # the order first: one that is gone or no longer waiting says so (404/409), whatever
        # the reason typed (issue 8: a 422 for an order no longer listed showed no message)
        order = _reseller_order(session, tenant_id, reseller_account_id, order_id)
        reason = _clean_reason(reason, required=True)
        for hold in order.holds:
            if hold.released_at is None:
                hold.released_at = now
                hold.released_by_user_id = actor.id if actor else None
                hold.release_note = texts.RESELLER_REJECTED_NOTE.format(reason=reason)
        order.rejection_reason = reason  # the customer's order page shows it
        book = StatusBook.load(session, tenant_id)
        set_order_status(
            session,
            order,
            book.by_key(StatusKey.CANCELED_BY_RESELLER),
            actor=actor,
            note=texts.RESELLER_REJECTED_NOTE.format(reason=reason),
        )
        order_messages.approval_decided(session, order, False, reason, now)
    return order
