"""Issuing invoices and credit notes (issue 17): the one place that numbers a document, taxes
its lines, adds up its totals and snapshots the seller and the bill-to.

Used by execution (the invoice of an executed order), by the billing run (renewals) and by
credit notes. Every function runs inside the caller's transaction (it never commits), so the
number taken is given back if that transaction rolls back: numbers have no gaps.

- :func:`take_number` takes the tenant's next number with one conditional ``UPDATE ...
  RETURNING`` on its ``document_number_sequence`` row: the row stays locked until the issuing
  transaction ends (PostgreSQL), or the whole database is (SQLite ``BEGIN IMMEDIATE``), so two
  transactions never get the same number.
- :func:`issue` writes the invoice: VAT decided by :func:`core.rules.invoicing.decide_tax`
  from the tenant's rate table and the account (country, VAT number, tax-exempt flag), tax
  rounded per line, net / tax / gross, the due date from the tenant's payment terms.
- :func:`issue_credit_note` takes back some lines (or an amount) of one invoice, never more
  than is left to credit, at the invoice's own rates, and voids an open invoice credited in
  full. An issued invoice never changes otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, object_session

from core import texts
from core.db import utcnow
from core.models import (
    Account,
    DocumentNumberSequence,
    Invoice,
    InvoiceLine,
    Order,
    Tenant,
    TenantBillingSettings,
    TenantVatRate,
)
from core.rules import invoicing as rules
from core.rules.invoicing import CREDIT_NOTE, INVOICE, Customer, TaxDecision, VatTable
from core.services import bulk, invoice_messages
from core.services.errors import Conflict, NotFound, ValidationFailed

ZERO = Decimal("0.00")


@dataclass
class LineDraft:
    """One line to issue. ``net`` overrides quantity × unit price (less the discount)."""

    description: str
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal | None = None
    order_item_id: int | None = None
    subscription_id: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    credits_line_id: int | None = None
    net: Decimal | None = None
    tax_rate: Decimal | None = None  # credit notes: the credited line's rate
    # credit notes: the VAT of a gross amount split in two, so that net + VAT is that amount
    # (VAT rounded from the net can miss it by a cent: €5.00 at 23 % has no such net)
    tax: Decimal | None = None

    def net_amount(self) -> Decimal:
        if self.net is not None:
            return rules.money(self.net)
        return rules.line_net(self.unit_price, self.quantity, self.discount_percent)

    def tax_amount(self, rate: Decimal) -> Decimal:
        return self.tax if self.tax is not None else rules.line_tax(self.net_amount(), rate)


def settings_for(session: Session, tenant_id: int) -> TenantBillingSettings:
    """The tenant's billing settings; a tenant that never saved any gets defaults (its name as
    the seller, Ireland, no VAT, 14 days) without a row being written."""
    row = session.scalar(
        select(TenantBillingSettings).where(TenantBillingSettings.tenant_id == tenant_id)
    )
    if row is not None:
        return row
    tenant = session.get(Tenant, tenant_id)
    return TenantBillingSettings(
        tenant_id=tenant_id,
        legal_name=tenant.name if tenant else "",
        address="",
        country="IE",
        vat_number=None,
        default_vat_rate=ZERO,
        payment_terms_days=14,
        invoice_prefix="INV",
        credit_note_prefix="CN",
    )


def vat_table(session: Session, tenant_id: int, settings: TenantBillingSettings) -> VatTable:
    rates = {
        r.country: r.rate
        for r in session.scalars(select(TenantVatRate).where(TenantVatRate.tenant_id == tenant_id))
    }
    return VatTable(settings.country, settings.default_vat_rate or ZERO, rates)


# built once (bound parameter): the settings row, once per VAT rate (or once, without any)
_SETTINGS_WITH_RATES = (
    select(TenantBillingSettings, TenantVatRate.country, TenantVatRate.rate)
    .outerjoin(TenantVatRate, TenantVatRate.tenant_id == TenantBillingSettings.tenant_id)
    .where(TenantBillingSettings.tenant_id == bindparam("tenant_id"))
)


@dataclass
class TaxContext:
    """What issuing needs about a tenant, loaded once (the billing run issues many)."""

    settings: TenantBillingSettings
    table: VatTable

    @classmethod
    def load(cls, session: Session, tenant_id: int) -> TaxContext:
        """The tenant's settings with its VAT rates, in one statement (issue 19: two, on the
        review page and at placement); a tenant that never saved any: as :func:`settings_for`."""
        rows = session.execute(_SETTINGS_WITH_RATES, {"tenant_id": tenant_id}).all()
        if not rows:
            settings = settings_for(session, tenant_id)
            return cls(settings, vat_table(session, tenant_id, settings))
        settings = rows[0][0]
        rates = {country: rate for _settings, country, rate in rows if country is not None}
        return cls(settings, VatTable(settings.country, settings.default_vat_rate or ZERO, rates))

    def decide(self, account: Account) -> TaxDecision:
        return rules.decide_tax(
            self.table, Customer(account.country, account.vat_number, account.tax_exempt)
        )


def take_numbers(session: Session, tenant_id: int, kind: str = INVOICE, count: int = 1) -> int:
    """Take ``count`` consecutive numbers of the tenant's ``kind`` in the caller's transaction;
    returns the first. One conditional UPDATE ... RETURNING (the row is created on first use)."""
    values = {"of_tenant": tenant_id, "of_kind": kind, "taken": count}
    last = session.connection().execute(_TAKE_NUMBERS, values).scalar()
    if last is None:
        dialect = session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            make(DocumentNumberSequence)
            .values(tenant_id=tenant_id, kind=kind, last_number=0)
            .on_conflict_do_nothing(index_elements=["tenant_id", "kind"])
        )
        last = session.connection().execute(_TAKE_NUMBERS, values).scalar_one()
    return last - count + 1


# built once (issue 19, sixth pass: building it was half of the call's time); every invoice,
# credit note and billing run takes its numbers with it. No sequence row is ever loaded as an
# entity: nothing in the session to synchronise, it runs on the transaction's connection
# (eighth pass: the ORM's bulk UPDATE path was half of the call's Python work).
_TAKE_NUMBERS = (
    update(DocumentNumberSequence)
    .where(
        DocumentNumberSequence.tenant_id == bindparam("of_tenant"),
        DocumentNumberSequence.kind == bindparam("of_kind"),
    )
    .values(last_number=DocumentNumberSequence.last_number + bindparam("taken"))
    .returning(DocumentNumberSequence.last_number)
    .execution_options(synchronize_session=False)
)


def take_number(session: Session, tenant_id: int, kind: str = INVOICE) -> int:
    """The tenant's next number for ``kind``, taken in the caller's transaction."""
    return take_numbers(session, tenant_id, kind, 1)


@dataclass(frozen=True)
class OrderTax:
    """An order's totals as the invoice of its execution will carry them: net, VAT (rounded
    per line), gross, the rate and the invoice's note (reverse charge, exempt)."""

    net: Decimal
    tax: Decimal
    gross: Decimal
    rate: Decimal
    note: str | None = None


def order_tax(
    session: Session,
    order: Order,
    account: Account | None = None,
    context: TaxContext | None = None,
) -> OrderTax:
    """``order``'s VAT, rounded per line exactly as the invoice of its execution will be
    (``order.total`` is without VAT). ``context``: the tenant's tax settings when the caller
    has them (else read)."""
    account = account or session.get(Account, order.billing_account_id or order.account_id)
    context = context or TaxContext.load(session, order.tenant_id)
    nets = []
    for item in order.items:
        net = rules.line_net(item.unit_price, item.quantity, item.discount_percent)
        if item.charge_now is not None:  # a prorated increase (issue 17): what it bills now
            net = rules.money(item.charge_now)
        nets.append(net)
    return _taxed(context.decide(account), nets, order.total)


def offer_tax(
    session: Session, offer, account: Account | None = None, context: TaxContext | None = None
) -> OrderTax:
    """An offer's VAT as the invoice of the order it converts to would carry it for its
    account (:func:`order_tax` of that order: the offered prices, the account's tax)."""
    account = account or session.get(Account, offer.account_id)
    context = context or TaxContext.load(session, offer.tenant_id)
    nets = [rules.line_net(i.unit_price, i.quantity, None) for i in offer.items]
    return _taxed(context.decide(account), nets, rules.money(sum(nets, ZERO)))


def _taxed(decision: TaxDecision, nets: list[Decimal], total: Decimal) -> OrderTax:
    """Lines' nets taxed as an invoice taxes them: VAT rounded per line, then added up."""
    if decision.rate == ZERO:
        return OrderTax(total, ZERO, total, ZERO, decision.note)
    totals = rules.totals((net, rules.line_tax(net, decision.rate)) for net in nets)
    return OrderTax(totals.net, totals.tax, totals.gross, decision.rate, decision.note)


def order_gross(
    session: Session,
    order: Order,
    account: Account | None = None,
    context: TaxContext | None = None,
) -> Decimal:
    """What a customer pays for ``order``, VAT included (:func:`order_tax`'s gross): the
    amount a card is charged at checkout. Without a VAT rate it is ``order.total``."""
    return order_tax(session, order, account, context).gross


def charge_amount(order: Order, context: TaxContext | None = None) -> Decimal:
    """:func:`order_gross` of an order loaded in a session (the card charge's amount)."""
    session = object_session(order)
    if session is None:
        return order.total
    return order_gross(session, order, context=context)


@dataclass
class InvoiceDraft:
    """One document to issue: for whom, which lines, and what it belongs to."""

    account: Account
    lines: Sequence[LineDraft]
    currency: str
    issue_date: date
    order: Order | None = None
    billing_run_id: int | None = None
    kind: str = INVOICE
    credit_note_for: Invoice | None = None
    paid: bool = False  # paid already (a card checkout's): issued paid, not updated after


def issue(
    session: Session,
    *,
    tenant_id: int,
    account: Account,
    lines: Sequence[LineDraft],
    currency: str,
    issue_date: date,
    order: Order | None = None,
    billing_run_id: int | None = None,
    context: TaxContext | None = None,
    now: datetime | None = None,
    kind: str = INVOICE,
    credit_note_for: Invoice | None = None,
    paid: bool = False,
) -> Invoice:
    """Issue one invoice (or credit note) with ``lines``, in the caller's transaction;
    ``paid``: its amount is paid already (a card checkout's charge)."""
    draft = InvoiceDraft(
        account, lines, currency, issue_date, order, billing_run_id, kind, credit_note_for, paid
    )
    (invoice,) = _issue(session, tenant_id, [draft], context=context, now=now, objects=True)
    return invoice


def issue_many(
    session: Session,
    tenant_id: int,
    drafts: Sequence[InvoiceDraft],
    *,
    context: TaxContext | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Issue ``drafts`` (all of one kind) in the caller's transaction: one block of numbers, one
    INSERT of the invoices, one of their lines. Returns the invoices' ids in ``drafts`` order."""
    return _issue(session, tenant_id, drafts, context=context, now=now, objects=False)


def _issue(session, tenant_id, drafts, *, context, now, objects: bool) -> list:
    """:func:`issue_many`; ``objects``: the invoices come back as loaded objects, from their
    INSERT's RETURNING (issue 19: a single invoice was read back after its INSERT)."""
    if not drafts:
        return []
    now = now or utcnow()
    context = context or TaxContext.load(session, tenant_id)
    settings = context.settings
    kind = drafts[0].kind
    assert all(d.kind == kind for d in drafts)
    prefix = settings.credit_note_prefix if kind == CREDIT_NOTE else settings.invoice_prefix
    first = take_numbers(session, tenant_id, kind, len(drafts))
    invoice_rows, line_rows = [], []
    for offset, draft in enumerate(drafts):
        account, order, original = draft.account, draft.order, draft.credit_note_for
        if kind == CREDIT_NOTE:
            decision = TaxDecision(ZERO, original.tax_note if original else None)
        else:
            decision = context.decide(account)
        rows, pairs = [], []
        for line in draft.lines:
            net = line.net_amount()
            rate = line.tax_rate if line.tax_rate is not None else decision.rate
            tax = line.tax_amount(rate)
            pairs.append((net, tax))
            rows.append(
                {
                    "order_item_id": line.order_item_id,
                    "description": line.description[:300],
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "amount": net,
                    "discount_percent": line.discount_percent,
                    "subscription_id": line.subscription_id,
                    "period_start": line.period_start,
                    "period_end": line.period_end,
                    "tax_rate": rate,
                    "tax_amount": tax,
                    "credits_line_id": line.credits_line_id,
                }
            )
        line_rows.append(rows)
        totals = rules.totals(pairs)
        if original is not None:  # a credit note repeats its invoice's parties
            parties = {
                "bill_to_name": original.bill_to_name,
                "bill_to_address": original.bill_to_address,
                "bill_to_country": original.bill_to_country,
                "bill_to_vat_number": original.bill_to_vat_number,
                "seller_name": original.seller_name,
                "seller_address": original.seller_address,
                "seller_country": original.seller_country,
                "seller_vat_number": original.seller_vat_number,
            }
        else:
            parties = {
                "bill_to_name": (order.billing_name if order is not None else None)
                or account.billing_name
                or account.name,
                "bill_to_address": (order.billing_address if order is not None else None)
                or account.billing_address,
                "bill_to_country": account.country,
                "bill_to_vat_number": account.vat_number,
                "seller_name": settings.legal_name,
                "seller_address": settings.address,
                "seller_country": settings.country,
                "seller_vat_number": settings.vat_number,
            }
        status = rules.initial_status(kind, draft.paid, totals.gross)  # €0.00 owes nothing
        invoice_rows.append(
            {
                "tenant_id": tenant_id,
                "account_id": account.id,
                "order_id": order.id if order is not None else None,
                "number": rules.format_number(prefix, first + offset),
                "kind": kind,
                "status": status,
                # the payment's (or the issue's) time, not the clock's
                "paid_at": now if status == rules.InvoiceStatus.PAID else None,
                "issued_at": now,
                "issue_date": draft.issue_date,
                "due_date": draft.issue_date + timedelta(days=settings.payment_terms_days or 0),
                "net_total": totals.net,
                "tax_total": totals.tax,
                "total": totals.gross,
                "currency": draft.currency,
                "tax_note": decision.note,
                "locale": account.locale or "en_IE",
                "credit_note_for_id": original.id if original is not None else None,
                "billing_run_id": draft.billing_run_id,
                **parties,
            }
        )
    # Core statements (no ORM bookkeeping): one INSERT ... RETURNING of the invoices, one
    # executemany of their lines. The ids come back paired with the numbers (distinct within
    # the block) rather than in parameter order, which SQLite can only give one row at a time.
    if objects:
        # the ORM's INSERT ... RETURNING the whole row: the objects land in the session loaded
        invoices = {
            invoice.number: invoice
            for invoice in session.scalars(insert(Invoice).returning(Invoice), invoice_rows)
        }
        found = [invoices[row["number"]] for row in invoice_rows]
        ids = [invoice.id for invoice in found]
    else:
        table = Invoice.__table__
        by_number = dict(
            session.connection()
            .execute(insert(table).returning(table.c.number, table.c.id), invoice_rows)
            .all()
        )
        ids = found = [by_number[row["number"]] for row in invoice_rows]
    flat = []
    for invoice_id, rows in zip(ids, line_rows, strict=True):
        for row in rows:
            row["invoice_id"] = invoice_id
            flat.append(row)
    bulk.insert_rows(session, InvoiceLine.__table__, flat)  # one statement (issue 19)
    return found


# --- credit notes -----------------------------------------------------------------------------


@dataclass
class CreditRequest:
    """Credit these lines in full (``line_ids``) and/or these amounts (gross) of lines
    (``line_amounts``), or a gross ``amount`` of the whole invoice."""

    line_ids: Sequence[int] = ()
    line_amounts: dict[int, Decimal] | None = None
    amount: Decimal | None = None
    reason: str | None = None  # kept on the credit note (Invoice.credit_reason)


def credited_by_line(session: Session, invoice_id: int) -> dict[int | None, Decimal]:
    """Gross already credited per line of an invoice (None: amounts not tied to a line)."""
    rows = session.execute(
        select(
            InvoiceLine.credits_line_id,
            func.sum(InvoiceLine.amount + InvoiceLine.tax_amount),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.credit_note_for_id == invoice_id, Invoice.kind == CREDIT_NOTE)
        .group_by(InvoiceLine.credits_line_id)
    ).all()
    return {line_id: rules.money(total or 0) for line_id, total in rows}


def creditable_amount(session: Session, invoice: Invoice) -> Decimal:
    """What is left to credit of an invoice (gross)."""
    return rules.creditable(
        invoice.total, sum(credited_by_line(session, invoice.id).values(), ZERO)
    )


def issue_credit_note(
    session: Session,
    tenant_id: int,
    invoice_id: int,
    request: CreditRequest,
    *,
    now: datetime | None = None,
) -> Invoice:
    """Issue a credit note for an invoice, in the caller's transaction. The invoice row is
    locked first, so two credit notes at once never take back more than the invoice."""
    now = now or utcnow()
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, Invoice.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice is None:
        raise NotFound(texts.INVOICE_NOT_FOUND)
    if invoice.kind != INVOICE:
        raise Conflict(texts.CREDIT_NOTE_NOT_INVOICE)
    credited = credited_by_line(session, invoice.id)
    lines = {line.id: line for line in invoice.lines}
    wanted: dict[int, Decimal] = {}
    for line_id in request.line_ids:
        if line_id in lines:
            line = lines[line_id]
            wanted[line_id] = rules.creditable(
                line.amount + line.tax_amount, credited.get(line_id, ZERO)
            )
    for line_id, amount in (request.line_amounts or {}).items():
        if line_id in lines and amount and amount > 0:
            wanted[line_id] = rules.money(amount)
    already = sum(credited.values(), ZERO)
    reason = request.reason
    if request.amount is not None and not already and rules.money(request.amount) == invoice.total:
        # the whole invoice: every line in full (no cent lost to rounding)
        wanted = {line_id: line.amount + line.tax_amount for line_id, line in lines.items()}
        request = CreditRequest()
    drafts: list[LineDraft] = []
    checks = []
    for position, (line_id, gross) in enumerate(sorted(wanted.items()), start=1):
        line = lines[line_id]
        checks.append(
            (str(position), line.amount + line.tax_amount, credited.get(line_id, ZERO), gross)
        )
        if gross == line.amount + line.tax_amount and not credited.get(line_id):
            net, tax = line.amount, line.tax_amount  # the whole line: its net and VAT back
        else:
            net, tax = rules.split_gross(gross, line.tax_rate)
        drafts.append(
            LineDraft(
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                credits_line_id=line.id,
                subscription_id=line.subscription_id,
                period_start=line.period_start,
                period_end=line.period_end,
                net=net,
                tax_rate=line.tax_rate,
                tax=tax,
            )
        )
    rate = invoice.lines[0].tax_rate if invoice.lines else ZERO
    if request.amount is not None and request.amount > 0:
        net, tax = rules.split_gross(request.amount, rate)
        drafts.append(
            LineDraft(
                description=texts.CREDIT_NOTE_FOR.format(number=invoice.number),
                quantity=1,
                unit_price=net,
                net=net,
                tax_rate=rate,
                tax=tax,
            )
        )
    requested = sum((rules.money(d.net_amount() + d.tax_amount(d.tax_rate)) for d in drafts), ZERO)
    try:
        rules.check_credit(invoice.total, already, requested, checks)
    except rules.CreditTooLarge as error:
        raise ValidationFailed(str(error), {"amount": [str(error)]}) from None
    account = session.get(Account, invoice.account_id)
    note = issue(
        session,
        tenant_id=tenant_id,
        account=account,
        lines=drafts,
        currency=invoice.currency,
        issue_date=now.date(),
        now=now,
        kind=CREDIT_NOTE,
        credit_note_for=invoice,
    )
    note.credit_reason = reason
    from core.services.invoice_payment import paid_amount

    invoice.status = rules.status_after_credit(
        invoice.status, invoice.total, already + note.total, paid_amount(session, invoice.id)
    )
    if invoice.status == rules.InvoiceStatus.PAID and invoice.paid_at is None:
        invoice.paid_at = now  # its payments and this credit note cover it
    session.flush()
    invoice_messages.credit_note_issued(session, note, invoice)  # the customer, by e-mail
    return note
