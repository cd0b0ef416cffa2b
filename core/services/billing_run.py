"""The billing run (issue 17, point 2): invoice every subscription period that has come due,
exactly once, in batches, on both engines.

``run(session, run_date)`` (``flask billing run --date D [--tenant slug]``, the daily task
``webapp.tasks.run_billing``, the BSS's "Run billing now") walks each tenant's accounts that
have a subscription with ``next_billing_date <= run_date`` in account-id order, a batch of
accounts per transaction:

1. the batch's due subscriptions are read **and locked** inside the transaction
   (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` holds the database) and only
   those still due are billed: a second runner waiting on the lock finds them advanced and
   bills nothing twice;
2. :func:`core.rules.billing_periods.due_periods` says which periods each one bills (every
   missed period once, oldest first) or that it ends at its term's end (auto-renew off);
3. each account gets **one invoice** (per currency) with one line per subscription period and
   one per add-on for that period, at the subscription's own price (``unit_price``), less the
   promotions of the days the period covers (:func:`core.rules.invoicing.
   period_discount_percent`); issued by :mod:`core.services.invoicing`;
4. one ``billing_charge`` row per (subscription, period start, "period") — the database's
   unique key refuses a second, whatever happens — and the subscriptions' periods, next billing
   dates and terms move on, all in the same transaction as the invoice;
5. after the commit, :func:`core.services.invoice_payment.collect_many` collects the batch's
   invoices in one transaction (the payment hook, :func:`~core.services.invoice_payment.collect`
   per invoice; see its contract).

A crash half-way loses only the batch in flight (rolled back); a rerun bills what is still due
and nothing else. Memory stays flat: a batch's objects are let go after its commit.
Trials are not billed here (their end into the paid plan is its own use case); one-off
purchases have no periods.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.models import (
    Account,
    AddOn,
    BillingCharge,
    BillingRun,
    BillingRunEntry,
    Invoice,
    Plan,
    Product,
    Promotion,
    Subscription,
    SubscriptionAddOn,
    SubscriptionHistory,
    Tenant,
)
from core.rules import billing_periods as periods
from core.rules import invoicing as invoice_rules
from core.rules.scheduling import local_today
from core.services import invoice_messages, invoice_payment, invoicing, subscription_changes
from core.services.errors import NotFound
from core.services.promotions import terms_of

log = logging.getLogger("cloudshop.billing")

BATCH_ACCOUNTS = 400
CHARGE_KIND = "period"
ZERO = Decimal("0.00")


@dataclass
class RunResult:
    run_id: int
    tenant_id: int
    run_date: date
    invoices: int = 0
    periods: int = 0
    failed: int = 0
    ended: int = 0
    invoice_ids: list[int] = field(default_factory=list)


def due_filter(tenant_id: int, run_date: date):
    return (
        Subscription.tenant_id == tenant_id,
        Subscription.next_billing_date.is_not(None),
        Subscription.next_billing_date <= run_date,
        Subscription.status == "active",
        Subscription.is_trial.is_(False),
    )


def run(
    session: Session,
    run_date: date,
    *,
    tenant_slug: str | None = None,
    tenant_id: int | None = None,
    triggered_by: str = "system",
    batch_accounts: int = BATCH_ACCOUNTS,
    now: datetime | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Run billing for ``run_date`` for one tenant (by slug or id) or every tenant."""
    query = select(Tenant.id).order_by(Tenant.id)
    if tenant_slug is not None:
        query = query.where(Tenant.slug == tenant_slug)
    if tenant_id is not None:
        query = query.where(Tenant.id == tenant_id)
    tenant_ids = list(session.scalars(query))
    session.commit()
    if (tenant_slug is not None or tenant_id is not None) and not tenant_ids:
        raise NotFound("That tenant does not exist.")
    return [
        run_tenant(
            session,
            tid,
            run_date,
            triggered_by=triggered_by,
            batch_accounts=batch_accounts,
            now=now,
            after_batch=after_batch,
        )
        for tid in tenant_ids
    ]


def run_today(
    session: Session, *, now: datetime | None = None, triggered_by: str = "system"
) -> list[RunResult]:
    """Every tenant's run for its today in its own time zone (the daily task)."""
    now = now or utcnow()
    tenants = session.execute(select(Tenant.id, Tenant.timezone).order_by(Tenant.id)).all()
    session.commit()
    return [
        run_tenant(session, tid, local_today(now, zone), triggered_by=triggered_by, now=now)
        for tid, zone in tenants
    ]


def run_tenant(
    session: Session,
    tenant_id: int,
    run_date: date,
    *,
    triggered_by: str = "system",
    batch_accounts: int = BATCH_ACCOUNTS,
    now: datetime | None = None,
    after_batch: Callable[[int], None] | None = None,
) -> RunResult:
    """One tenant's run: a ``billing_run`` row, then batches until nothing is due."""
    with write_transaction(session):
        record = BillingRun(
            tenant_id=tenant_id,
            run_date=run_date,
            started_at=now or utcnow(),
            status="running",
            triggered_by=triggered_by[:120],
            invoices_count=0,
            periods_count=0,
            failed_count=0,
            ended_count=0,
            net_total=ZERO,
        )
        session.add(record)
        session.flush()
        run_id = record.id
    result = RunResult(run_id, tenant_id, run_date)
    # billing changes (issue 17): trial notices, then trials that end today start their paid
    # period (billed below) or expire
    subscription_changes.before_billing(session, tenant_id, run_date, now)
    after_account = 0
    batch_no = 0
    try:
        while True:
            with write_transaction(session):
                batch = _bill_batch(
                    session,
                    tenant_id,
                    run_id,
                    run_date,
                    after_account,
                    batch_accounts,
                    now or utcnow(),
                )
            if batch is None:
                break
            after_account, issued = batch
            result.invoices += len(issued)
            result.invoice_ids.extend(issued)
            _collect(session, issued)
            session.expunge_all()  # memory stays flat: the batch's rows are let go
            batch_no += 1
            if after_batch is not None:
                after_batch(batch_no)
    except Exception as error:
        session.rollback()
        log.exception("billing run %s failed", run_id)
        with write_transaction(session):
            session.execute(
                update(BillingRun)
                .where(BillingRun.id == run_id)
                .values(status="failed", finished_at=utcnow(), error=str(error)[:2000])
            )
        raise
    with write_transaction(session):
        session.execute(
            update(BillingRun)
            .where(BillingRun.id == run_id)
            .values(status="done", finished_at=utcnow())
        )
        counts = session.execute(
            select(
                BillingRun.invoices_count,
                BillingRun.periods_count,
                BillingRun.failed_count,
                BillingRun.ended_count,
            ).where(BillingRun.id == run_id)
        ).one()
    result.invoices, result.periods, result.failed, result.ended = counts
    session.expunge_all()
    return result


def _collect(session: Session, invoice_ids: list[int]) -> None:
    """The payment hook for a batch's invoices (after the commit; see invoice_payment): one
    transaction for the batch; if it fails, once per invoice, so one bad invoice does not keep
    the others from being collected."""
    if not invoice_ids:
        return
    try:
        invoice_payment.collect_many(session, invoice_ids)
        return
    except Exception:
        session.rollback()
        log.exception("payment collection for a batch of %s invoices failed", len(invoice_ids))
    for invoice_id in invoice_ids:
        try:
            invoice_payment.collect(session, session.get(Invoice, invoice_id))
        except Exception:  # the invoice stays issued; its payment is retried by dunning
            session.rollback()
            log.exception("payment collection for invoice %s failed", invoice_id)


def _bill_batch(
    session: Session,
    tenant_id: int,
    run_id: int,
    run_date: date,
    after_account: int,
    batch_accounts: int,
    now: datetime,
) -> tuple[int, list[int]] | None:
    """Bill the next ``batch_accounts`` accounts with something due, in the caller's
    transaction. Returns (the last account id looked at, the invoices issued) or None."""
    account_ids = list(
        session.scalars(
            select(Subscription.billing_account_id)
            .where(
                *due_filter(tenant_id, run_date), Subscription.billing_account_id > after_account
            )
            .group_by(Subscription.billing_account_id)
            .order_by(Subscription.billing_account_id)
            .limit(batch_accounts)
        )
    )
    if not account_ids:
        return None
    # billing changes (issue 17): what the customers scheduled for this day (fewer licenses,
    # add-ons, a downgrade, a cancellation) applies before their next period is billed
    subscription_changes.apply_due_for_accounts(session, tenant_id, account_ids, run_date, now)
    # lock and re-read: what another runner billed meanwhile is no longer due
    subs = session.execute(
        select(
            Subscription.id,
            Subscription.billing_account_id.label("account_id"),  # who is invoiced
            Subscription.product_id,
            Subscription.plan_id,
            Subscription.quantity,
            Subscription.start_date,
            Subscription.billing_cycle,
            Subscription.commitment_months,
            Subscription.next_billing_date,
            Subscription.term_end,
            Subscription.auto_renew,
            Subscription.unit_price,
            Subscription.currency,
        )
        .where(*due_filter(tenant_id, run_date), Subscription.billing_account_id.in_(account_ids))
        .order_by(Subscription.billing_account_id, Subscription.id)
        .with_for_update()
    ).all()
    last = account_ids[-1]
    if not subs:
        return last, []
    sub_ids = [s.id for s in subs]
    accounts = {
        a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))
    }
    addons: dict[int, list] = defaultdict(list)
    for row in session.execute(
        select(
            SubscriptionAddOn.subscription_id,
            SubscriptionAddOn.quantity,
            SubscriptionAddOn.unit_price,
            AddOn.name,
        )
        .join(AddOn, AddOn.id == SubscriptionAddOn.addon_id)
        .where(SubscriptionAddOn.subscription_id.in_(sub_ids))
        .order_by(SubscriptionAddOn.id)
    ):
        addons[row.subscription_id].append(row)
    product_ids = {s.product_id for s in subs}
    names = dict(
        session.execute(select(Product.id, Product.name).where(Product.id.in_(product_ids))).all()
    )
    plan_ids = {s.plan_id for s in subs if s.plan_id}
    plan_names = (
        dict(session.execute(select(Plan.id, Plan.name).where(Plan.id.in_(plan_ids))).all())
        if plan_ids
        else {}
    )
    promotions: dict[int, list] = defaultdict(list)
    for promotion in session.scalars(
        select(Promotion).where(
            Promotion.tenant_id == tenant_id,
            Promotion.product_id.in_(product_ids),
            Promotion.active.is_(True),
        )
    ):
        promotions[promotion.product_id].append(terms_of(promotion))

    lines_by_invoice: dict[tuple[int, str], list[invoicing.LineDraft]] = defaultdict(list)
    charges: list[dict] = []
    sub_updates: list[dict] = []
    entries: list[dict] = []
    history: list[dict] = []
    periods_billed = failed = ended = 0
    for sub in subs:
        terms = periods.BillingTerms(
            sub.start_date,
            sub.billing_cycle,
            sub.commitment_months or 0,
            sub.next_billing_date,
            sub.term_end,
            sub.auto_renew,
        )
        try:
            plan = periods.due_periods(terms, run_date)
        except periods.BillingPeriodError as error:
            failed += 1
            entries.append(_entry(run_id, sub.account_id, sub.id, "failed", str(error), now))
            continue
        key = (sub.account_id, sub.currency)
        label = names.get(sub.product_id, "")
        if sub.plan_id and plan_names.get(sub.plan_id):
            label = f"{label} ({plan_names[sub.plan_id]})"  # as a checkout's line reads
        for period in plan.periods:
            percent, _promotion = invoice_rules.period_discount_percent(
                promotions.get(sub.product_id, ()),
                sub.product_id,
                sub.plan_id,
                sub.unit_price,
                period.start,
                period.end,
            )
            line = invoicing.LineDraft(
                description=label,
                quantity=sub.quantity,
                unit_price=sub.unit_price,
                discount_percent=percent,
                subscription_id=sub.id,
                period_start=period.start,
                period_end=period.end,
            )
            amount = line.net_amount()
            lines_by_invoice[key].append(line)
            for addon in addons.get(sub.id, ()):
                addon_line = invoicing.LineDraft(
                    description=texts.BILLING_ADDON_LINE.format(addon=addon.name, product=label),
                    quantity=addon.quantity,
                    unit_price=addon.unit_price,
                    subscription_id=sub.id,
                    period_start=period.start,
                    period_end=period.end,
                )
                amount += addon_line.net_amount()
                lines_by_invoice[key].append(addon_line)
            charges.append(
                {
                    "tenant_id": tenant_id,
                    "subscription_id": sub.id,
                    "period_start": period.start,
                    "period_end": period.end,
                    "kind": CHARGE_KIND,
                    "billing_run_id": run_id,
                    "amount": amount,
                    "created_at": now,
                    "_key": key,
                }
            )
            periods_billed += 1
        update_row = {
            "id": sub.id,
            "next_billing_date": plan.next_billing_date,
            "term_end": plan.term_end,
        }
        if plan.periods:
            update_row["current_period_start"] = plan.periods[-1].start
            update_row["current_period_end"] = plan.periods[-1].end
        if plan.ends_on is not None:
            update_row["status"] = "ended"
            update_row["ended_on"] = plan.ends_on
            ended += 1
            entries.append(
                _entry(run_id, sub.account_id, sub.id, "ended", texts.BILLING_RUN_ENDED, now)
            )
            history.append(
                {
                    "subscription_id": sub.id,
                    "at": now,
                    "change": "ended",
                    "detail": texts.BILLING_RUN_ENDED,
                }
            )
        sub_updates.append(update_row)

    keys = list(lines_by_invoice)
    context = invoicing.TaxContext.load(session, tenant_id)
    invoice_ids = invoicing.issue_many(
        session,
        tenant_id,
        [
            invoicing.InvoiceDraft(
                account=accounts[account_id],
                lines=lines_by_invoice[(account_id, currency)],
                currency=currency,
                issue_date=run_date,
                billing_run_id=run_id,
            )
            for account_id, currency in keys
        ],
        context=context,
        now=now,
    )
    by_key = dict(zip(keys, invoice_ids, strict=True))
    totals = (
        dict(
            session.execute(
                select(Invoice.id, Invoice.net_total).where(Invoice.id.in_(invoice_ids))
            ).all()
        )
        if invoice_ids
        else {}
    )
    for charge in charges:
        charge["invoice_id"] = by_key[charge.pop("_key")]
    connection = session.connection()
    if charges:
        # the exactly-once key: a period billed twice fails here and rolls the batch back
        connection.execute(insert(BillingCharge.__table__), charges)
    if sub_updates:
        _update_subscriptions(session, sub_updates)
    per_invoice = Counter(c["invoice_id"] for c in charges)
    for (account_id, _currency), invoice_id in by_key.items():
        count = per_invoice[invoice_id]
        entries.append(
            {
                "run_id": run_id,
                "account_id": account_id,
                "subscription_id": None,
                "invoice_id": invoice_id,
                "outcome": "invoiced",
                "periods": count,
                "amount": totals.get(invoice_id),
                "detail": None,
                "at": now,
            }
        )
    # the customers are told in the invoices' transaction: a rerun issues and tells nothing
    invoice_messages.renewals_issued(session, tenant_id, invoice_ids)
    if entries:
        connection.execute(insert(BillingRunEntry.__table__), entries)
    if history:
        connection.execute(insert(SubscriptionHistory.__table__), history)
    net = sum(totals.values(), ZERO)
    session.execute(
        update(BillingRun)
        .where(BillingRun.id == run_id)
        .values(
            invoices_count=BillingRun.invoices_count + len(invoice_ids),
            periods_count=BillingRun.periods_count + periods_billed,
            failed_count=BillingRun.failed_count + failed,
            ended_count=BillingRun.ended_count + ended,
            net_total=BillingRun.net_total + net,
        )
    )
    return last, invoice_ids


def _update_subscriptions(session: Session, rows: list[dict]) -> None:
    """One executemany per shape of row (a Core UPDATE by primary key)."""
    table = Subscription.__table__
    shapes: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        shapes[tuple(sorted(row))].append({f"b_{k}": v for k, v in row.items()})
    connection = session.connection()
    for shape, group in shapes.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in shape if k != "id"})
        )
        connection.execute(statement, group)


def _entry(run_id, account_id, subscription_id, outcome, detail, now) -> dict:
    return {
        "run_id": run_id,
        "account_id": account_id,
        "subscription_id": subscription_id,
        "invoice_id": None,
        "outcome": outcome,
        "periods": 0,
        "amount": None,
        "detail": detail,
        "at": now,
    }


def due_count(session: Session, tenant_id: int, run_date: date) -> int:
    return session.scalar(
        select(func.count()).select_from(Subscription).where(*due_filter(tenant_id, run_date))
    )
