"""A credit note after payments (issue 17): an invoice that received payments is never Void;
the payments beyond what the credit left to pay are owed back to the customer (a refund due),
shown on the invoice's pages and the account page, and never counted in the open balance.
Both engines, through HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import texts
from core.models import DunningCase, Invoice
from core.services import billing, invoice_payment
from tests.conftest import login, soup, text_of
from tests.dunning_helpers import account
from tests.test_billing_web import _run


def _record(client, invoice_id: int, amount: str, nonce: str):
    form = {
        "amount": amount,
        "received_on": date.today().isoformat(),
        "reference": f"BANK-{nonce}",
        "nonce": f"nonce{nonce}xyz",
    }
    response = client.post(f"/bss/invoices/{invoice_id}/payments", data=form)
    assert response.status_code == 303, text_of(response)


def _credit(client, invoice_id: int, amount: str, reason: str = "Billed the wrong plan"):
    return client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"amount": amount, "reason": reason}
    )


def _globex_run_invoice(session) -> tuple[int, Decimal]:
    """Globex's invoice of a billing run (on account: left open)."""
    _run(session)
    globex = account(session, "Globex Corp").id
    invoice = session.scalar(
        select(Invoice).where(Invoice.account_id == globex, Invoice.billing_run_id.is_not(None))
    )
    invoice_id, total = invoice.id, invoice.total
    session.rollback()
    assert total > 30
    return invoice_id, total


def _globex_invoice_paid_thirty(client, session) -> tuple[int, int, Decimal]:
    invoice_id, total = _globex_run_invoice(session)
    account_id = account(session, "Globex Corp").id
    session.rollback()
    login(client, "admin@skyline.example", bss=True)
    for nonce in ("1", "2", "3"):
        _record(client, invoice_id, "10.00", nonce)
    return invoice_id, account_id, total


def test_crediting_in_full_after_payments_owes_the_payments_back(client, session, demo):
    invoice_id, account_id, total = _globex_invoice_paid_thirty(client, session)
    tenant_id = session.get(Invoice, invoice_id).tenant_id
    balance_before = billing.open_balance(session, tenant_id, account_id)
    session.rollback()

    assert _credit(client, invoice_id, f"{total}").status_code == 303
    session.expire_all()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == "paid"  # never Void: it received €30
    page = soup(client.get(f"/bss/invoices/{invoice_id}"))
    assert page.find(id="invoice-status").get_text(strip=True) != "Void (credited)"
    assert page.find(id="invoice-refund-due").get_text(strip=True) == "€30.00"
    payments = soup(client.get(f"/bss/invoices/{invoice_id}/payments"))
    assert payments.find(id="invoice-owed").get_text(strip=True) == "€0.00"
    assert payments.find(id="invoice-refund-due").get_text(strip=True) == "€30.00"
    assert "Record payment" not in payments.get_text(" ")
    accounts = soup(client.get(f"/bss/accounts/{account_id}"))
    assert accounts.find(id="account-refund-due").get_text(" ", strip=True).startswith("€30.00")
    # the €52.40 that was still owed leaves the open balance; the €30 is not a debt
    assert billing.open_balance(session, tenant_id, account_id) == balance_before - Decimal("52.40")
    # the customer sees it too
    login(client, "bob@globex.example")
    storefront = soup(client.get(f"/invoices/{invoice_id}"))
    assert storefront.find(id="invoice-refund-due").get_text(strip=True) == "€30.00"


def test_a_credit_that_covers_what_was_left_settles_the_invoice(client, session, demo):
    invoice_id, _account_id, total = _globex_invoice_paid_thirty(client, session)
    state = invoice_payment.bss_invoice(
        session, session.get(Invoice, invoice_id).tenant_id, invoice_id
    ).state
    session.rollback()
    assert state.owed == total - 30
    assert _credit(client, invoice_id, f"{total - 30}").status_code == 303
    session.expire_all()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.status == "paid"
    state = invoice_payment.bss_invoice(session, invoice.tenant_id, invoice_id).state
    assert (state.owed, state.refund_due) == (Decimal("0.00"), Decimal("0.00"))
    case = session.scalar(select(DunningCase).where(DunningCase.invoice_id == invoice_id))
    assert case is None or case.status == "resolved"


def test_a_card_paid_invoice_credited_in_full_says_the_money_is_owed_back(client, session, demo):
    acme_id = account(session, "Acme Ltd").id
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.account_id == acme_id, Invoice.kind == "invoice", Invoice.status == "paid")
        .order_by(Invoice.id)
        .limit(1)
    )
    invoice_id, total = invoice.id, invoice.total
    session.rollback()
    login(client, "admin@skyline.example", bss=True)
    assert _credit(client, invoice_id, f"{total}").status_code == 303
    page = soup(client.get(f"/bss/invoices/{invoice_id}"))
    assert page.find(id="invoice-status").get_text(strip=True) == "Paid"
    assert page.find(id="invoice-refund-due").get_text(strip=True) == f"€{total}"


def test_an_open_invoice_credited_in_full_before_any_payment_is_void(client, session, demo):
    invoice_id, total = _globex_run_invoice(session)
    login(client, "admin@skyline.example", bss=True)
    assert _credit(client, invoice_id, f"{total}").status_code == 303
    page = soup(client.get(f"/bss/invoices/{invoice_id}"))
    assert page.find(id="invoice-status").get_text(strip=True) == "Void (credited)"
    assert page.find(id="invoice-refund-due") is None


def test_a_credit_note_needs_a_reason_asks_first_and_shows_its_reason(client, session, demo):
    invoice_id, total = _globex_run_invoice(session)
    login(client, "admin@skyline.example", bss=True)
    # the invoice page's form asks first
    form = soup(client.get(f"/bss/invoices/{invoice_id}")).find(id="credit-note-form")
    assert form["method"] == "get"
    assert form["action"] == f"/bss/invoices/{invoice_id}/credit-note/confirm"
    assert form.find(attrs={"name": "reason"}) is not None
    # no reason: said on its field, nothing issued, on the confirmation and the action alike
    for response in (
        client.get(f"/bss/invoices/{invoice_id}/credit-note/confirm", query_string={"amount": "5"}),
        client.post(f"/bss/invoices/{invoice_id}/credit-note", data={"amount": "5"}),
    ):
        assert response.status_code == 422
        assert texts.CREDIT_NOTE_REASON_REQUIRED in text_of(response)
    assert session.scalar(select(Invoice).where(Invoice.credit_note_for_id == invoice_id)) is None
    # the confirmation: the amount, the reason, that it is final; it posts both
    confirm = client.get(
        f"/bss/invoices/{invoice_id}/credit-note/confirm",
        query_string={"amount": "5", "reason": "Goodwill: outage on 2 Dec"},
    )
    assert confirm.status_code == 200
    page = soup(confirm)
    said = page.get_text(" ", strip=True)
    assert "€5.00" in said and "Goodwill: outage on 2 Dec" in said and "final" in said
    posted = page.find("form", action=f"/bss/invoices/{invoice_id}/credit-note")
    assert posted.find("input", attrs={"name": "reason"})["value"] == "Goodwill: outage on 2 Dec"
    assert session.scalar(select(Invoice).where(Invoice.credit_note_for_id == invoice_id)) is None
    issued = client.post(
        f"/bss/invoices/{invoice_id}/credit-note",
        data={"amount": "5", "reason": "Goodwill: outage on 2 Dec"},
    )
    assert issued.status_code == 303
    note = session.scalar(select(Invoice).where(Invoice.credit_note_for_id == invoice_id))
    assert note.credit_reason == "Goodwill: outage on 2 Dec"
    assert "Goodwill: outage on 2 Dec" in text_of(client.get(f"/bss/invoices/{note.id}"))
    assert "Goodwill: outage on 2 Dec" in text_of(client.get(f"/bss/invoices/{note.id}/print"))
    # too long: refused on its field
    long = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"amount": "1", "reason": "x" * 501}
    )
    assert long.status_code == 422 and texts.CREDIT_NOTE_REASON_TOO_LONG in text_of(long)
