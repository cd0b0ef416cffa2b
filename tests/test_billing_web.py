"""Recurring billing pages (issue 17, points 4 and 6): My subscriptions' billing terms, the
BSS's billing runs (log, run now), account schedule, invoices and credit notes, Setup › Billing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import write_transaction
from core.models import (
    Account,
    BillingRun,
    Invoice,
    Order,
    Subscription,
    TenantBillingSettings,
    TenantVatRate,
    User,
)
from core.rules import billing_periods
from core.services import billing_run
from tests.conftest import login, soup, text_of

NEXT_MONTH = billing_periods.add_months(date.today().replace(day=1), 1)


def _run(session):
    session.commit()
    billing_run.run(session, NEXT_MONTH, tenant_slug="reseller")


def _acme_run_invoice(session):
    acme = session.scalar(
        select(Account.id).where(Account.name == "Acme Ltd", Account.external_ref.is_(None))
    )
    return session.scalar(
        select(Invoice).where(Invoice.account_id == acme, Invoice.billing_run_id.is_not(None))
    )


def test_my_subscriptions_show_the_billing_terms(client, demo, session):
    login(client, "alice@acme.example")
    page = text_of(client.get("/subscriptions"))
    assert "Billing cycle Monthly" in page
    # Microsoft 365 Business Standard × 10 at €11.70 with its add-on × 5 at €2.00 (€127.00),
    # the demo's pending reduction of the add-on to 3 from that date applied: €123.00
    assert f"Next billing {NEXT_MONTH:%d/%m/%Y} · €123.00" in page
    assert texts.SUB_AUTO_RENEW_ON in page
    assert "€11.70 per user / month" in page


def _today_is(monkeypatch, day: date) -> None:
    """The BSS's clock on ``day`` (noon UTC): a run may be asked for up to the tenant's today."""
    from core.services import billing_admin

    monkeypatch.setattr(
        billing_admin, "utcnow", lambda: datetime.combine(day, time(12), tzinfo=UTC)
    )


def test_run_billing_now_from_the_bss_and_read_the_log(client, demo, session, app, monkeypatch):
    from webapp import tasks

    _today_is(monkeypatch, NEXT_MONTH)
    login(client, "admin@skyline.example", bss=True)
    assert client.get("/bss/billing/runs").status_code == 200
    bad = client.post("/bss/billing/runs", data={"run_date": "next month"})
    assert bad.status_code == 422 and texts.BILLING_RUN_DATE_INVALID in bad.get_data(as_text=True)
    # the form asks first: what the run does, then posts the date to the run itself
    confirm = client.get("/bss/billing/runs/confirm", query_string={"run_date": NEXT_MONTH})
    assert confirm.status_code == 200
    body = soup(confirm)
    assert (
        body.find("form", action="/bss/billing/runs").find("input", attrs={"name": "run_date"})[
            "value"
        ]
        == NEXT_MONTH.isoformat()
    )
    said = body.get_text(" ", strip=True)
    assert "final" in said and "without gaps" in said and "charged" in said
    assert session.scalar(select(func.count()).select_from(BillingRun)) == 0  # a GET runs nothing
    response = client.post("/bss/billing/runs", data={"run_date": NEXT_MONTH.isoformat()})
    assert response.status_code == 303
    # the message reads the date as the pages show it, not as ISO
    queued = text_of(client.get("/bss/billing/runs"))
    assert texts.BILLING_RUN_QUEUED.format(date=f"{NEXT_MONTH:%d/%m/%Y}") in queued
    tasks.run_queued()
    session.rollback()  # the requests shared this session: read what the worker committed
    run = session.scalar(select(BillingRun))
    assert run.status == "done" and run.invoices_count == 3
    assert run.triggered_by.endswith("(BSS)")
    page = text_of(client.get("/bss/billing/runs"))
    assert "Done" in page
    detail = text_of(client.get(f"/bss/billing/runs/{run.id}"))
    invoice = _acme_run_invoice(session)
    assert invoice.number in detail and "Acme Ltd" in detail
    assert client.get("/bss/billing/runs/999999").status_code == 404


@pytest.mark.parametrize("day", ["0001-01-01", "1900-01-01", "2030-01-01", "TOMORROW"])
def test_run_billing_now_refuses_a_date_outside_a_year_ago_to_today(
    client, demo, session, day, monkeypatch
):
    from webapp import tasks

    today = date(2026, 12, 3)
    _today_is(monkeypatch, today)
    if day == "TOMORROW":
        day = "2026-12-04"
    login(client, "admin@skyline.example", bss=True)
    invoices = session.scalar(select(func.count()).select_from(Invoice))
    for response in (
        client.get("/bss/billing/runs/confirm", query_string={"run_date": day}),
        client.post("/bss/billing/runs", data={"run_date": day}),
    ):
        assert response.status_code == 422
        said = text_of(response)
        assert "2025-12-03" in said and "2026-12-03" in said  # what is allowed
    tasks.run_queued()  # nothing of a run among what is queued
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BillingRun)) == 0
    assert session.scalar(select(func.count()).select_from(Invoice)) == invoices


def test_the_command_line_bills_ahead_for_demos_but_refuses_absurd_dates(app, demo, session):
    runner = app.test_cli_runner()
    for day in ("0001-01-01", "2099-01-01"):
        result = runner.invoke(args=["billing", "run", "--date", day, "--tenant", "reseller"])
        assert result.exit_code != 0
        assert "two years" in result.output
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BillingRun)) == 0
    ahead = runner.invoke(
        args=["billing", "run", "--date", NEXT_MONTH.isoformat(), "--tenant", "reseller"]
    )
    assert ahead.exit_code == 0, ahead.output
    assert "3 invoice(s)" in ahead.output


def test_finance_sees_the_runs_but_runs_nothing(client, demo, session):
    with write_transaction(session):
        user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
        user.role = "finance"
    login(client, "operator@skyline.example", bss=True)
    page = client.get("/bss/billing/runs")
    assert page.status_code == 200
    assert texts.BILLING_RUN_NOW not in page.get_data(as_text=True)
    response = client.post("/bss/billing/runs", data={"run_date": NEXT_MONTH.isoformat()})
    assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(BillingRun)) == 0


def test_account_page_shows_schedule_and_upcoming_invoices(client, demo, session):
    acme = session.scalar(
        select(Account.id).where(Account.name == "Acme Ltd", Account.external_ref.is_(None))
    )
    login(client, "admin@skyline.example", bss=True)
    page = text_of(client.get(f"/bss/accounts/{acme}"))
    assert texts.BILLING_SCHEDULE_TITLE in page
    assert f"{NEXT_MONTH:%d/%m/%Y}:" in page  # the upcoming invoice's date


def test_credit_notes_full_line_amount_and_never_more_than_the_invoice(client, demo, session):
    _run(session)
    invoice = _acme_run_invoice(session)
    invoice_id, total, number = invoice.id, invoice.total, invoice.number
    first_line = invoice.lines[0]
    line_id, line_gross = first_line.id, first_line.amount + first_line.tax_amount
    login(client, "admin@skyline.example", bss=True)
    assert number in text_of(client.get(f"/bss/invoices/{invoice_id}"))
    pdf = client.get(f"/bss/invoices/{invoice_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"

    response = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"line_ids": line_id, "reason": "Test"}
    )
    assert response.status_code == 303
    note = session.scalar(select(Invoice).where(Invoice.credit_note_for_id == invoice_id))
    assert note.kind == "credit_note" and note.number.startswith("SKY-CN-")
    assert note.total == line_gross
    assert note.lines[0].credits_line_id == line_id

    # the same line again, or more than is left: refused, nothing written
    left = total - line_gross
    again = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"line_ids": line_id, "reason": "Test"}
    )
    too_much = client.post(
        f"/bss/invoices/{invoice_id}/credit-note",
        data={"amount": str(left + Decimal("0.01")), "reason": "Test"},
    )
    assert again.status_code == 422 and too_much.status_code == 422
    assert "cannot exceed" in too_much.get_data(as_text=True)
    notes = (
        select(func.count()).select_from(Invoice).where(Invoice.credit_note_for_id == invoice_id)
    )
    assert session.scalar(notes) == 1

    # the rest as an amount: the invoice is then fully credited (void: it was open)
    response = client.post(
        f"/bss/invoices/{invoice_id}/credit-note", data={"amount": str(left), "reason": "Test"}
    )
    assert response.status_code == 303
    assert session.scalar(notes) == 2
    session.expire_all()
    assert session.get(Invoice, invoice_id).status == "void"
    credited = session.scalar(
        select(func.sum(Invoice.total)).where(Invoice.credit_note_for_id == invoice_id)
    )
    assert credited == total
    # the customer sees the credit note too
    login(client, "alice@acme.example")
    listing = text_of(client.get("/invoices"))
    assert note.number in listing


def test_setup_billing_saves_seller_and_rates_and_refuses_bad_input(client, demo, session):
    login(client, "admin@skyline.example", bss=True)
    assert client.get("/bss/setup/billing").status_code == 200
    form = {
        "legal_name": "Skyline Cloud Ltd",
        "address": "2 Main Street\nCork",
        "country": "ie",
        "vat_number": "IE 6388047V",
        "default_vat_rate": "23",
        "payment_terms_days": "30",
        "invoice_prefix": "SC",
        "credit_note_prefix": "SC-CN",
        "rates": "DE 19\nFR 20\nNL 21",
    }
    assert client.post("/bss/setup/billing", data=form).status_code == 303
    tenant_id = session.scalar(select(Order.tenant_id).limit(1))
    settings = session.scalar(
        select(TenantBillingSettings).where(TenantBillingSettings.legal_name == "Skyline Cloud Ltd")
    )
    assert settings.country == "IE" and settings.vat_number == "IE6388047V"
    assert settings.payment_terms_days == 30
    rates = session.scalars(
        select(TenantVatRate.country).where(TenantVatRate.tenant_id == settings.tenant_id)
    ).all()
    assert sorted(rates) == ["DE", "FR", "NL"]
    assert tenant_id
    bad = client.post(
        "/bss/setup/billing",
        data={**form, "country": "Ireland", "default_vat_rate": "123", "rates": "DE nineteen"},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    for message in (
        texts.BILLING_COUNTRY_INVALID,
        texts.BILLING_RATE_INVALID,
        texts.BILLING_RATES_INVALID,
    ):
        assert message in page
    session.expire_all()
    assert session.get(TenantBillingSettings, settings.id).payment_terms_days == 30
    # a second rate for one country, a code that is no country, an address too long: refused
    for changed, message in (
        ({"rates": "DE 19\nDE 25"}, texts.BILLING_RATES_DUPLICATE.format(country="DE")),
        ({"rates": "XX 19"}, texts.BILLING_RATES_COUNTRY_UNKNOWN.format(country="XX")),
        ({"country": "XX"}, texts.BILLING_COUNTRY_INVALID),
        ({"address": "x" * 100_000}, texts.BILLING_ADDRESS_TOO_LONG.format(max=2000)),
    ):
        refused = client.post("/bss/setup/billing", data={**form, **changed})
        assert refused.status_code == 422
        assert message in text_of(refused)
    session.expire_all()
    rates = session.scalars(
        select(TenantVatRate.rate).where(
            TenantVatRate.tenant_id == settings.tenant_id, TenantVatRate.country == "DE"
        )
    ).all()
    assert rates == [19]
    assert session.get(TenantBillingSettings, settings.id).address == "2 Main Street\nCork"


def test_order_page_links_its_invoices(client, demo, session):
    invoice = session.scalar(select(Invoice).where(Invoice.order_id.is_not(None)))
    login(client, "admin@skyline.example", bss=True)
    page = client.get(f"/bss/orders/{invoice.order_id}").get_data(as_text=True)
    assert f"/bss/invoices/{invoice.id}.pdf" in page


def test_ended_subscription_reads_ended(client, demo, session):
    with write_transaction(session):
        sub = session.scalar(
            select(Subscription).where(Subscription.is_trial.is_(False)).order_by(Subscription.id)
        )
        sub.auto_renew = False
    _run(session)
    login(client, "alice@acme.example")
    assert "Ended" in text_of(client.get("/subscriptions"))


def test_a_credited_amount_is_the_credit_notes_total_to_the_cent(client, demo, session):
    # 23 %: €5.00 is €4.07 net + €0.93 VAT; recomputing the VAT on the net gave €0.94 and a
    # credit note of €5.01 (no net gives €5.00 at 23 % with the VAT rounded from it)
    _run(session)
    invoice = _acme_run_invoice(session)
    assert invoice.lines[0].tax_rate == Decimal("23")
    login(client, "admin@skyline.example", bss=True)
    for typed in ("5", "0.01", "12.34"):
        response = client.post(
            f"/bss/invoices/{invoice.id}/credit-note", data={"amount": typed, "reason": "Test"}
        )
        assert response.status_code == 303, typed
        note = session.scalars(
            select(Invoice)
            .where(Invoice.credit_note_for_id == invoice.id)
            .order_by(Invoice.id.desc())
        ).first()
        assert note.total == Decimal(typed).quantize(Decimal("0.01")), (typed, note.total)
        (line,) = note.lines
        assert line.amount + line.tax_amount == note.total
