"""Who is told about an invoice or a credit note (PRODUCT.md 11): the billing run e-mails each
invoice it issues once (an on-account or cardless account: the due date and a link to pay it;
a card account: the receipt once its saved card is charged), never again on a rerun; a credit
note e-mails its number, amount and the invoice it credits; Setup › Notifications turns each
kind off. Both engines; the worker's jobs are run."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from core.db import write_transaction
from core.models import Account, Invoice, Notification, Subscription
from core.rules import billing_periods
from core.rules import notifications as kinds
from core.rules.invoicing import notice_date
from core.rules.pricing import format_money
from core.services import billing_admin, billing_run, notifications
from tests.conftest import login, soup
from tests.dunning_helpers import fresh_gateway, store_card, user
from webapp import tasks

RUN_DATE = billing_periods.add_months(date.today().replace(day=1), 1)


@pytest.fixture(autouse=True)
def _gateway(monkeypatch):
    return fresh_gateway(monkeypatch)


def _run(session):
    """The billing run of next month for the demo's reseller (its trial left to expire)."""
    with write_transaction(session):
        session.execute(
            update(Subscription).where(Subscription.is_trial.is_(True)).values(trial_converts=False)
        )
    (result,) = billing_run.run(session, RUN_DATE, tenant_slug="reseller")
    return result


def _mails(session, kind) -> list[SimpleNamespace]:
    """The messages of ``kind`` as plain values (nothing left to load in a later snapshot)."""
    session.expire_all()
    columns = (Notification.recipient, Notification.subject, Notification.body)
    rows = session.execute(
        select(*columns, Notification.html_body)
        .where(Notification.kind == kind)
        .order_by(Notification.id)
    ).all()
    session.rollback()
    return [SimpleNamespace(**row._asdict()) for row in rows]


def _invoice_of(session, account_name) -> SimpleNamespace:
    """The account's renewal invoice as plain values (no transaction left open behind it: the
    worker's commits must be seen by the next read)."""
    session.expire_all()
    row = session.execute(
        select(
            Invoice.id,
            Invoice.number,
            Invoice.total,
            Invoice.currency,
            Invoice.due_date,
            Invoice.status,
        )
        .join(Account, Account.id == Invoice.account_id)
        .where(Account.name == account_name, Invoice.billing_run_id.is_not(None))
    ).one()
    session.rollback()
    return SimpleNamespace(**row._asdict())


def _of(mails, invoice) -> list[SimpleNamespace]:
    return [m for m in mails if invoice.number in m.subject]


def test_the_run_emails_each_invoice_once_on_account_with_its_due_date_card_with_a_receipt(
    app, demo, session
):
    store_card(session, "Acme Ltd", "ok")  # the demo's Acme has a declined card saved
    result = _run(session)
    assert result.invoices >= 3
    globex, acme = _invoice_of(session, "Globex Corp"), _invoice_of(session, "Acme Ltd")

    # written with the invoices: the on-account invoice at once, in the run's transaction
    issued = _mails(session, kinds.INVOICE_ISSUED)
    [to_globex] = _of(issued, globex)
    assert to_globex.recipient == "accounts@globex.example"
    body = to_globex.body
    assert globex.number in body and notice_date(RUN_DATE) in body
    last_day = billing_periods.add_months(RUN_DATE, 1) - timedelta(days=1)
    assert f"{notice_date(RUN_DATE)} – {notice_date(last_day)}" in body  # the period billed
    # "€1,234.56": the total the customer pays (Globex is reverse-charged: no VAT to mention)
    assert format_money(globex.total, globex.currency) in body and "VAT" not in body
    assert f"due {notice_date(globex.due_date)}" in body
    assert f"/invoices/{globex.id}" in body and f"/invoices/{globex.id}" in to_globex.html_body
    # the card account is told once its card is charged, not before
    assert _of(issued, acme) == []

    tasks.run_queued()
    issued = _mails(session, kinds.INVOICE_ISSUED)
    [receipt] = _of(issued, acme)
    assert receipt.recipient == "billing@acme.example"
    assert f"paid by card ending 4242 on {notice_date(RUN_DATE)}" in receipt.body
    assert f"{format_money(acme.total, acme.currency)} (VAT included)" in receipt.body
    assert "due " not in receipt.body and f"/invoices/{acme.id}" in receipt.body

    # a rerun for the same period issues nothing and e-mails nothing
    before = len(issued)
    again = _run(session)
    tasks.run_queued()
    assert again.invoices == 0
    after = _mails(session, kinds.INVOICE_ISSUED)
    assert len(after) == before
    # every invoice the run issued was e-mailed exactly once
    session.expire_all()
    numbers = session.scalars(
        select(Invoice.number).where(Invoice.billing_run_id == result.run_id)
    ).all()
    session.rollback()
    for number in numbers:
        assert len([m for m in after if number in m.subject]) == 1, number


def test_a_declined_card_gets_the_reminder_not_a_receipt(app, demo, session):
    store_card(session, "Acme Ltd", "declined")
    _run(session)
    tasks.run_queued()
    acme = _invoice_of(session, "Acme Ltd")
    assert _of(_mails(session, kinds.INVOICE_ISSUED), acme) == []
    assert len(_of(_mails(session, kinds.INVOICE_PAYMENT_FAILED), acme)) == 1


def test_a_credit_note_emails_its_number_amount_and_the_invoice_it_credits(app, demo, session):
    _run(session)
    globex = _invoice_of(session, "Globex Corp")
    admin = user(session, "admin@skyline.example")
    note = billing_admin.credit_note(
        session,
        admin.tenant_id,
        globex.id,
        admin,
        line_ids=[],
        amount_text="10.00",
        reason_text="Goodwill: outage on 2 January",
    )
    note = SimpleNamespace(id=note.id, number=note.number, total=note.total, currency="EUR")
    session.rollback()
    [mail] = _mails(session, kinds.CREDIT_NOTE_ISSUED)
    assert mail.recipient == "accounts@globex.example"
    assert note.number in mail.subject
    assert note.number in mail.body and globex.number in mail.body
    assert format_money(note.total, note.currency) in mail.body
    assert f"/invoices/{note.id}" in mail.body


def test_the_bss_credit_note_form_emails_the_customer(app, client, demo, session):
    _run(session)
    globex = _invoice_of(session, "Globex Corp")
    login(client, "admin@skyline.example", bss=True)
    response = client.post(
        f"/bss/invoices/{globex.id}/credit-note",
        data={"amount": "5.00", "reason": "Goodwill: outage on 2 January"},
    )
    assert response.status_code == 303
    [mail] = _mails(session, kinds.CREDIT_NOTE_ISSUED)
    assert globex.number in mail.body


def test_setup_notifications_turns_the_invoice_and_credit_note_mails_off(
    app, client, demo, session
):
    login(client, "admin@skyline.example", bss=True)
    page = soup(client.get("/bss/setup/notifications"))
    values = [b["value"] for b in page.find_all("input", attrs={"name": "kinds"})]
    assert kinds.INVOICE_ISSUED in values and kinds.CREDIT_NOTE_ISSUED in values
    kept = [v for v in values if v not in (kinds.INVOICE_ISSUED, kinds.CREDIT_NOTE_ISSUED)]
    assert client.post("/bss/setup/notifications", data={"kinds": kept}).status_code == 303
    session.rollback()

    store_card(session, "Acme Ltd", "ok")
    _run(session)
    tasks.run_queued()
    globex = _invoice_of(session, "Globex Corp")
    assert _invoice_of(session, "Acme Ltd").status == "paid"
    admin = user(session, "admin@skyline.example")
    billing_admin.credit_note(
        session,
        admin.tenant_id,
        globex.id,
        admin,
        line_ids=[],
        amount_text="10.00",
        reason_text="Goodwill: outage on 2 January",
    )
    session.rollback()
    assert _mails(session, kinds.INVOICE_ISSUED) == []
    assert _mails(session, kinds.CREDIT_NOTE_ISSUED) == []
    tenant_id = admin.tenant_id
    assert notifications.settings(session, tenant_id)[kinds.INVOICE_ISSUED] is False
