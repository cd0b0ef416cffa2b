"""Helpers for the payment and dunning tests (issue 17, point 5): a renewal invoice issued the
way the billing run issues one (committed, one line per subscription period), a saved card."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow, write_transaction
from core.models import Account, Invoice, InvoiceLine, Subscription, User
from core.services import invoice_payment
from core.services import payments as pay
from core.services.payments import TEST_CARD_DECLINED, TEST_CARD_ERROR, TEST_CARD_SUCCEEDS

CARDS = {"ok": TEST_CARD_SUCCEEDS, "declined": TEST_CARD_DECLINED, "error": TEST_CARD_ERROR}


def account(session, name: str) -> Account:
    return session.scalar(select(Account).where(Account.name == name))


def user(session, email: str) -> User:
    return session.scalar(select(User).where(User.email == email))


def card_form(number: str) -> dict:
    return {
        "number": number,
        "expiry_month": "12",
        "expiry_year": str(utcnow().year + 2),
        "cvc": "123",
        "holder": "Alice Acme",
    }


def store_card(session, account_name: str, kind: str) -> None:
    """The account's saved card is the sandbox's test card ``kind`` (ok, declined, error)."""
    gateway = pay.default_gateway()
    number = CARDS[kind]
    details = pay.CardDetails(number, 12, utcnow().year + 2, "123", "Test")
    with write_transaction(session):
        acc = account(session, account_name)
        invoice_payment.save_card(
            session, acc, gateway.name, gateway.tokenize(details), number[-4:], utcnow()
        )
    session.rollback()


_numbers = iter(range(9000, 99999))


def renewal_invoice(
    session, account_name: str, issue_date: date, total: Decimal = Decimal("121.00")
) -> int:
    """An open renewal invoice (no order) billing every active subscription of the account,
    committed as the billing run commits one; returns its id."""
    with write_transaction(session):
        acc = account(session, account_name)
        subs = list(
            session.scalars(
                select(Subscription)
                .where(Subscription.account_id == acc.id, Subscription.status == "active")
                .order_by(Subscription.id)
            )
        )
        invoice = Invoice(
            tenant_id=acc.tenant_id,
            account_id=acc.id,
            order_id=None,
            number=f"INV-T{next(_numbers)}",
            total=total,
            net_total=(total / Decimal("1.21")).quantize(Decimal("0.01")),
            tax_total=total - (total / Decimal("1.21")).quantize(Decimal("0.01")),
            currency="EUR",
            kind="invoice",
            status="open",
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=14),
        )
        session.add(invoice)
        session.flush()
        share = (invoice.net_total / max(1, len(subs))).quantize(Decimal("0.01"))
        for sub in subs:
            session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    description=f"Subscription {sub.id}",
                    quantity=sub.quantity,
                    unit_price=share,
                    amount=share,
                    subscription_id=sub.id,
                    period_start=issue_date,
                    period_end=issue_date + timedelta(days=30),
                )
            )
        invoice_id = invoice.id
    session.rollback()
    return invoice_id


def collect(session, invoice_id: int) -> str:
    """The billing run's hook, as the run calls it after its commit."""
    outcome = invoice_payment.collect(session, session.get(Invoice, invoice_id))
    session.rollback()
    return outcome


def fresh_gateway(monkeypatch) -> pay.SandboxGateway:
    """A new sandbox gateway for one test: its memory of idempotency keys starts empty (the
    database's ids start again in every test, so ``invoice-1-attempt-1`` comes back)."""
    gateway = pay.SandboxGateway()
    monkeypatch.setattr(pay, "_default", gateway)
    return gateway
