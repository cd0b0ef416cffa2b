"""Invoices a provider can send (issue 17, point 4): the PDF (WeasyPrint) says the number, the
totals in the account's locale and the VAT wording; customers download only their own."""

from __future__ import annotations

import io
import logging
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader
from sqlalchemy import select

from core import texts
from core.models import Account, Invoice
from core.rules import billing_periods
from core.services import billing_run
from tests.conftest import login


def _run(session):
    session.commit()
    run_date = billing_periods.add_months(date.today().replace(day=1), 1)
    billing_run.run(session, run_date, tenant_slug="reseller")


def _invoice_of(session, account_name):
    account_id = session.scalar(
        select(Account.id).where(Account.name == account_name, Account.external_ref.is_(None))
    )
    return session.scalar(
        select(Invoice)
        .where(Invoice.account_id == account_id, Invoice.billing_run_id.is_not(None))
        .order_by(Invoice.id.desc())
    )


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_customer_downloads_a_pdf_with_number_totals_and_vat(app, demo, session, client):
    _run(session)
    invoice = _invoice_of(session, "Acme Ltd")
    assert invoice.tax_total > 0
    number, net, tax, gross = invoice.number, invoice.net_total, invoice.tax_total, invoice.total
    invoice_id = invoice.id
    login(client, "alice@acme.example")
    text = _pdf_text(client.get(f"/invoices/{invoice_id}.pdf"))
    assert number in text
    for amount in (net, tax, gross):  # en_IE: €1,234.56
        assert f"€{amount:,.2f}" in text
    assert "VAT" in text and "23 %" in text
    assert "Skyline Cloud Limited" in text and "IE6388047V" in text  # the seller
    assert "Acme Ltd" in text  # the bill-to
    # the HTML print-out is the same template
    page = client.get(f"/invoices/{invoice_id}/print").get_data(as_text=True)
    assert number in page and f"€{gross:,.2f}" in page


def test_reverse_charge_pdf_in_the_customers_locale(app, demo, session, client):
    _run(session)
    invoice = _invoice_of(session, "Globex Corp")
    number, gross, invoice_id = invoice.number, invoice.total, invoice.id
    login(client, "bob@globex.example")
    text = _pdf_text(client.get(f"/invoices/{invoice_id}.pdf"))
    assert number in text
    assert texts.REVERSE_CHARGE_NOTE in text
    assert "DE123456789" in text
    # de_DE: 1.234,56 €
    german = f"{gross:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert f"{german}\xa0€" in text or f"{german} €" in text


def test_another_accounts_invoice_is_not_found(app, demo, session, client):
    _run(session)
    invoice_id = _invoice_of(session, "Globex Corp").id
    login(client, "alice@acme.example")
    assert client.get(f"/invoices/{invoice_id}.pdf").status_code == 404
    assert client.get(f"/invoices/{invoice_id}/print").status_code == 404
    assert client.get(f"/invoices/{invoice_id}").status_code == 404


def test_a_pdf_is_made_without_an_error_in_the_log(app, demo, session, client, caplog):
    """The PDF takes its stylesheet from disk; the print-out's <link> is not in the PDF's HTML,
    so WeasyPrint (given no base URL) has nothing to fail to fetch: every PDF logged an ERROR
    ("Relative URI reference without a base URI") that an operator's alerting would see."""
    _run(session)
    invoice_id = _invoice_of(session, "Acme Ltd").id
    login(client, "alice@acme.example")
    caplog.set_level("WARNING")
    text = _pdf_text(client.get(f"/invoices/{invoice_id}.pdf"))
    assert text
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    # the print-out keeps its stylesheet
    page = client.get(f"/invoices/{invoice_id}/print").get_data(as_text=True)
    assert "css/invoice.css" in page and "css/invoice-screen.css" in page
    # and says it has no icon, as every page does: no request for /favicon.ico (a 404)
    assert '<link rel="icon" href="data:,">' in page


@pytest.fixture
def progress_log(monkeypatch):
    """WeasyPrint's progress logger as a fresh process has it, under a root logger at INFO
    (as ``logging.basicConfig`` leaves it); requested before the app is made."""
    progress = logging.getLogger("weasyprint.progress")
    monkeypatch.setattr(progress, "level", logging.NOTSET)
    monkeypatch.setattr(logging.getLogger(), "level", logging.INFO)
    return progress


def test_a_serving_app_does_not_log_each_step_of_each_pdf(progress_log, production_app):
    """The serving app logs at INFO (development e-mails are shown there); WeasyPrint's step
    by step progress (ten INFO lines a PDF) is left out, its warnings are not."""
    assert not progress_log.isEnabledFor(logging.INFO)
    assert progress_log.isEnabledFor(logging.WARNING)


def test_the_vat_numbers_stand_on_their_own_line(app, demo, session, client):
    """The seller's and the customer's VAT numbers follow their addresses on a line of their
    own (the template's block tags ate the line break: "IrelandVAT IE6388047V")."""
    _run(session)
    invoice_id = _invoice_of(session, "Globex Corp").id
    login(client, "bob@globex.example")
    text = _pdf_text(client.get(f"/invoices/{invoice_id}.pdf"))
    assert "VAT IE6388047V" in text and "VAT DE123456789" in text
    assert "IrelandVAT" not in text and "GermanyVAT" not in text
    page = BeautifulSoup(client.get(f"/invoices/{invoice_id}/print").data, "html.parser")
    for party in page.select(".parties > div"):
        lines = [line.strip() for line in party.get_text("\n").splitlines() if line.strip()]
        assert any(line.startswith("VAT ") for line in lines), lines
