"""Record payment (BSS, issue 17): the date received is from the invoice's issue date to today,
and the reference at most 120 characters, checked by the server: a clear message on the
field, nothing recorded. Both engines, through HTTP."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from core import texts
from core.models import Payment
from core.rules.invoicing import notice_date
from tests.conftest import login, soup, text_of
from tests.dunning_helpers import renewal_invoice

ISSUED = date.today() - timedelta(days=10)


def _form(**values) -> dict:
    form = {
        "amount": "10.00",
        "received_on": date.today().isoformat(),
        "reference": "BANK-77",
        "nonce": "abcdef123456",
    }
    form.update(values)
    return form


def _payments(session, invoice_id: int) -> int:
    session.rollback()
    return session.scalar(
        select(func.count()).select_from(Payment).where(Payment.invoice_id == invoice_id)
    )


def test_a_payment_received_before_the_invoice_or_in_the_future_is_refused(client, session, demo):
    invoice_id = renewal_invoice(session, "Globex Corp", ISSUED)
    session.rollback()
    login(client, "admin@skyline.example", bss=True)
    for day in ("1900-01-01", (ISSUED - timedelta(days=1)).isoformat()):
        response = client.post(f"/bss/invoices/{invoice_id}/payments", data=_form(received_on=day))
        assert response.status_code == 422, day
        said = soup(response).find(id="received_on-errors").get_text(" ", strip=True)
        assert notice_date(ISSUED) in said  # what is allowed: from the issue date
    future = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(f"/bss/invoices/{invoice_id}/payments", data=_form(received_on=future))
    assert response.status_code == 422
    assert _payments(session, invoice_id) == 0
    on_issue_day = _form(received_on=ISSUED.isoformat())
    assert client.post(f"/bss/invoices/{invoice_id}/payments", data=on_issue_day).status_code == 303
    assert _payments(session, invoice_id) == 1


def test_a_reference_longer_than_the_field_allows_is_refused(client, session, demo):
    invoice_id = renewal_invoice(session, "Globex Corp", ISSUED)
    session.rollback()
    login(client, "admin@skyline.example", bss=True)
    response = client.post(f"/bss/invoices/{invoice_id}/payments", data=_form(reference="R" * 225))
    assert response.status_code == 422
    assert texts.RECORD_PAYMENT_REFERENCE_TOO_LONG in text_of(response)
    assert _payments(session, invoice_id) == 0
    exact = _form(reference="R" * 120)
    assert client.post(f"/bss/invoices/{invoice_id}/payments", data=exact).status_code == 303
    assert _payments(session, invoice_id) == 1
