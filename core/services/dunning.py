"""Dunning (issue 17, point 5): a renewal invoice whose card charge failed.

A failed attempt (:func:`attempt_failed`) opens the invoice's :class:`DunningCase` (day 0 is the
day of that first failure) or counts another failure, and e-mails the customer a reminder that
says what comes next. The daily pass (:func:`run`: the worker's periodic task, and
``flask billing dunning --date D``) does each case's due steps of
:data:`core.rules.dunning.DEFAULT_SCHEDULE`: a retry queues the next card attempt (the charge
runs in the worker, :mod:`core.services.invoice_payment`); the suspension suspends the
account's subscriptions billed by the invoice: status "suspended" with the invoice that caused
it, a ``suspend`` provisioning task through the product's connector, an e-mail.

:func:`settle` ends it, whoever paid: when payments and credit notes cover the invoice it is
paid, the case resolved, and each subscription it suspended resumed (a ``resume`` task, an
e-mail). Every step runs in the caller's transaction; :func:`run` takes one transaction per
case (a case that fails is logged and the others go on).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.orm import Session, aliased

from core import texts
from core.db import utcnow, write_transaction
from core.models import (
    Account,
    DunningCase,
    Invoice,
    InvoiceLine,
    Payment,
    Product,
    ProductType,
    ProvisioningTask,
    Subscription,
    SubscriptionHistory,
    Tenant,
    User,
)
from core.rules import dunning as rules
from core.rules import notifications as kinds
from core.rules import provisioning as provisioning_rules
from core.rules.invoicing import notice_date
from core.rules.pricing import format_money
from core.services import invoice_payment, outbox, provisioning
from core.services import payments as pay
from core.services.notifications import Message, notify, notify_many
from core.services.order_messages import customer_address, customer_addresses

log = logging.getLogger("cloudshop.dunning")

SCHEDULE = rules.DEFAULT_SCHEDULE
TEMPLATE = "invoice_message"  # email/invoice_message.txt and .html


def case_of(session: Session, invoice_id: int, *, lock: bool = False) -> DunningCase | None:
    query = select(DunningCase).where(DunningCase.invoice_id == invoice_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def suspended_by(session: Session, invoice_id: int) -> list[Subscription]:
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.suspended_invoice_id == invoice_id)
            .order_by(Subscription.id)
        )
    )


def _next_action_on(case_row: DunningCase) -> date | None:
    upcoming = rules.next_step(case_row.started_on, case_row.steps_done, SCHEDULE)
    return upcoming[0] if upcoming else None


def attempt_failed(
    session: Session, invoice: Invoice, payment: Payment | None, reason: str, day: date
) -> DunningCase | None:
    """Inside the caller's transaction (invoice locked): a card attempt failed (or could not
    be made: no card on file). Opens or moves the case on, and sends the reminder."""
    case_row = case_of(session, invoice.id, lock=True)
    if case_row is None:
        case_row = DunningCase(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            account_id=invoice.account_id,
            status=rules.OPEN,
            started_on=day,
            steps_done=0,
            failed_attempts=0,
        )
        session.add(case_row)
    elif case_row.status == rules.RESOLVED:
        return case_row
    case_row.failed_attempts += 1
    case_row.last_error = reason[:300]
    case_row.next_action_on = _next_action_on(case_row)
    case_row.updated_at = utcnow()
    session.flush()
    amount = (
        payment.amount if payment is not None else invoice_payment.amount_owed(session, invoice)
    )
    subject, body = _failed_mail(case_row, invoice.number, invoice.currency, amount, reason)
    _mail(session, invoice, kinds.INVOICE_PAYMENT_FAILED, subject, body)
    return case_row


def first_attempts_failed(
    session: Session, invoices: list, owed: dict[int, Decimal], reason: str, day: date
) -> None:
    """:func:`attempt_failed` for many invoices without a case yet (the billing run's batch:
    no card on file), in the caller's transaction with the invoices locked: one INSERT of the
    cases, one of the reminders. ``invoices`` have ``id``, ``tenant_id``, ``account_id``,
    ``number`` and ``currency``; ``owed`` is what each still owes."""
    if not invoices:
        return
    now = utcnow()
    cases = []
    for invoice in invoices:
        case_row = DunningCase(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            account_id=invoice.account_id,
            status=rules.OPEN,
            started_on=day,
            steps_done=0,
            failed_attempts=1,
            last_error=reason[:300],
            updated_at=now,
        )
        case_row.next_action_on = _next_action_on(case_row)
        cases.append(case_row)
    columns = ("tenant_id", "invoice_id", "account_id", "status", "started_on", "steps_done")
    columns += ("failed_attempts", "last_error", "next_action_on", "updated_at")
    session.execute(
        insert(DunningCase), [{c: getattr(case_row, c) for c in columns} for case_row in cases]
    )
    recipients = customer_addresses(session, {i.account_id for i in invoices})
    by_tenant: dict[int, list[Message]] = {}
    for invoice, case_row in zip(invoices, cases, strict=True):
        recipient = recipients.get(invoice.account_id)
        if not recipient:
            continue
        subject, body = _failed_mail(
            case_row, invoice.number, invoice.currency, owed[invoice.id], reason
        )
        by_tenant.setdefault(invoice.tenant_id, []).append(
            Message(
                recipient,
                subject,
                body,
                template=TEMPLATE,
                context={"invoice_number": invoice.number},
            )
        )
    for tenant_id, messages in by_tenant.items():
        notify_many(session, tenant_id, kinds.INVOICE_PAYMENT_FAILED, messages)


def _failed_mail(
    case_row: DunningCase, number: str, currency: str, amount: Decimal, reason: str
) -> tuple[str, str]:
    """The reminder after a failed attempt: (subject, body), saying what comes next."""
    reminder = rules.reminder(
        case_row.started_on, case_row.steps_done, case_row.failed_attempts, SCHEDULE
    )
    if reminder.next_retry_on is not None:
        next_text = texts.MAIL_DUNNING_NEXT_RETRY.format(
            retry=notice_date(reminder.next_retry_on), suspend=notice_date(reminder.suspend_on)
        )
    elif reminder.suspend_on is not None:
        next_text = texts.MAIL_DUNNING_NEXT_SUSPEND.format(suspend=notice_date(reminder.suspend_on))
    else:
        next_text = texts.MAIL_DUNNING_NEXT_NONE
    return (
        texts.MAIL_DUNNING_FAILED_SUBJECT.format(number=number),
        texts.MAIL_DUNNING_FAILED_BODY.format(
            amount=format_money(amount, currency), number=number, reason=reason, next=next_text
        ),
    )


def _mail(session: Session, invoice: Invoice, kind: str, subject: str, body: str) -> None:
    account = session.get(Account, invoice.account_id)
    recipient = customer_address(session, account) if account else None
    if recipient:
        notify(
            session,
            invoice.tenant_id,
            kind,
            recipient,
            subject,
            body,
            template=TEMPLATE,
            context={"invoice_number": invoice.number},
        )


# --- suspension and resumption ---------------------------------------------------------------


def _provision(session: Session, subscription: Subscription, action: str, now: datetime):
    connector = session.scalar(
        select(ProductType.connector)
        .join(Product, Product.product_type_id == ProductType.id)
        .where(Product.id == subscription.product_id)
    )
    task = ProvisioningTask(
        tenant_id=subscription.tenant_id,
        order_id=None,
        subscription_id=subscription.id,
        product_id=subscription.product_id,
        action=action,
        status=provisioning_rules.STARTED,
        connector=provisioning_rules.connector_for(connector),
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    outbox.add(session, subscription.tenant_id, provisioning.KIND, task.id)


def _names(session: Session, subscriptions: list[Subscription]) -> str:
    names = dict(
        session.execute(
            select(Product.id, Product.name).where(
                Product.id.in_({s.product_id for s in subscriptions})
            )
        ).all()
    )
    return ", ".join(f"{names.get(s.product_id, '?')} ({s.quantity})" for s in subscriptions)


def suspend(session: Session, case_row: DunningCase, invoice: Invoice, day: date) -> int:
    """The active subscriptions billed by the invoice are suspended (status, why,
    history, a ``suspend`` provisioning task each, one e-mail). Returns how many."""
    now = utcnow()
    billed = select(InvoiceLine.subscription_id).where(
        InvoiceLine.invoice_id == invoice.id, InvoiceLine.subscription_id.is_not(None)
    )
    subscriptions = list(
        session.scalars(
            select(Subscription)
            .where(
                Subscription.id.in_(billed),  # billed to the invoice's account (its Bill To)
                Subscription.tenant_id == invoice.tenant_id,
                Subscription.status == "active",
            )
            .order_by(Subscription.id)
            .with_for_update()
        )
    )
    for subscription in subscriptions:
        subscription.status = "suspended"
        subscription.suspended_invoice_id = invoice.id
        subscription.suspended_on = day
        session.add(
            SubscriptionHistory(
                subscription_id=subscription.id,
                at=now,
                change="suspended",
                detail=texts.SUBSCRIPTION_SUSPENDED_WHY.format(
                    date=notice_date(day), number=invoice.number
                ),
            )
        )
        _provision(session, subscription, "suspend", now)
    case_row.status = rules.SUSPENDED
    case_row.suspended_on = day
    case_row.next_action_on = None
    case_row.updated_at = now
    if subscriptions:
        _mail(
            session,
            invoice,
            kinds.SUBSCRIPTIONS_SUSPENDED,
            texts.MAIL_SUSPENDED_SUBJECT.format(number=invoice.number),
            texts.MAIL_SUSPENDED_BODY.format(
                number=invoice.number,
                amount=format_money(
                    invoice_payment.amount_owed(session, invoice), invoice.currency
                ),
                subscriptions=_names(session, subscriptions),
            ),
        )
    return len(subscriptions)


def settle(session: Session, invoice: Invoice, day: date, *, actor: User | None = None) -> bool:
    """Inside the caller's transaction (invoice locked): if payments and credit notes cover
    the invoice, it is paid, its case resolved and what it suspended resumed. True if paid."""
    if invoice.kind != "invoice" or invoice.status != "open":
        return invoice.status == "paid"
    if invoice_payment.amount_owed(session, invoice) > 0:
        return False
    now = utcnow()
    invoice.status = "paid"
    invoice.paid_at = now
    release(session, invoice, day, now)
    return True


def release(session: Session, invoice: Invoice, day: date, now: datetime) -> None:
    """An invoice nothing is owed on any more (paid, or void once credited): its dunning case
    resolved and the subscriptions it suspended resumed. Inside the caller's transaction."""
    case_row = case_of(session, invoice.id, lock=True)
    if case_row is not None and case_row.status != rules.RESOLVED:
        case_row.status = rules.RESOLVED
        case_row.resolved_on = day
        case_row.next_action_on = None
        case_row.updated_at = now
    resumed = [
        s
        for s in session.scalars(
            select(Subscription)
            .where(Subscription.suspended_invoice_id == invoice.id)
            .order_by(Subscription.id)
            .with_for_update()
        )
        if s.status == "suspended"
    ]
    for subscription in resumed:
        subscription.status = "active"
        subscription.suspended_invoice_id = None
        subscription.suspended_on = None
        session.add(
            SubscriptionHistory(
                subscription_id=subscription.id,
                at=now,
                change="resumed",
                detail=texts.MAIL_RESUMED_SUBJECT.format(number=invoice.number),
            )
        )
        _provision(session, subscription, "resume", now)
    if resumed:
        _mail(
            session,
            invoice,
            kinds.SUBSCRIPTIONS_RESUMED,
            texts.MAIL_RESUMED_SUBJECT.format(number=invoice.number),
            texts.MAIL_RESUMED_BODY.format(
                number=invoice.number, subscriptions=_names(session, resumed)
            ),
        )


# --- the daily pass --------------------------------------------------------------------------


@dataclass
class DunningSummary:
    day: date
    retries: int = 0
    suspended: int = 0
    resolved: int = 0
    no_card: int = 0
    errors: list[str] = field(default_factory=list)


def run(
    session: Session, day: date | None = None, *, tenant_slug: str | None = None
) -> DunningSummary:
    """Each open case whose next step has come (and each suspended one, in case credit notes
    or a payment covered it): one transaction per case."""
    day = day or utcnow().date()
    summary = DunningSummary(day)
    query = select(DunningCase.id).where(
        or_(
            and_(DunningCase.status == rules.OPEN, DunningCase.next_action_on <= day),
            DunningCase.status == rules.SUSPENDED,
        )
    )
    if tenant_slug:
        query = query.join(Tenant, Tenant.id == DunningCase.tenant_id).where(
            Tenant.slug == tenant_slug
        )
    ids = list(session.scalars(query.order_by(DunningCase.id)))
    session.rollback()
    for case_id in ids:
        try:
            with write_transaction(session):
                _step(session, case_id, day, summary)
        except Exception as error:
            session.rollback()
            log.exception("dunning case %s failed", case_id)
            summary.errors.append(f"case {case_id}: {error}")
    return summary


def _step(session: Session, case_id: int, day: date, summary: DunningSummary) -> None:
    invoice_id = session.scalar(select(DunningCase.invoice_id).where(DunningCase.id == case_id))
    invoice = invoice_payment.lock_invoice(session, invoice_id)
    case_row = case_of(session, invoice_id, lock=True)
    if case_row.status == rules.RESOLVED:
        return
    if settle(session, invoice, day):
        summary.resolved += 1
        return
    if case_row.status != rules.OPEN:
        return
    plan = rules.due(case_row.started_on, case_row.steps_done, day, SCHEDULE)
    if plan.steps_done == case_row.steps_done:
        return
    case_row.steps_done = plan.steps_done
    case_row.next_action_on = _next_action_on(case_row)
    case_row.updated_at = utcnow()
    if plan.retry:
        pending = session.scalar(
            select(Payment.id).where(
                Payment.invoice_id == invoice.id, Payment.status == pay.PENDING
            )
        )
        if pending is None:
            if invoice_payment.queue_charge(session, invoice, day) is not None:
                summary.retries += 1
            else:
                attempt_failed(session, invoice, None, texts.NO_CARD_ON_FILE, day)
                summary.no_card += 1
    if plan.suspend:
        suspend(session, case_row, invoice, day)
        summary.suspended += 1


# --- the BSS list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    invoice_id: int
    number: str
    account_id: int
    account_name: str
    due_date: date
    days_overdue: int
    owed: object
    currency: str
    stage: str
    next_action: str


def overdue(session: Session, tenant_id: int, today: date, limit: int = 200) -> list[OverdueRow]:
    """Open invoices past their due date and every invoice in dunning, oldest due first, with
    what is owed, the stage and the next action (one query)."""
    credit = aliased(Invoice)
    paid = (
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.invoice_id == Invoice.id, Payment.status == pay.SUCCEEDED)
        .correlate(Invoice)
        .scalar_subquery()
    )
    credited = (
        select(func.coalesce(func.sum(credit.total), 0))
        .where(credit.credit_note_for_id == Invoice.id, credit.kind == "credit_note")
        .correlate(Invoice)
        .scalar_subquery()
    )
    pending = (
        select(func.count(Payment.id))
        .where(Payment.invoice_id == Invoice.id, Payment.status == pay.PENDING)
        .correlate(Invoice)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Invoice, Account.name, Account.payment_method, DunningCase, paid, credited, pending)
        .join(Account, Account.id == Invoice.account_id)
        .outerjoin(DunningCase, DunningCase.invoice_id == Invoice.id)
        .where(
            Invoice.tenant_id == tenant_id,
            Invoice.kind == "invoice",
            Invoice.status == "open",
            or_(Invoice.due_date < today, DunningCase.id.is_not(None)),
        )
        .order_by(case((DunningCase.id.is_(None), 1), else_=0), Invoice.due_date, Invoice.id)
        .limit(limit)
    ).all()
    out = []
    for invoice, name, method, case_row, paid_sum, credited_sum, pending_count in rows:
        stage, action = _stage_and_action(case_row, method, pending_count)
        out.append(
            OverdueRow(
                invoice.id,
                invoice.number,
                invoice.account_id,
                name,
                invoice.due_date,
                rules.days_overdue(invoice.due_date, today),
                rules.owed(invoice.total, paid_sum, credited_sum),
                invoice.currency,
                stage,
                action,
            )
        )
    return out


def _stage_and_action(case_row: DunningCase | None, method: str, pending: int):
    if pending:
        return texts.DUNNING_STAGE_LABELS["card_pending"], texts.DUNNING_NEXT_WAIT
    if case_row is None:
        return texts.DUNNING_STAGE_LABELS["on_account"], texts.DUNNING_NEXT_RECORD
    key = rules.stage(case_row.status, case_row.steps_done, SCHEDULE)
    if key.startswith("retry-"):
        label = texts.DUNNING_STAGE_RETRY.format(n=key.split("-")[1])
    else:
        label = texts.DUNNING_STAGE_LABELS.get(key, key)
    upcoming = rules.next_step(case_row.started_on, case_row.steps_done, SCHEDULE)
    if case_row.status == rules.SUSPENDED or upcoming is None:
        return label, texts.DUNNING_NEXT_WAIT
    when, action = upcoming
    template = texts.DUNNING_NEXT_RETRY if action == rules.RETRY else texts.DUNNING_NEXT_SUSPEND
    return label, template.format(date=notice_date(when))


def intro() -> str:
    retries = [str(s.day) for s in SCHEDULE if s.action == rules.RETRY]
    return texts.OVERDUE_INTRO.format(days=", ".join(retries), suspend=SCHEDULE[-1].day)


def customer_notice(invoice: Invoice, state) -> str | None:
    """What the customer's invoice page says about dunning (None: nothing)."""
    case_row = state.case
    if case_row is None or case_row.status == rules.RESOLVED or invoice.status != "open":
        return None
    reason = (case_row.last_error or texts.PAYMENT_DECLINED).rstrip(".")
    if case_row.status == rules.SUSPENDED:
        return texts.DUNNING_NOTICE_SUSPENDED.format(
            reason=reason, date=notice_date(case_row.suspended_on)
        )
    upcoming = rules.next_step(case_row.started_on, case_row.steps_done, SCHEDULE)
    suspend_on = notice_date(rules.suspension_date(case_row.started_on, SCHEDULE))
    if upcoming is not None and upcoming[1] == rules.RETRY:
        return texts.DUNNING_NOTICE.format(
            reason=reason, next=notice_date(upcoming[0]), suspend=suspend_on
        )
    return texts.DUNNING_NOTICE_LAST.format(reason=reason, suspend=suspend_on)
