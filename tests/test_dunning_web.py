"""Payment and dunning end to end through HTTP and the CLI, with the worker's jobs run (issue
17, "Done when": a failed renewal charge walks through dunning to suspension and back), on both
engines: the demo's Acme has the decline card saved; its renewal invoice's charge fails; the
customer reads why on the invoice; ``flask billing dunning`` days 1, 3, 7 retry, day 14
suspends (My subscriptions and the BSS say why, the connector is called); the customer pays
with Pay now and everything resumes. The BSS records payments of an on-account invoice:
partial, a double submit once, operators refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import utcnow
from core.models import (
    DunningCase,
    Invoice,
    Notification,
    Payment,
    ProvisioningTask,
    Subscription,
)
from core.services.dunning import notice_date
from tests.conftest import login, soup, text_of
from tests.dunning_helpers import account, collect, fresh_gateway, renewal_invoice
from tests.security_helpers import client_for
from tests.test_payment_retry_web import PAY_GOOD
from webapp import tasks

D = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _gateway(monkeypatch):
    return fresh_gateway(monkeypatch)


def dunning(app, day: date):
    result = app.test_cli_runner().invoke(args=["billing", "dunning", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    tasks.run_queued()
    return result.output


def scalar(session, query):
    session.expire_all()
    value = session.scalar(query)
    session.rollback()
    return value


def statuses(session, account_id) -> set[str]:
    session.expire_all()
    rows = set(
        session.scalars(
            select(Subscription.status).where(
                Subscription.account_id == account_id, Subscription.is_trial.is_(False)
            )
        )
    )
    session.rollback()
    return rows


def next_month() -> date:
    """The demo bills every subscription on the first day of next month (core/demo.py)."""
    today = utcnow().date()
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def test_a_failed_renewal_walks_through_dunning_to_suspension_and_back(app, session, demo):
    client = client_for(app)  # each request in its own context, as in production
    D = next_month()  # noqa: N806
    acme_id = account(session, "Acme Ltd").id
    session.rollback()
    run = app.test_cli_runner().invoke(args=["billing", "run", "--date", D.isoformat()])
    assert run.exit_code == 0, run.output
    invoice_id, number, total = session.execute(
        select(Invoice.id, Invoice.number, Invoice.total).where(
            Invoice.account_id == acme_id, Invoice.billing_run_id.is_not(None)
        )
    ).one()
    session.rollback()
    pending = scalar(session, select(Payment.status).where(Payment.invoice_id == invoice_id))
    assert pending == "pending"  # queued by the run's hook, not charged inside the run
    tasks.run_queued()  # the worker charges the saved decline card
    assert scalar(session, select(Payment.status).where(Payment.invoice_id == invoice_id)) == (
        "declined"
    )

    login(client, "alice@acme.example")
    page = soup(client.get(f"/invoices/{invoice_id}"))
    notice = page.find(id="dunning-notice").get_text(" ", strip=True)
    day1, day14 = notice_date(D + timedelta(days=1)), notice_date(D + timedelta(days=14))
    assert "Your card was declined" in notice and day1 in notice and day14 in notice
    owed = page.find(id="invoice-owed").get_text(strip=True)
    assert owed == f"€{total:,.2f}"

    output = dunning(app, D + timedelta(days=1))
    assert "retr(ies) queued" in output
    dunning(app, D + timedelta(days=3))
    dunning(app, D + timedelta(days=7))
    assert statuses(session, acme_id) == {"active"}
    output = dunning(app, D + timedelta(days=14))
    assert "invoice(s) suspended" in output
    assert statuses(session, acme_id) == {"suspended"}
    reminders = scalar(
        session,
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.kind == "invoice_payment_failed",
            Notification.recipient == "billing@acme.example",
        ),
    )
    assert reminders == 4

    # the customer and the BSS see the suspension and why
    mine = text_of(client.get("/subscriptions"))
    # the page's own dates in the viewer's format, the dunning sentences in words
    shown = (D + timedelta(days=14)).strftime("%d/%m/%Y")
    assert f"Suspended on {shown}: invoice {number} is unpaid." in mine
    page = soup(client.get(f"/invoices/{invoice_id}"))
    assert f"were suspended on {day14}" in page.find(id="dunning-notice").get_text()
    bss = client_for(app)
    login(bss, "operator@skyline.example")
    overdue = soup(bss.get("/bss/billing/overdue"))
    row = overdue.find("a", string=number).find_parent("tr")
    assert "Suspended" in row.get_text() and "Acme Ltd" in row.get_text()
    detail = text_of(bss.get(f"/bss/accounts/{acme_id}"))
    assert f"invoice {number} is unpaid" in detail
    assert "Record payment" not in text_of(bss.get(f"/bss/invoices/{invoice_id}/payments"))
    suspend_tasks = scalar(
        session,
        select(func.count())
        .select_from(ProvisioningTask)
        .join(Subscription, Subscription.id == ProvisioningTask.subscription_id)
        .where(
            ProvisioningTask.action == "suspend",
            ProvisioningTask.status != "started",
            Subscription.account_id == acme_id,
        ),
    )
    assert suspend_tasks >= 1  # the connector was called for each
    assert "Suspended (unpaid invoice)" in text_of(bss.get("/bss/provisioning"))

    # Pay now: a declined card is told on the page, a good one pays and resumes
    attempt = page.find("input", attrs={"name": "attempt"})["value"]
    refused = client.post(
        f"/invoices/{invoice_id}/pay",
        data={**PAY_GOOD, "card_number": "4000 0000 0000 0002", "attempt": attempt},
    )
    assert refused.status_code == 303, refused.get_data(as_text=True)[:3000]
    assert "did not go through" in text_of(client.get(f"/invoices/{invoice_id}"))
    attempt = str(int(attempt) + 1)
    paid = client.post(f"/invoices/{invoice_id}/pay", data={**PAY_GOOD, "attempt": attempt})
    assert paid.status_code == 303
    again = client.post(f"/invoices/{invoice_id}/pay", data={**PAY_GOOD, "attempt": attempt})
    assert again.status_code == 303  # a double click: the same answer, no second charge
    tasks.run_queued()
    page = text_of(client.get(f"/invoices/{invoice_id}"))
    assert "is paid" in page
    assert scalar(session, select(Invoice.status).where(Invoice.id == invoice_id)) == "paid"
    succeeded = scalar(
        session,
        select(func.count())
        .select_from(Payment)
        .where(Payment.invoice_id == invoice_id, Payment.status == "succeeded"),
    )
    assert succeeded == 1
    assert statuses(session, acme_id) == {"active"}
    assert "Suspended on" not in text_of(client.get("/subscriptions"))
    resumed = scalar(
        session,
        select(func.count())
        .select_from(ProvisioningTask)
        .where(ProvisioningTask.action == "resume"),
    )
    assert resumed == suspend_tasks
    case_status = select(DunningCase.status).where(DunningCase.invoice_id == invoice_id)
    assert scalar(session, case_status) == "resolved"
    assert number not in text_of(bss.get("/bss/billing/overdue"))


def test_the_bss_records_partial_payments_once_and_operators_cannot(app, session, demo):
    D = next_month()  # noqa: N806
    client = client_for(app)
    invoice_id = renewal_invoice(session, "Globex Corp", D)
    assert collect(session, invoice_id) == "left_open"
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    today = date.today().isoformat()
    form = {
        "amount": "21.00",
        "received_on": today,
        "reference": "BANK-77",
        "nonce": "abcdef123456",
    }
    assert operator.post(f"/bss/invoices/{invoice_id}/payments", data=form).status_code == 403

    login(client, "admin@skyline.example")
    page = soup(client.get(f"/bss/invoices/{invoice_id}/payments"))
    assert page.find("input", attrs={"name": "nonce"})["value"]
    assert client.post(f"/bss/invoices/{invoice_id}/payments", data=form).status_code == 303
    assert client.post(f"/bss/invoices/{invoice_id}/payments", data=form).status_code == 303
    page = soup(client.get(f"/bss/invoices/{invoice_id}/payments"))
    assert page.find(id="invoice-owed").get_text(strip=True) == "€100.00"
    assert len(page.select("#payments tbody tr")) == 1
    assert "BANK-77" in page.find(id="payments").get_text()

    too_much = {**form, "amount": "100.01", "nonce": "abcdef999999"}
    refused = client.post(f"/bss/invoices/{invoice_id}/payments", data=too_much)
    assert refused.status_code == 422
    assert "At most €100.00 is owed" in text_of(refused)

    rest = {**form, "amount": "100.00", "nonce": "abcdef777777"}
    done = client.post(f"/bss/invoices/{invoice_id}/payments", data=rest, follow_redirects=True)
    assert "is paid" in text_of(done)
    assert soup(done).find(id="invoice-status").get_text(strip=True) == "Paid"
    other = client_for(app)
    login(other, "admin@nimbus.example")  # the parent tenant: not its invoice
    assert other.get(f"/bss/invoices/{invoice_id}/payments").status_code == 404


def test_finance_records_payments_and_sees_the_overdue_list(app, session, demo):
    from core.db import write_transaction
    from core.models import User

    with write_transaction(session):  # the demo operator becomes finance
        user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
        user.role = "finance"
    session.rollback()
    invoice_id = renewal_invoice(session, "Globex Corp", next_month())
    client = client_for(app)
    login(client, "operator@skyline.example", bss=True)
    assert client.get("/bss/billing/overdue").status_code == 200
    page = soup(client.get(f"/bss/invoices/{invoice_id}/payments"))
    nonce = page.find("input", attrs={"name": "nonce"})["value"]
    form = {
        "amount": "121.00",
        "received_on": utcnow().date().isoformat(),
        "reference": "SEPA 9",
        "nonce": nonce,
    }
    done = client.post(f"/bss/invoices/{invoice_id}/payments", data=form, follow_redirects=True)
    assert soup(done).find(id="invoice-status").get_text(strip=True) == "Paid"
