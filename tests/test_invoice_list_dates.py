"""Invoice lists show the invoice's issue date (what its page, PDF and print-out say), not the
moment the run created it; a payment shows the day it was received on every page. Both
engines, through HTTP."""

from __future__ import annotations

from datetime import date, timedelta

from core.models import Invoice
from tests.conftest import login, soup
from tests.dunning_helpers import renewal_invoice

ISSUED = date.today() - timedelta(days=40)  # the run's wall-clock time is today


def _row(page, table_id: str, number: str) -> str:
    return (
        page.select_one(f"#{table_id}")
        .find("a", string=number)
        .find_parent("tr")
        .get_text(" ", strip=True)
    )


def test_the_invoice_lists_show_the_issue_date(client, session, demo):
    invoice_id = renewal_invoice(session, "Acme Ltd", ISSUED)
    invoice = session.get(Invoice, invoice_id)
    number, account_id = invoice.number, invoice.account_id
    session.rollback()
    login(client, "admin@skyline.example", bss=True)
    row = _row(soup(client.get(f"/bss/accounts/{account_id}")), "invoices", number)
    assert f"{ISSUED:%d/%m/%Y}" in row and f"{date.today():%d/%m/%Y}" not in row
    login(client, "alice@acme.example")
    page = soup(client.get("/invoices"))
    row = page.find("a", string=number).find_parent("tr").get_text(" ", strip=True)
    assert f"{ISSUED:%d/%m/%Y}" in row and f"{date.today():%d/%m/%Y}" not in row


def test_a_payment_shows_the_day_it_was_received_on_the_storefront_too(client, session, demo):
    invoice_id = renewal_invoice(session, "Globex Corp", ISSUED)
    session.rollback()
    received = ISSUED + timedelta(days=3)
    login(client, "admin@skyline.example", bss=True)
    form = {
        "amount": "10.00",
        "received_on": received.isoformat(),
        "reference": "BANK-1",
        "nonce": "abcdef123456",
    }
    assert client.post(f"/bss/invoices/{invoice_id}/payments", data=form).status_code == 303
    bss = soup(client.get(f"/bss/invoices/{invoice_id}/payments"))
    assert f"{received:%d/%m/%Y}" in bss.select_one("#payments tbody tr").get_text(" ")
    login(client, "bob@globex.example")
    shown = soup(client.get(f"/invoices/{invoice_id}")).select_one("ul.payments li").get_text(" ")
    assert f"{received:%d/%m/%Y}" in shown and f"{date.today():%d/%m/%Y}" not in shown
