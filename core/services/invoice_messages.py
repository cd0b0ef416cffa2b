"""Who is told about an invoice or a credit note (PRODUCT.md 11): one function per event,
called inside the use case's transaction, writing through
:func:`core.services.notifications.notify` (Setup › Notifications applies; the outbox sends
after commit, never inline). The kinds are in :mod:`core.rules.notifications`.

- :func:`renewals_issued`: the billing run's batch, in the transaction that issues its
  invoices, so a rerun (which issues nothing) e-mails nothing. An account that pays on account,
  or by card without a saved card, is told the invoice with its due date and a link to pay it.
  A card account with a saved card is told once the card is charged (:func:`renewal_paid`,
  in the transaction that records the charge): a receipt, not a bill it has already paid.
- :func:`credit_note_issued`: every credit note (BSS, any other caller of
  :func:`core.services.invoicing.issue_credit_note`), in its transaction.

The links go to the tenant's Storefront (``webapp.emails.storefront_url``), never to the host of
the request that made the message. The PDF is linked, not attached (the mail has no attachments).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.enums import PaymentMethod
from core.models import Account, AccountCard, Invoice, InvoiceLine, Payment, Tenant
from core.rules import notifications as kinds
from core.rules.invoicing import notice_date
from core.rules.pricing import format_money
from core.services.notifications import Message, notify, notify_many
from core.services.order_messages import customer_address, customer_addresses

TEMPLATE = "invoice_document"  # email/invoice_document.txt and .html


def periods_text(periods: list[tuple[date, date]]) -> str:
    """ "the period 1 Jan 2027 – 31 Jan 2027" (periods are half-open: the last day is shown)."""
    shown = [
        f"{notice_date(start)} – {notice_date(end - timedelta(days=1))}" for start, end in periods
    ]
    if not shown:
        return texts.MAIL_INVOICE_NO_PERIOD
    if len(shown) == 1:
        return texts.MAIL_INVOICE_PERIOD.format(period=shown[0])
    return texts.MAIL_INVOICE_PERIODS.format(periods=", ".join(shown))


def total_text(document) -> str:
    """The total the customer pays (or is credited), with VAT: "€1,234.56 (VAT included)";
    the amount alone when the document carries no VAT (reverse charge, exempt)."""
    total = format_money(document.total, document.currency)
    return texts.MAIL_TOTAL_WITH_VAT.format(total=total) if document.tax_total else total


def issued_mail(invoice, periods: list[tuple[date, date]]) -> tuple[str, str]:
    """(subject, body) of an invoice left to pay: its periods, total with VAT, due date.
    ``invoice`` has ``number``, ``issue_date``, ``due_date``, ``total``, ``tax_total`` and
    ``currency``."""
    return (
        texts.MAIL_INVOICE_ISSUED_SUBJECT.format(number=invoice.number),
        texts.MAIL_INVOICE_ISSUED_BODY.format(
            number=invoice.number,
            date=notice_date(invoice.issue_date),
            periods=periods_text(periods),
            total=total_text(invoice),
            due=notice_date(invoice.due_date),
        ),
    )


def receipt_mail(
    invoice, periods: list[tuple[date, date]], last4: str | None, paid_on: date
) -> tuple[str, str]:
    """(subject, body) of an invoice the saved card paid: "paid by card ending 4242 on …"."""
    return (
        texts.MAIL_INVOICE_RECEIPT_SUBJECT.format(number=invoice.number),
        texts.MAIL_INVOICE_RECEIPT_BODY.format(
            number=invoice.number,
            date=notice_date(invoice.issue_date),
            periods=periods_text(periods),
            total=total_text(invoice),
            last4=last4 or "····",
            paid=notice_date(paid_on),
        ),
    )


def credit_note_mail(note, invoice_number: str) -> tuple[str, str]:
    """(subject, body) of a credit note: its number, amount with VAT, the invoice it credits."""
    return (
        texts.MAIL_CREDIT_NOTE_SUBJECT.format(number=note.number, invoice=invoice_number),
        texts.MAIL_CREDIT_NOTE_BODY.format(
            number=note.number,
            total=total_text(note),
            date=notice_date(note.issue_date),
            invoice=invoice_number,
        ),
    )


def _periods_of(session: Session, invoice_ids: list[int]) -> dict[int, list[tuple[date, date]]]:
    found: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for invoice_id, start, end in session.execute(
        select(InvoiceLine.invoice_id, InvoiceLine.period_start, InvoiceLine.period_end)
        .where(InvoiceLine.invoice_id.in_(invoice_ids), InvoiceLine.period_start.is_not(None))
        .distinct()
        .order_by(InvoiceLine.invoice_id, InvoiceLine.period_start)
    ):
        found[invoice_id].append((start, end))
    return found


def _host(session: Session, tenant_id: int) -> str | None:
    tenant = session.get(Tenant, tenant_id)
    return tenant.host if tenant is not None else None


def renewals_issued(session: Session, tenant_id: int, invoice_ids: list[int]) -> int:
    """The billing run's batch (in its transaction): each invoice not paid by a saved card is
    e-mailed with its due date and a link to pay it. Returns how many were recorded."""
    if not invoice_ids:
        return 0
    rows = session.execute(
        select(
            Invoice.id,
            Invoice.account_id,
            Invoice.number,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.total,
            Invoice.tax_total,
            Invoice.currency,
            Account.payment_method,
        )
        .join(Account, Account.id == Invoice.account_id)
        .where(Invoice.id.in_(invoice_ids))
        .order_by(Invoice.id)
    ).all()
    carded = set(
        session.scalars(
            select(AccountCard.account_id).where(
                AccountCard.account_id.in_({row.account_id for row in rows})
            )
        )
    )
    billed = [
        row
        for row in rows
        if row.payment_method == PaymentMethod.ON_ACCOUNT or row.account_id not in carded
    ]
    if not billed:
        return 0
    periods = _periods_of(session, [row.id for row in billed])
    recipients = customer_addresses(session, {row.account_id for row in billed})
    host = _host(session, tenant_id)
    messages = [
        Message(
            recipients[row.account_id],
            *issued_mail(row, periods.get(row.id, [])),
            template=TEMPLATE,
            context={"invoice_id": row.id, "invoice_open": True, "storefront_host": host},
        )
        for row in billed
        if recipients.get(row.account_id)
    ]
    return notify_many(session, tenant_id, kinds.INVOICE_ISSUED, messages)


def renewal_paid(session: Session, invoice: Invoice, payment: Payment, day: date) -> None:
    """In the transaction that records a successful charge of a renewal invoice by the saved
    card (the worker's, never twice: the payment was pending): the receipt."""
    if invoice.billing_run_id is None:
        return
    account = session.get(Account, invoice.account_id)
    recipient = customer_address(session, account) if account is not None else None
    if not recipient:
        return
    periods = _periods_of(session, [invoice.id]).get(invoice.id, [])
    notify(
        session,
        invoice.tenant_id,
        kinds.INVOICE_ISSUED,
        recipient,
        *receipt_mail(invoice, periods, payment.card_last4, day),
        template=TEMPLATE,
        context={
            "invoice_id": invoice.id,
            "invoice_open": False,
            "storefront_host": _host(session, invoice.tenant_id),
        },
    )


def credit_note_issued(session: Session, note: Invoice, invoice: Invoice) -> None:
    """In the credit note's transaction: its number, amount and the invoice it credits."""
    account = session.get(Account, note.account_id)
    recipient = customer_address(session, account) if account is not None else None
    if not recipient:
        return
    notify(
        session,
        note.tenant_id,
        kinds.CREDIT_NOTE_ISSUED,
        recipient,
        *credit_note_mail(note, invoice.number),
        template=TEMPLATE,
        context={
            "invoice_id": note.id,
            "credit_note": True,
            "storefront_host": _host(session, note.tenant_id),
        },
    )
