"""Pay now after a failed card payment (issue 13, point 9), at the service level on both
engines: one charge per attempt however often it is sent, the order executed the way a
successful checkout is, the flag kept (with the reason) when the new card fails too, and every
attempt in the order's history."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.enums import HoldReason
from core.models import Invoice, Order, OrderEvent, OrderHold, Payment, Subscription, User
from core.rules.payment_retry import attempt_key
from core.rules.statuses import StatusKey
from core.services import basket as basket_service
from core.services import checkout, payment_retry
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.payments import (
    TEST_CARD_DECLINED,
    TEST_CARD_ERROR,
    TEST_CARD_SUCCEEDS,
    SandboxGateway,
)


def card(number: str) -> dict:
    return {
        "number": number,
        "expiry_month": "12",
        "expiry_year": str(utcnow().year + 2),
        "cvc": "123",
        "holder": "Alice Acme",
    }


def user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def count(session, model, **where) -> int:
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return session.scalar(query)


def declined_order(session, gateway, email="alice@acme.example", code="AZ-BACKUP") -> Order:
    """A card checkout whose card was declined: Submitted with a payment-failed hold."""
    customer = user(session, email)
    from core.models import Product

    product = session.scalar(
        select(Product).where(Product.tenant_id == customer.tenant_id, Product.code == code)
    )
    basket_service.add_product(
        session, customer.tenant_id, customer, product.id, product.plans[0].id, 1
    )
    order = checkout.start_checkout(session, customer.tenant_id, customer)
    checkout.place(
        session,
        customer.tenant_id,
        customer,
        order.id,
        card=card(TEST_CARD_DECLINED),
        gateway=gateway,
    )
    session.expire_all()
    return session.get(Order, order.id)


def open_holds(session, order) -> list[OrderHold]:
    return list(
        session.scalars(
            select(OrderHold).where(OrderHold.order_id == order.id, OrderHold.released_at.is_(None))
        )
    )


def history(session, order) -> list[str]:
    return [
        e.note or ""
        for e in session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
    ]


def test_a_declined_checkout_is_paid_now_with_another_card_and_executed(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    subscriptions = count(session, Subscription, account_id=alice.account_id)
    order = declined_order(session, gateway)
    assert order.status.mandatory_key == StatusKey.SUBMITTED
    assert [h.reason for h in open_holds(session, order)] == [HoldReason.PAYMENT_FAILED]
    assert gateway.charges == 1

    result = payment_retry.pay_now(
        session,
        alice.tenant_id,
        alice,
        order.id,
        card=card(TEST_CARD_SUCCEEDS),
        attempt=2,
        gateway=gateway,
    )

    assert result.outcome == payment_retry.PAID
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status.mandatory_key == StatusKey.EXECUTED
    assert open_holds(session, order) == []
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    assert invoice is not None and invoice.paid and invoice.net_total == order.total
    assert count(session, Subscription, account_id=alice.account_id) == subscriptions + 1
    payments = list(
        session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id))
    )
    assert [(p.status, p.card_last4) for p in payments] == [
        ("declined", "0002"),
        ("succeeded", "4242"),
    ]
    assert payments[1].idempotency_key == attempt_key(checkout.charge_key(order), 2)
    assert gateway.charges == 2


def test_a_double_click_or_a_retry_of_one_attempt_charges_once(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    order = declined_order(session, gateway)
    for _ in range(3):  # the same form sent three times
        result = payment_retry.pay_now(
            session,
            alice.tenant_id,
            alice,
            order.id,
            card=card(TEST_CARD_SUCCEEDS),
            attempt=2,
            gateway=gateway,
        )
        assert result.outcome == payment_retry.PAID
    assert gateway.charges == 2  # the checkout's declined charge and one Pay now
    assert count(session, Payment, order_id=order.id) == 2
    assert count(session, Invoice, order_id=order.id) == 1


def test_two_pay_now_requests_at_once_charge_once(app, session, demo):
    from webapp.extensions import db

    gateway = SandboxGateway()
    alice_id = user(session, "alice@acme.example").id
    order_id = declined_order(session, gateway).id
    session.commit()
    outcomes, errors = [], []
    barrier = threading.Barrier(4)

    def pay():
        with app.app_context():
            try:
                me = db.session.get(User, alice_id)
                barrier.wait()
                result = payment_retry.pay_now(
                    db.session,
                    me.tenant_id,
                    me,
                    order_id,
                    card=card(TEST_CARD_SUCCEEDS),
                    attempt=2,
                    gateway=gateway,
                )
                outcomes.append(result.outcome)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert set(outcomes) <= {payment_retry.PAID, payment_retry.PROCESSING}
    assert gateway.charges == 2
    session.expire_all()
    assert count(session, Payment, order_id=order_id) == 2
    assert count(session, Invoice, order_id=order_id) == 1
    assert session.get(Order, order_id).status.mandatory_key == StatusKey.EXECUTED


def test_a_declined_pay_now_keeps_the_flag_and_says_why_then_another_card_pays(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    order = declined_order(session, gateway)

    failed = payment_retry.pay_now(
        session,
        alice.tenant_id,
        alice,
        order.id,
        card=card(TEST_CARD_ERROR),
        attempt=2,
        gateway=gateway,
    )

    assert failed.outcome == payment_retry.FAILED
    assert "The payment could not be processed." in failed.message
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.status.mandatory_key == StatusKey.SUBMITTED
    holds = open_holds(session, order)
    assert [(h.reason, h.detail) for h in holds] == [
        (HoldReason.PAYMENT_FAILED, "The payment could not be processed.")
    ]
    assert count(session, Invoice, order_id=order.id) == 0

    # the same attempt again is answered from its payment: no new charge
    again = payment_retry.pay_now(
        session,
        alice.tenant_id,
        alice,
        order.id,
        card=card(TEST_CARD_SUCCEEDS),
        attempt=2,
        gateway=gateway,
    )
    assert again.outcome == payment_retry.FAILED and gateway.charges == 2

    paid = payment_retry.pay_now(
        session,
        alice.tenant_id,
        alice,
        order.id,
        card=card(TEST_CARD_SUCCEEDS),
        attempt=3,
        gateway=gateway,
    )
    assert paid.outcome == payment_retry.PAID and gateway.charges == 3
    session.expire_all()
    assert session.get(Order, order.id).status.mandatory_key == StatusKey.EXECUTED


def test_the_order_history_shows_the_failed_payment_and_every_retry(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    order = declined_order(session, gateway)
    for attempt, number in ((2, TEST_CARD_DECLINED), (3, TEST_CARD_SUCCEEDS)):
        payment_retry.pay_now(
            session,
            alice.tenant_id,
            alice,
            order.id,
            card=card(number),
            attempt=attempt,
            gateway=gateway,
        )
    notes = history(session, order)
    expected = [
        "Card payment attempt 1 failed (card ending 0002): Your card was declined.",
        "Card payment attempt 2 started (card ending 0002)",
        "Card payment attempt 2 failed (card ending 0002): Your card was declined.",
        "Card payment attempt 3 started (card ending 4242)",
        "Card payment attempt 3 succeeded (card ending 4242)",
        "Hold released: payment failed (paid with attempt 3)",
    ]
    positions = [notes.index(note) for note in expected]
    assert positions == sorted(positions)


def test_an_invalid_card_is_refused_by_field_and_nothing_is_charged(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    order = declined_order(session, gateway)
    bad = {**card("4242424242424241"), "cvc": "1"}
    with pytest.raises(ValidationFailed) as error:
        payment_retry.pay_now(
            session, alice.tenant_id, alice, order.id, card=bad, attempt=2, gateway=gateway
        )
    assert set(error.value.errors) == {"card_number", "card_cvc"}
    assert count(session, Payment, order_id=order.id) == 1 and gateway.charges == 1


def test_a_stale_page_is_not_charged(session, demo):
    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    order = declined_order(session, gateway)
    with pytest.raises(Conflict):  # a form that does not say which attempt it was shown for
        payment_retry.pay_now(
            session,
            alice.tenant_id,
            alice,
            order.id,
            card=card(TEST_CARD_SUCCEEDS),
            attempt=None,
            gateway=gateway,
        )
    assert gateway.charges == 1


def test_orders_without_a_failed_payment_cannot_be_paid_now(session, demo):
    from tests.conftest import demo_manual_order

    gateway = SandboxGateway()
    alice = user(session, "alice@acme.example")
    manual = demo_manual_order(session)
    with pytest.raises(Conflict):
        payment_retry.pay_now(
            session,
            alice.tenant_id,
            alice,
            manual.id,
            card=card(TEST_CARD_SUCCEEDS),
            attempt=1,
            gateway=gateway,
        )
    assert gateway.charges == 0


def test_another_account_cannot_pay_an_order(session, demo):
    gateway = SandboxGateway()
    order = declined_order(session, gateway)
    bob = user(session, "bob@globex.example")
    with pytest.raises(NotFound):
        payment_retry.pay_now(
            session,
            bob.tenant_id,
            bob,
            order.id,
            card=card(TEST_CARD_SUCCEEDS),
            attempt=2,
            gateway=gateway,
        )
    assert gateway.charges == 1


def test_the_confirmation_says_the_payment_failed(session, demo):
    alice = user(session, "alice@acme.example")
    order = declined_order(session, SandboxGateway())
    result = checkout.confirmation(session, alice.tenant_id, alice, order.id)
    assert result.kind == "payment_failed"
    assert result.message.startswith("Your payment failed: Your card was declined.")


def test_a_scheduled_order_whose_card_fails_on_its_date_is_paid_now(session, demo):
    from datetime import UTC, datetime, time

    from core.models import Product
    from core.rules import scheduling_window
    from core.services import scheduling

    alice = user(session, "alice@acme.example")
    product = session.scalar(
        select(Product).where(Product.tenant_id == alice.tenant_id, Product.code == "AZ-BACKUP")
    )
    basket_service.add_product(session, alice.tenant_id, alice, product.id, product.plans[0].id, 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    day, _last = scheduling_window.window(utcnow(), alice.timezone)
    checkout.place(
        session,
        alice.tenant_id,
        alice,
        order.id,
        when="scheduled",
        schedule_on=day,
        card=card(TEST_CARD_DECLINED),  # kept as a token, charged on the date
    )
    run = scheduling.run_due(session, now=datetime.combine(day, time(12), tzinfo=UTC))
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.number in run.returned
    assert [h.reason for h in open_holds(session, order)] == [HoldReason.PAYMENT_FAILED]

    gateway = SandboxGateway()
    paid = payment_retry.pay_now(
        session,
        alice.tenant_id,
        alice,
        order.id,
        card=card(TEST_CARD_SUCCEEDS),
        attempt=2,
        gateway=gateway,
    )

    assert paid.outcome == payment_retry.PAID and gateway.charges == 1
    session.expire_all()
    assert session.get(Order, order.id).status.mandatory_key == StatusKey.EXECUTED
