"""An invoice paid by card at checkout, by Pay now on an order or by a held order's charge
is paid on every page: its payment is linked to it (``payment.invoice_id``), so the Storefront
invoice page and the BSS payments page list the payment and owe nothing, and the PDF and the
print-out say no "Please pay by". Rows written before the fix are linked by migration 0018.
Both engines, through HTTP."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import select, update

from core import texts
from core.models import Invoice, Payment
from core.rules.pricing import format_money
from tests.conftest import login, soup, text_of
from tests.test_payment_retry_web import PAY_GOOD, declined_checkout, pay
from tests.test_storefront_web import CARD, checkout

ROOT = Path(__file__).resolve().parents[1]


def _paid_invoice_and_payment(session, order_id):
    session.expire_all()
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    payment = session.scalar(
        select(Payment).where(Payment.order_id == order_id, Payment.status == "succeeded")
    )
    return invoice, payment


def assert_paid_everywhere(client, session, invoice, payment):
    assert invoice.status == "paid"
    amount = format_money(payment.amount, "EUR")
    # the Storefront invoice page: the payment listed, nothing owed, nothing to pay
    page = soup(client.get(f"/invoices/{invoice.id}"))
    box = page.find(id="pay-invoice")
    assert box.find(id="invoice-owed").get_text(strip=True) == "€0.00"
    assert texts.INVOICE_NO_PAYMENTS not in box.get_text(" ")
    listed = box.select_one("ul.payments").get_text(" ", strip=True)
    assert amount in listed and texts.PAYMENT_STATUS_LABELS["succeeded"] in listed
    assert box.find("form") is None
    # the print-out (the PDF's HTML): no payment terms on a paid invoice
    printed = text_of(client.get(f"/invoices/{invoice.id}/print"))
    assert "Please pay by" not in printed
    assert texts.INVOICE_PAID_ON.split("{")[0] in printed
    # the BSS payments page says the same
    client.post("/logout")
    login(client, "admin@skyline.example")
    bss = soup(client.get(f"/bss/invoices/{invoice.id}/payments"))
    assert bss.find(id="invoice-status").get_text(strip=True) == "Paid"
    assert bss.find(id="invoice-owed").get_text(strip=True) == "€0.00"
    rows = bss.select("#payments tbody tr")
    assert len(rows) == 1 and amount in rows[0].get_text(" ")
    assert "Please pay by" not in text_of(client.get(f"/bss/invoices/{invoice.id}/print"))


def test_a_card_checkout_links_its_payment_to_its_invoice(client, session, demo):
    order_id, _review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "1", CARD
    )
    assert placed.status_code == 303
    invoice, payment = _paid_invoice_and_payment(session, order_id)
    assert payment.invoice_id == invoice.id
    assert payment.amount == invoice.total
    assert_paid_everywhere(client, session, invoice, payment)


def test_pay_now_on_an_order_links_its_payment_to_the_invoice(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    assert pay(client, order_id, "2").status_code == 303
    invoice, payment = _paid_invoice_and_payment(session, order_id)
    assert payment.invoice_id == invoice.id
    declined = session.scalar(
        select(Payment).where(Payment.order_id == order_id, Payment.status == "declined")
    )
    assert declined.invoice_id is None  # a declined attempt paid nothing
    assert_paid_everywhere(client, session, invoice, payment)


def test_the_demos_pay_now_order_ends_with_a_paid_invoice(client, session, demo):
    login(client, "alice@acme.example")
    link = soup(client.get("/orders")).select_one("a[href$='#pay-now']")
    order_id = int(link["href"].split("/")[2].split("#")[0])
    assert pay(client, order_id, "2", **PAY_GOOD).status_code == 303
    invoice, payment = _paid_invoice_and_payment(session, order_id)
    assert payment.invoice_id == invoice.id
    assert_paid_everywhere(client, session, invoice, payment)


def _migration():
    path = ROOT / "migrations" / "versions" / "0018_link_order_payments.py"
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_links_the_payments_stored_without_their_invoice(client, session, demo):
    """Rows written before the fix: a succeeded order payment with invoice_id NULL is linked
    to its order's invoice; a declined one, and one already linked, are left alone."""
    order_id, _ = declined_checkout(client, session)
    assert pay(client, order_id, "2").status_code == 303
    invoice, payment = _paid_invoice_and_payment(session, order_id)
    session.execute(update(Payment).where(Payment.order_id == order_id).values(invoice_id=None))
    session.commit()
    _migration().link_order_payments(session.connection())
    session.commit()
    invoice, payment = _paid_invoice_and_payment(session, order_id)
    assert payment.invoice_id == invoice.id
    declined = session.scalar(
        select(Payment).where(Payment.order_id == order_id, Payment.status == "declined")
    )
    assert declined.invoice_id is None
    client.post("/logout")
    login(client, "alice@acme.example")
    assert_paid_everywhere(client, session, invoice, payment)


def test_a_paid_invoice_says_when_it_was_paid_and_no_due_date(client, session, demo):
    order_id, _review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "1", CARD
    )
    invoice, _payment = _paid_invoice_and_payment(session, order_id)
    assert invoice.status == "paid"
    paid_on = f"{invoice.paid_at:%d/%m/%Y}"
    page = soup(client.get(f"/invoices/{invoice.id}"))
    facts = page.select_one("dl.meta").get_text(" ", strip=True)
    assert f"{texts.INVOICE_PAID_ON_LABEL} {paid_on}" in facts, facts
    assert texts.INVOICE_DUE_DATE not in facts, facts
    box = page.find(id="pay-invoice")
    assert "pay-now" not in box["class"] and "paid" in box["class"]  # no alarm border
    assert texts.INVOICE_DUE not in [dt.get_text(strip=True) for dt in box.select("dt")]
    assert f"{texts.INVOICE_PAID_ON_LABEL} {paid_on}" in box.get_text(" ", strip=True)
    printed = soup(client.get(f"/invoices/{invoice.id}/print"))
    facts = printed.select_one("dl.facts").get_text(" ", strip=True)
    assert texts.INVOICE_DUE_DATE not in facts and texts.INVOICE_PAID_ON_LABEL in facts, facts
    client.post("/logout")
    login(client, "admin@skyline.example")
    bss = soup(client.get(f"/bss/invoices/{invoice.id}"))
    facts = bss.select_one("dl").get_text(" ", strip=True)
    assert texts.INVOICE_DUE_DATE not in facts and texts.INVOICE_PAID_ON_LABEL in facts, facts
