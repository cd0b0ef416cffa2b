"""Builders shared by the offers, scheduling and reseller-approval tests (issue 5)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from core.db import write_transaction
from core.enums import ExecutionType, HoldReason, OrderSource
from core.models import Account, OrderHold, Payment, Product, Tenant, User
from core.rules.statuses import StatusKey
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook


def tenant(session, slug="reseller") -> Tenant:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def account(session, name, slug="reseller") -> Account:
    return session.scalar(
        select(Account).where(Account.name == name, Account.tenant_id == tenant(session, slug).id)
    )


def user(session, email, kind=None) -> User:
    query = select(User).where(User.email == email)
    if kind:
        query = query.where(User.kind == kind)
    return session.scalar(query)


def product(session, code, slug="reseller") -> Product:
    return session.scalar(
        select(Product).where(Product.code == code, Product.tenant_id == tenant(session, slug).id)
    )


def item_spec(session, code, quantity, price=None) -> ItemSpec:
    p = product(session, code)
    plan = p.plans[0]
    manual = p.product_type.non_automatic_execution
    return ItemSpec(
        product_id=p.id,
        plan_id=plan.id,
        description=f"{p.name} ({plan.name})",
        quantity=quantity,
        unit_price=Decimal(price) if price is not None else Decimal("1.00"),
        execution_type=ExecutionType.MANUAL if manual else ExecutionType.AUTOMATIC,
    )


def _charge_key(order) -> str:
    """The key the checkout gives the card kept for an order (unique per test run, because
    the sandbox gateway remembers keys for the life of the process)."""
    from core.services.checkout import charge_key

    order.idempotency_key = uuid.uuid4().hex
    return charge_key(order)


def scheduled_order(
    session,
    account_name: str,
    day: date,
    *,
    code="M365-STD",
    quantity=2,
    price="1.00",
    card_token: str | None = "tok_sandbox_4242_test",
    placed: datetime | None = None,
):
    """A Storefront order waiting in Scheduled for ``day`` with the card kept as a token."""
    t = tenant(session)
    acct = account(session, account_name)
    with write_transaction(session):
        book = StatusBook.load(session, t.id)
        order = build_order(
            session,
            tenant_id=t.id,
            account=acct,
            status=book.by_key(StatusKey.SCHEDULED),
            items=[item_spec(session, code, quantity, price)],
            source=OrderSource.STOREFRONT,
            order_date=placed,
            scheduled_for=day,
        )
        session.add(OrderHold(order_id=order.id, reason=HoldReason.SCHEDULED, detail=str(day)))
        if card_token and acct.payment_method == "card":
            session.add(
                Payment(
                    tenant_id=t.id,
                    order_id=order.id,
                    amount=order.total,
                    method="card",
                    status="awaiting",
                    gateway="sandbox",
                    gateway_reference=card_token,
                    card_last4=card_token.split("_")[2],
                    idempotency_key=_charge_key(order),
                )
            )
    return order.id


def pending_approval_order(session, account_name="Initech", code="M365-STD", quantity=3):
    """A Storefront order of a standard reseller's customer waiting for the reseller."""
    t = tenant(session)
    acct = account(session, account_name)
    with write_transaction(session):
        book = StatusBook.load(session, t.id)
        order = build_order(
            session,
            tenant_id=t.id,
            account=acct,
            status=book.by_key(StatusKey.PENDING_RESELLER_APPROVAL),
            items=[item_spec(session, code, quantity, "11.70")],
            source=OrderSource.STOREFRONT,
        )
        session.add(OrderHold(order_id=order.id, reason=HoldReason.RESELLER_APPROVAL))
        if acct.payment_method == "card":
            session.add(
                Payment(
                    tenant_id=t.id,
                    order_id=order.id,
                    amount=order.total,
                    method="card",
                    status="awaiting",
                    gateway="sandbox",
                    gateway_reference="tok_sandbox_4242_test",
                    card_last4="4242",
                    idempotency_key=_charge_key(order),
                )
            )
    return order.id


def park_demo_schedules(session) -> None:
    """Move the demo's scheduled orders far ahead, so tests with their own clock only see the
    orders they create (the demo's order is due "tomorrow" by the real clock)."""
    from core.models import Order, OrderStatus

    orders = session.scalars(
        select(Order)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(OrderStatus.type == "scheduled")
    ).all()
    for order in orders:
        order.scheduled_for = date(2099, 1, 1)
    session.commit()
