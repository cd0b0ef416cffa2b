"""Checkout (PRODUCT.md 5.5): manual, automatic, credit, scheduled, reseller approval, payment
failures and exactly-once placement, at the service level on both engines."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core.db import utcnow
from core.enums import HoldReason
from core.models import (
    Invoice,
    OrderHold,
    Payment,
    Product,
    Subscription,
    User,
)
from core.rules.statuses import StatusKey
from core.services import basket as basket_service
from core.services import checkout
from core.services.payments import (
    TEST_CARD_SUCCEEDS,
    SandboxGateway,
)

GOOD_CARD = {
    "number": TEST_CARD_SUCCEEDS,
    "expiry_month": "12",
    "expiry_year": str(utcnow().year + 2),
    "cvc": "123",
    "holder": "Alice Acme",
}


def user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def product(session, tenant_id, code) -> Product:
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == code)
    )


def add(session, u, code, qty=1):
    p = product(session, u.tenant_id, code)
    return basket_service.add_product(session, u.tenant_id, u, p.id, p.plans[0].id, qty)


def count(session, model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


def status_key(session, order):
    session.refresh(order)
    return order.status.mandatory_key


def test_a_manual_checkout_is_submitted_without_payment_invoice_or_subscription(session, demo):
    alice = user(session, "alice@acme.example")
    subs_before = count(session, Subscription, account_id=alice.account_id)
    add(session, alice, "MNG-FW", 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    assert status_key(session, order) == StatusKey.DRAFT
    result = checkout.place(session, alice.tenant_id, alice, order.id)
    assert status_key(session, result.order) == StatusKey.SUBMITTED
    assert count(session, Payment, order_id=order.id) == 0
    assert count(session, Invoice, order_id=order.id) == 0
    assert count(session, Subscription, account_id=alice.account_id) == subs_before
    hold = session.scalar(select(OrderHold).where(OrderHold.order_id == order.id))
    assert hold.reason == HoldReason.MANUAL_EXECUTION
    confirmation = checkout.confirmation(session, alice.tenant_id, alice, order.id)
    assert confirmation.kind == "manual"
    assert basket_service.basket_count(session, alice.id) == 0


def test_an_automatic_card_checkout_charges_once_invoices_once_and_subscribes(session, demo):
    alice = user(session, "alice@acme.example")
    gateway = SandboxGateway()
    subs_before = count(session, Subscription, account_id=alice.account_id)
    add(session, alice, "M365-PREM", 3)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id, card=GOOD_CARD, gateway=gateway)
    assert status_key(session, order) == StatusKey.EXECUTED
    payment = session.scalar(select(Payment).where(Payment.order_id == order.id))
    assert payment.status == "succeeded" and payment.card_last4 == "4242"
    assert payment.gateway_reference
    assert count(session, Invoice, order_id=order.id) == 1
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.total == Decimal("61.80") and invoice.paid
    assert count(session, Subscription, account_id=alice.account_id) == subs_before + 1
    assert gateway.charges == 1
    # placing again (double click, retry, back button) changes nothing
    again = checkout.place(
        session, alice.tenant_id, alice, order.id, card=GOOD_CARD, gateway=gateway
    )
    assert again.already_placed
    assert gateway.charges == 1
    assert count(session, Invoice, order_id=order.id) == 1
    assert count(session, Payment, order_id=order.id) == 1
