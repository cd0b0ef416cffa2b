"""The billing run (issue 17, point 2): every due period once, one invoice per account, add-ons,
promotions, auto-renew off, VAT; exactly once under concurrent runners, a rerun and a runner
killed half-way, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select, update

from core import texts
from core.db import write_transaction
from core.models import (
    Account,
    BillingCharge,
    BillingRun,
    BillingRunEntry,
    Invoice,
    InvoiceLine,
    Promotion,
    Subscription,
    Tenant,
)
from core.rules import billing_periods
from core.services import billing_run

ROOT = Path(__file__).resolve().parents[1]


def _tenant(session, slug="reseller"):
    """The tenant's id and slug (plain values: the run lets the session's objects go)."""
    row = session.execute(select(Tenant.id, Tenant.slug).where(Tenant.slug == slug)).one()
    return SimpleNamespace(id=row.id, slug=row.slug)


def _next_month(today: date) -> date:
    return billing_periods.add_months(today.replace(day=1), 1)


def _active(session, tenant_id):
    return session.scalars(
        select(Subscription).where(
            Subscription.tenant_id == tenant_id,
            Subscription.status == "active",
            Subscription.is_trial.is_(False),
        )
    ).all()


def _trials_expire(session, tenant_id) -> None:
    """The demo's trial (it ends 9 days after the demo's day) left to expire: not billed by a
    run after its end, which the next month's first day is on most days of a month (a trial
    that continues is billed from its end: tests/test_billing_changes_run.py)."""
    session.execute(
        update(Subscription)
        .where(Subscription.tenant_id == tenant_id, Subscription.is_trial.is_(True))
        .values(trial_converts=False)
    )


def _charges(session, tenant_id):
    return session.execute(
        select(BillingCharge.subscription_id, BillingCharge.period_start)
        .where(BillingCharge.tenant_id == tenant_id, BillingCharge.billing_run_id.is_not(None))
        .order_by(BillingCharge.subscription_id, BillingCharge.period_start)
    ).all()


def test_run_for_next_month_invoices_every_active_subscription_once(app, demo, session):
    tenant = _tenant(session)
    _trials_expire(session, tenant.id)
    run_date = _next_month(date.today())
    subs = {s.id: s for s in _active(session, tenant.id)}
    accounts = {s.account_id for s in subs.values()}
    assert len(subs) >= 4
    session.commit()

    (result,) = billing_run.run(session, run_date, tenant_slug="reseller")

    assert result.invoices == len(accounts)
    assert result.periods == len(subs)
    charges = _charges(session, tenant.id)
    assert sorted(c.subscription_id for c in charges) == sorted(subs)
    assert {c.period_start for c in charges} == {run_date}
    invoices = session.scalars(select(Invoice).where(Invoice.billing_run_id == result.run_id)).all()
    assert sorted(i.account_id for i in invoices) == sorted(accounts)  # one per account
    for invoice in invoices:
        assert invoice.order_id is None and invoice.kind == "invoice" and invoice.status == "open"
        assert invoice.issue_date == run_date
        assert invoice.due_date == run_date + timedelta(days=14)
        assert invoice.number.startswith("SKY-")
        assert invoice.total == invoice.net_total + invoice.tax_total
        for line in invoice.lines:
            assert (line.period_start, line.period_end) == (
                run_date,
                billing_periods.add_months(run_date, 1),
            )
    # the subscriptions moved on by one period
    session.expire_all()
    for sub in _active(session, tenant.id):
        assert sub.current_period_start == run_date
        assert sub.next_billing_date == billing_periods.add_months(run_date, 1)

    # a rerun bills nothing
    (again,) = billing_run.run(session, run_date, tenant_slug="reseller")
    assert (again.invoices, again.periods) == (0, 0)
    assert len(_charges(session, tenant.id)) == len(subs)


def test_lines_add_ons_vat_and_reverse_charge(app, demo, session):
    tenant = _tenant(session)
    run_date = _next_month(date.today())
    acme = session.scalar(
        select(Account.id).where(Account.name == "Acme Ltd", Account.external_ref.is_(None))
    )
    globex = session.scalar(
        select(Account.id).where(Account.name == "Globex Corp", Account.external_ref.is_(None))
    )
    tenant_id = tenant.id
    session.commit()
    (result,) = billing_run.run(session, run_date, tenant_id=tenant_id)

    def invoice_of(account_id):
        return session.scalar(
            select(Invoice).where(
                Invoice.billing_run_id == result.run_id, Invoice.account_id == account_id
            )
        )

    acme_invoice = invoice_of(acme)
    descriptions = [line.description for line in acme_invoice.lines]
    # Microsoft 365 Business Standard × 10 with its add-on (× 5) for the same period
    std = next(d for d in descriptions if d.startswith("Microsoft 365 Business Standard"))
    assert any("add-on of " + std in d for d in descriptions)
    std_line = next(line for line in acme_invoice.lines if line.description == std)
    assert (std_line.quantity, std_line.unit_price, std_line.amount) == (
        10,
        Decimal("11.70"),
        Decimal("117.00"),
    )
    assert std_line.tax_rate == Decimal("23.00")
    assert std_line.tax_amount == Decimal("26.91")
    assert acme_invoice.tax_note is None
    assert acme_invoice.tax_total == sum(line.tax_amount for line in acme_invoice.lines)
    assert acme_invoice.bill_to_country == "IE" and acme_invoice.seller_vat_number == "IE6388047V"

    globex_invoice = invoice_of(globex)
    assert globex_invoice.tax_total == Decimal("0.00")
    assert globex_invoice.tax_note == texts.REVERSE_CHARGE_NOTE
    assert globex_invoice.bill_to_vat_number == "DE123456789"
    assert globex_invoice.total == globex_invoice.net_total


def test_numbers_are_sequential_without_gaps(app, demo, session):
    tenant = _tenant(session)
    session.commit()
    run_date = _next_month(date.today())
    billing_run.run(session, run_date, tenant_id=tenant.id, batch_accounts=1)
    billing_run.run(session, billing_periods.add_months(run_date, 1), tenant_id=tenant.id)
    numbers = session.scalars(
        select(Invoice.number).where(Invoice.tenant_id == tenant.id, Invoice.kind == "invoice")
    ).all()
    values = sorted(int(n.split("-")[-1]) for n in numbers)
    assert values == list(range(1, len(values) + 1))


def test_numbers_are_taken_by_one_statement_built_once(app, demo, session, monkeypatch):
    """Each call binds its values to the UPDATE built at import (issue 19, sixth pass); the
    sequence row is created on first use, and a batch takes consecutive numbers."""
    from core.db import write_transaction
    from core.services import invoicing

    def no_statement_built_per_call(*args, **kwargs):
        raise AssertionError("take_numbers built its UPDATE again")

    tenant = _tenant(session)
    session.commit()
    monkeypatch.setattr(invoicing, "update", no_statement_built_per_call)
    with write_transaction(session):
        first = invoicing.take_numbers(session, tenant.id, "test-kind", 3)
        after = invoicing.take_number(session, tenant.id, "test-kind")
        other = invoicing.take_number(session, tenant.id, "test-other")
    assert (first, after, other) == (1, 4, 1)


def test_missed_periods_are_each_billed_once(app, demo, session):
    tenant = _tenant(session)
    subs = len(_active(session, tenant.id))
    _trials_expire(session, tenant.id)
    session.commit()
    run_date = billing_periods.add_months(_next_month(date.today()), 2)
    (result,) = billing_run.run(session, run_date, tenant_id=tenant.id)
    assert result.periods == 3 * subs
    starts = _charges(session, tenant.id)
    assert len(starts) == len(set(starts)) == 3 * subs


def test_auto_renew_off_ends_at_the_term_end(app, demo, session):
    tenant = _tenant(session)
    run_date = _next_month(date.today())
    with write_transaction(session):
        sub = _active(session, tenant.id)[0]
        sub.auto_renew = False
        sub_id = sub.id
    (result,) = billing_run.run(session, run_date, tenant_id=tenant.id)
    sub = session.get(Subscription, sub_id)
    assert sub.status == "ended"
    assert sub.ended_on == run_date and sub.next_billing_date is None
    assert sub_id not in {c.subscription_id for c in _charges(session, tenant.id)}
    assert result.ended == 1
    entry = session.scalar(
        select(BillingRunEntry).where(
            BillingRunEntry.run_id == result.run_id, BillingRunEntry.subscription_id == sub_id
        )
    )
    assert entry.outcome == "ended"


def test_a_promotion_counts_for_the_days_of_the_period_it_covers(app, demo, session):
    tenant = _tenant(session)
    run_date = _next_month(date.today())
    end = billing_periods.add_months(run_date, 1)
    with write_transaction(session):
        acme = session.scalar(
            select(Account.id).where(Account.name == "Acme Ltd", Account.external_ref.is_(None))
        )
        sub = next(s for s in _active(session, tenant.id) if s.account_id == acme)
        # 20 % off for the first half of the period (rounded to whole days)
        half = (end - run_date).days // 2
        session.add(
            Promotion(
                tenant_id=tenant.id,
                product_id=sub.product_id,
                name="Half-period promotion",
                kind="percent",
                percent_off=Decimal("20.00"),
                starts_on=run_date - timedelta(days=10),
                ends_on=run_date + timedelta(days=half - 1),
            )
        )
        sub_id, days = sub.id, (end - run_date).days
    billing_run.run(session, run_date, tenant_id=tenant.id)
    line = session.scalar(
        select(InvoiceLine).where(
            InvoiceLine.subscription_id == sub_id,
            InvoiceLine.period_start == run_date,
            InvoiceLine.description.not_like("%add-on%"),
        )
    )
    expected = (Decimal(20) * half / days).quantize(Decimal("0.01"))
    assert line.discount_percent == expected
    assert line.amount == (line.unit_price * line.quantity * (100 - expected) / 100).quantize(
        Decimal("0.01")
    )


def test_concurrent_runners_bill_each_period_once(app, demo, session):
    from webapp.extensions import db

    tenant = _tenant(session)
    tenant_id = tenant.id
    _trials_expire(session, tenant_id)
    subs = len(_active(session, tenant_id))
    accounts = len({s.account_id for s in _active(session, tenant_id)})
    session.commit()
    session.remove()
    run_date = _next_month(date.today())
    barrier = threading.Barrier(4)
    errors: list[str] = []

    def runner():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                billing_run.run(db.session, run_date, tenant_id=tenant_id, batch_accounts=1)
            except Exception as error:  # any error is a defect
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    s = db.session
    charges = _charges(s, tenant_id)
    assert len(charges) == len(set(charges)) == subs
    invoices = s.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.billing_run_id.is_not(None))
    )
    assert invoices == accounts
    runs = s.scalars(select(BillingRun).where(BillingRun.tenant_id == tenant_id)).all()
    assert len(runs) == 4 and all(r.status == "done" for r in runs)
    assert sum(r.invoices_count for r in runs) == accounts


KILLED_RUNNER = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import date
    from webapp import create_app
    from webapp.extensions import db
    from core.services import billing_run

    calls = {"n": 0}
    real = billing_run._update_subscriptions

    def dies_in_the_second_batch(session, rows):
        calls["n"] += 1
        if calls["n"] == 2:  # invoice and charges written, not committed: killed here
            os.kill(os.getpid(), signal.SIGKILL)
        return real(session, rows)

    billing_run._update_subscriptions = dies_in_the_second_batch
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x",
                      "TESTING": True})
    with app.app_context():
        billing_run.run(db.session, date.fromisoformat(sys.argv[2]),
                        tenant_id=int(sys.argv[3]), batch_accounts=1)
    """
)


def test_a_killed_runner_then_a_rerun_bill_every_period_once(app, demo, session, db_url):
    tenant = _tenant(session)
    tenant_id = tenant.id
    _trials_expire(session, tenant_id)
    subs = len(_active(session, tenant_id))
    accounts = len({s.account_id for s in _active(session, tenant_id)})
    session.commit()
    session.remove()
    run_date = _next_month(date.today())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", KILLED_RUNNER, db_url, run_date.isoformat(), str(tenant_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    from webapp.extensions import db

    s = db.session
    after_kill = _charges(s, tenant_id)
    assert 0 < len(after_kill) < subs  # the first batch committed, the second rolled back
    billed_once = s.scalar(
        select(func.count()).select_from(Invoice).where(Invoice.billing_run_id.is_not(None))
    )
    assert billed_once == 1
    s.commit()
    (result,) = billing_run.run(s, run_date, tenant_id=tenant_id)
    charges = _charges(s, tenant_id)
    assert len(charges) == len(set(charges)) == subs
    assert result.invoices == accounts - 1
    killed = s.scalar(select(BillingRun).where(BillingRun.id != result.run_id))
    assert killed.status == "running" and killed.invoices_count == 1  # left as it died


def test_renewals_make_no_back_orders_the_distributor_bills_its_own_subscription(
    app, demo, session
):
    """Point 7: a renewal in the tenant reseller creates no back-order; the distributor's own
    subscription for the tenant reseller renews in the distributor's run and is invoiced to the
    tenant reseller account (billing it twice would follow from a back-order per renewal)."""
    from core.models import Order

    distributor = _tenant(session, "distributor")
    skyline = session.scalar(
        select(Account.id).where(
            Account.tenant_id == distributor.id, Account.kind == "tenant_reseller"
        )
    )
    orders_before = session.scalar(select(func.count()).select_from(Order))
    session.commit()
    results = billing_run.run(session, _next_month(date.today()))  # every tenant
    assert {r.tenant_id for r in results} >= {distributor.id, _tenant(session).id}
    assert session.scalar(select(func.count()).select_from(Order)) == orders_before
    invoice = session.scalar(
        select(Invoice).where(Invoice.tenant_id == distributor.id, Invoice.account_id == skyline)
    )
    assert invoice is not None and invoice.billing_run_id is not None
    assert invoice.number.startswith("NIM-")


def test_a_batch_whose_collection_fails_is_collected_invoice_by_invoice(
    app, demo, session, monkeypatch
):
    from core.models import DunningCase, Payment
    from core.services import invoice_payment

    def broken(*_args, **_kwargs):
        raise RuntimeError("the batch's collection failed")

    monkeypatch.setattr(invoice_payment, "collect_many", broken)
    one_by_one = []
    monkeypatch.setattr(
        invoice_payment,
        "collect",
        lambda s, invoice: one_by_one.append(invoice.id) or invoice_payment.ALREADY,
    )
    (result,) = billing_run.run(session, _next_month(date.today()), tenant_slug="reseller")
    assert result.invoices and sorted(one_by_one) == sorted(result.invoice_ids)
    monkeypatch.undo()

    # the run's hook for real: every card invoice has its first attempt or its dunning case
    (result,) = billing_run.run(
        session, billing_periods.add_months(_next_month(date.today()), 1), tenant_slug="reseller"
    )
    card_invoices = set(
        session.scalars(
            select(Invoice.id)
            .join(Account, Account.id == Invoice.account_id)
            .where(Invoice.id.in_(result.invoice_ids), Account.payment_method == "card")
        )
    )
    started = set(
        session.scalars(select(Payment.invoice_id).where(Payment.invoice_id.in_(card_invoices)))
    ) | set(
        session.scalars(
            select(DunningCase.invoice_id).where(DunningCase.invoice_id.in_(card_invoices))
        )
    )
    assert card_invoices and started == card_invoices
