"""A credit note is not money the customer owes: it is *Issued* (never *Open*), has no due date
and nothing still owed, no Payments link or payments page, and never reaches the overdue list,
the open balance or the card collection. Credit notes stored *Open* before are made *Issued* by
migration 0019. Both engines, through HTTP and the services."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update

from core import texts
from core.models import Account, Invoice, Payment
from core.rules.invoicing import InvoiceStatus
from core.services import billing, dunning, invoice_payment
from tests.conftest import login, soup, text_of
from tests.test_billing_web import _acme_run_invoice, _run

ROOT = Path(__file__).resolve().parents[1]
ISSUED = texts.INVOICE_STATUS_LABELS["issued"]


def _credit_five(client, session):
    _run(session)
    invoice = _acme_run_invoice(session)
    invoice_id, account_id = invoice.id, invoice.account_id
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"amount": "5", "reason": "Test"}
    )
    assert response.status_code == 303
    session.expire_all()
    note = session.scalar(select(Invoice).where(Invoice.credit_note_for_id == invoice_id))
    return session.get(Invoice, invoice_id), note, account_id


def test_a_credit_note_is_issued_not_open_on_every_bss_page(client, session, demo):
    invoice, note, account_id = _credit_five(client, session)
    assert note.status == InvoiceStatus.ISSUED
    page = soup(client.get(f"/bss/invoices/{note.id}"))
    assert page.find(id="invoice-status").get_text(strip=True) == ISSUED
    assert page.find(id="invoice-payments-link") is None
    # the account's invoice list: no Payments link, not Open
    account = soup(client.get(f"/bss/accounts/{account_id}"))
    row = account.select_one("#invoices").find("a", string=note.number).find_parent("tr")
    assert row.find("a", href=f"/bss/invoices/{note.id}/payments") is None
    assert "Open" not in row.get_text(" ") and ISSUED in row.get_text(" ")
    invoice_row = account.select_one("#invoices").find("a", string=invoice.number)
    assert invoice_row.find_parent("tr").find("a", href=f"/bss/invoices/{invoice.id}/payments")
    # its payments page: none to show, the credit note's own page instead
    payments = client.get(f"/bss/invoices/{note.id}/payments")
    assert payments.status_code == 303
    assert payments.headers["Location"] == f"/bss/invoices/{note.id}"
    # the invoice it credits owes the credit note's amount less
    state = invoice_payment.bss_invoice(session, invoice.tenant_id, invoice.id).state
    assert state.credited == note.total and state.owed == invoice.total - note.total


def test_a_credit_note_owes_nothing_and_is_never_collected(client, session, demo):
    invoice, note, account_id = _credit_five(client, session)
    state = invoice_payment.pay_state(session, note)
    assert state.owed == Decimal("0.00") and not state.can_pay
    # however late: never overdue, never in the open balance, never charged
    late = note.due_date + timedelta(days=60)
    assert note.id not in {r.invoice_id for r in dunning.overdue(session, note.tenant_id, late)}
    balance = billing.open_balance(session, note.tenant_id, account_id)
    assert balance >= 0
    session.commit()
    assert invoice_payment.collect(session, note) == invoice_payment.LEFT_OPEN
    charged = select(Payment).where(Payment.invoice_id == note.id)
    assert session.scalars(charged).all() == []


def test_the_customer_reads_the_credit_note_as_issued(client, session, demo):
    _invoice, note, _account_id = _credit_five(client, session)
    client.post("/logout")
    login(client, "alice@acme.example")
    listing = soup(client.get("/invoices"))
    row = listing.find("a", string=note.number).find_parent("tr")
    assert "Open" not in row.get_text(" ")
    assert ISSUED in row.get_text(" ")
    assert texts.INVOICE_KIND_LABELS["credit_note"] in row.get_text(" ")
    page = client.get(f"/invoices/{note.id}")
    assert f"Status {ISSUED}" in text_of(page)
    assert soup(page).find(id="invoice-owed") is None


def _migration():
    path = ROOT / "migrations" / "versions" / "0019_credit_notes_issued.py"
    spec = importlib.util.spec_from_file_location("migration_0019", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_makes_the_open_credit_notes_issued(client, session, demo):
    invoice, note, _account_id = _credit_five(client, session)
    session.execute(update(Invoice).where(Invoice.id == note.id).values(status="open"))
    session.commit()
    _migration().credit_notes_issued(session.connection())
    session.commit()
    session.expire_all()
    assert session.get(Invoice, note.id).status == InvoiceStatus.ISSUED
    assert session.get(Invoice, invoice.id).status == "open"  # invoices untouched
    assert session.get(Account, invoice.account_id) is not None
