"""The BSS's billing pages (issue 17, point 6): billing runs and their log, an account's billing
schedule and upcoming invoices, an invoice with what is left to credit, Setup › Billing.
Every read is scoped to the tenant; each page runs a fixed number of queries."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, distinct, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import utcnow, write_transaction
from core.models import (
    Account,
    BillingRun,
    BillingRunEntry,
    Invoice,
    Order,
    Product,
    Subscription,
    TenantBillingSettings,
    TenantVatRate,
    User,
)
from core.rules import amounts, billing_periods
from core.rules import dunning as dunning_rules
from core.rules import invoicing as rules
from core.rules.accounts import ISO_COUNTRIES
from core.rules.vat import VatNumberInvalid, normalize_vat_number
from core.services import dunning, invoice_payment, invoicing
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.promotions import tenant_today

ZERO = Decimal("0.00")
RUNS_SHOWN = 50
ENTRIES_PER_PAGE = 200


# --- billing runs -----------------------------------------------------------------------------


def list_runs(session: Session, tenant_id: int) -> list[BillingRun]:
    return list(
        session.scalars(
            select(BillingRun)
            .where(BillingRun.tenant_id == tenant_id)
            .order_by(BillingRun.started_at.desc(), BillingRun.id.desc())
            .limit(RUNS_SHOWN)
        )
    )


@dataclass
class EntryRow:
    entry: BillingRunEntry
    account_name: str | None
    invoice_number: str | None
    subscription_label: str | None


@dataclass
class RunPage:
    run: BillingRun
    entries: list[EntryRow]
    page: int
    has_next: bool
    outcome: str | None


def get_run(
    session: Session, tenant_id: int, run_id: int, *, page: int = 1, outcome: str | None = None
) -> RunPage:
    run = session.scalar(
        select(BillingRun).where(BillingRun.id == run_id, BillingRun.tenant_id == tenant_id)
    )
    if run is None:
        raise NotFound(texts.BILLING_RUN_NOT_FOUND)
    page = max(1, page)
    query = (
        select(BillingRunEntry, Account.name, Invoice.number, Product.name)
        .outerjoin(Account, Account.id == BillingRunEntry.account_id)
        .outerjoin(Invoice, Invoice.id == BillingRunEntry.invoice_id)
        .outerjoin(Subscription, Subscription.id == BillingRunEntry.subscription_id)
        .outerjoin(Product, Product.id == Subscription.product_id)
        .where(BillingRunEntry.run_id == run.id)
    )
    if outcome in texts.BILLING_RUN_OUTCOMES:
        query = query.where(BillingRunEntry.outcome == outcome)
    else:
        outcome = None
    rows = session.execute(
        query.order_by(BillingRunEntry.id)
        .limit(ENTRIES_PER_PAGE + 1)
        .offset((page - 1) * ENTRIES_PER_PAGE)
    ).all()
    entries = [EntryRow(e, a, n, p) for e, a, n, p in rows[:ENTRIES_PER_PAGE]]
    return RunPage(run, entries, page, len(rows) > ENTRIES_PER_PAGE, outcome)


def _run_date_refused(message: str) -> ValidationFailed:
    return ValidationFailed(message, {"run_date": [message]})


def parse_run_date(text: str) -> date:
    """A date as YYYY-MM-DD (any day: the command line checks its own window)."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise _run_date_refused(texts.BILLING_RUN_DATE_INVALID) from None


def bss_run_window(session: Session, tenant_id: int) -> billing_periods.RunDateWindow:
    return billing_periods.run_date_window(tenant_today(session, tenant_id, utcnow()))


def bss_run_date(session: Session, tenant_id: int, text: str) -> date:
    """The date of *Run billing now*: from a year ago to the tenant's today
    (``billing_periods.run_date_window``), else what is allowed is said on the field."""
    day = parse_run_date(text)
    window = bss_run_window(session, tenant_id)
    if not window.contains(day):
        raise _run_date_refused(
            texts.BILLING_RUN_DATE_OUTSIDE.format(
                earliest=window.earliest.isoformat(), latest=window.latest.isoformat()
            )
        )
    return day


@dataclass(frozen=True)
class RunPreview:
    """What a run for ``run_date`` would bill (its confirmation)."""

    run_date: date
    subscriptions: int
    accounts: int


def preview_run(session: Session, tenant_id: int, text: str) -> RunPreview:
    day = bss_run_date(session, tenant_id, text)
    subscriptions, accounts = session.execute(
        select(func.count(Subscription.id), func.count(distinct(Subscription.account_id))).where(
            Subscription.tenant_id == tenant_id,
            Subscription.status == "active",
            Subscription.next_billing_date.is_not(None),
            Subscription.next_billing_date <= day,
        )
    ).one()
    return RunPreview(day, subscriptions, accounts)


# --- an account's billing schedule ------------------------------------------------------------


@dataclass
class ScheduleRow:
    subscription: Subscription
    amount: Decimal  # net, before promotions and VAT


@dataclass
class UpcomingInvoice:
    on: date
    currency: str
    amount: Decimal
    subscriptions: int


@dataclass
class Schedule:
    rows: list[ScheduleRow] = field(default_factory=list)
    upcoming: list[UpcomingInvoice] = field(default_factory=list)


def account_schedule(session: Session, tenant_id: int, account_id: int) -> Schedule:
    """The account's subscriptions that will bill (next billing date, amount, term, auto-renew)
    and the invoices that follow: one per billing date (a run invoices an account once)."""
    subs = list(
        session.scalars(
            select(Subscription)
            .where(
                Subscription.tenant_id == tenant_id,
                Subscription.account_id == account_id,
                Subscription.next_billing_date.is_not(None),
                Subscription.status == "active",
            )
            .options(
                joinedload(Subscription.product),
                joinedload(Subscription.plan),
                selectinload(Subscription.addons),
            )
            .order_by(Subscription.next_billing_date, Subscription.id)
        ).unique()
    )
    schedule = Schedule()
    upcoming: dict[tuple[date, str], list[Decimal]] = defaultdict(list)
    for sub in subs:
        amount = rules.line_net(sub.unit_price, sub.quantity)
        for addon in sub.addons:
            amount += rules.line_net(addon.unit_price, addon.quantity)
        schedule.rows.append(ScheduleRow(sub, amount))
        if not sub.is_trial:
            upcoming[(sub.next_billing_date, sub.currency)].append(amount)
    schedule.upcoming = [
        UpcomingInvoice(on, currency, sum(amounts, ZERO), len(amounts))
        for (on, currency), amounts in sorted(upcoming.items())
    ]
    return schedule


def order_invoices(session: Session, tenant_id: int, order_id: int) -> list[Invoice]:
    """The invoices of an order and of its sub-orders (the BSS order page)."""
    subs = select(Order.id).where(Order.parent_order_id == order_id, Order.tenant_id == tenant_id)
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.tenant_id == tenant_id,
                or_(Invoice.order_id == order_id, Invoice.order_id.in_(subs)),
            )
            .order_by(Invoice.id)
        )
    )


# --- an invoice in the BSS and its credit notes -----------------------------------------------


@dataclass
class InvoicePage:
    invoice: Invoice
    account: Account
    credited_invoice: Invoice | None
    credit_notes: list[Invoice]
    left: Decimal  # gross left to credit
    line_left: dict[int, Decimal]
    refund_due: Decimal = ZERO  # payments beyond what the credit notes left to pay


def invoice_page(session: Session, tenant_id: int, invoice_id: int) -> InvoicePage:
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id, Invoice.tenant_id == tenant_id)
        .options(selectinload(Invoice.lines))
    )
    if invoice is None:
        raise NotFound(texts.INVOICE_NOT_FOUND)
    account = session.get(Account, invoice.account_id)
    credited = (
        session.get(Invoice, invoice.credit_note_for_id) if invoice.credit_note_for_id else None
    )
    notes = list(
        session.scalars(
            select(Invoice)
            .where(Invoice.credit_note_for_id == invoice.id, Invoice.tenant_id == tenant_id)
            .order_by(Invoice.id)
        )
    )
    by_line = invoicing.credited_by_line(session, invoice.id)
    line_left = {
        line.id: rules.creditable(line.amount + line.tax_amount, by_line.get(line.id, ZERO))
        for line in invoice.lines
    }
    credited_total = sum(by_line.values(), ZERO)
    left = rules.creditable(invoice.total, credited_total)
    refund = ZERO
    if invoice.kind == rules.INVOICE:
        paid = invoice_payment.paid_amount(session, invoice.id)
        refund = dunning_rules.refund_due(invoice.total, paid, credited_total)
    return InvoicePage(invoice, account, credited, notes, left, line_left, refund)


REASON_MAX = 500


def credit_input(
    line_ids: list[int], amount_text: str, reason_text: str
) -> tuple[Decimal | None, str]:
    """The credit note form's amount and reason, or every problem on its field."""
    errors: dict[str, list[str]] = {}
    amount = None
    if amount_text and amount_text.strip():
        try:
            amount = amounts.parse_amount(amount_text.strip(), comma=amounts.DECIMAL_COMMA)
        except amounts.AmountInvalid:
            amount = None
        if amount is None or amount <= 0:
            errors["amount"] = [texts.CREDIT_NOTE_AMOUNT_INVALID]
            amount = None
    elif not line_ids:
        errors["amount"] = [texts.CREDIT_NOTE_EMPTY]
    reason = " ".join((reason_text or "").split())
    if not reason:
        errors["reason"] = [texts.CREDIT_NOTE_REASON_REQUIRED]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [texts.CREDIT_NOTE_REASON_TOO_LONG]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    return amount, reason


@dataclass(frozen=True)
class CreditPreview:
    """What a credit note would take back (its confirmation): whole lines, an amount."""

    invoice: Invoice
    lines: list[tuple[str, Decimal]]  # description, gross left on it
    amount: Decimal | None
    total: Decimal
    reason: str


def preview_credit_note(
    session: Session,
    tenant_id: int,
    invoice_id: int,
    *,
    line_ids: list[int],
    amount_text: str = "",
    reason_text: str = "",
) -> CreditPreview:
    amount, reason = credit_input(line_ids, amount_text, reason_text)
    view = invoice_page(session, tenant_id, invoice_id)
    lines = [
        (line.description, view.line_left.get(line.id, ZERO))
        for line in view.invoice.lines
        if line.id in line_ids and view.line_left.get(line.id, ZERO) > 0
    ]
    total = rules.money(sum((gross for _d, gross in lines), ZERO) + (amount or ZERO))
    if not total or total > view.left:
        message = (
            texts.CREDIT_NOTE_TOO_LARGE.format(left=view.left) if total else texts.CREDIT_NOTE_EMPTY
        )
        raise ValidationFailed(message, {"amount": [message]})
    return CreditPreview(view.invoice, lines, amount, total, reason)


def credit_note(
    session: Session,
    tenant_id: int,
    invoice_id: int,
    actor: User,
    *,
    line_ids: list[int],
    amount_text: str = "",
    reason_text: str = "",
    now: datetime | None = None,
) -> Invoice:
    """Use case: issue a credit note for whole lines and/or an amount (gross) of an invoice,
    with the reason it is kept with."""
    amount, reason = credit_input(line_ids, amount_text, reason_text)
    now = now or utcnow()
    with write_transaction(session):
        invoice = invoice_payment.lock_invoice(session, invoice_id, tenant_id)
        was_open = invoice.status == rules.InvoiceStatus.OPEN
        note = invoicing.issue_credit_note(
            session,
            tenant_id,
            invoice_id,
            invoicing.CreditRequest(line_ids=line_ids, amount=amount, reason=reason),
            now=now,
        )
        if was_open and invoice.status != rules.InvoiceStatus.OPEN:
            # nothing owed any more (void, or paid by its payments and this credit)
            dunning.release(session, invoice, now.date(), now)
        record_audit(
            session,
            tenant_id,
            actor,
            "invoice",
            invoice_id,
            "credit_note",
            {
                "credit_note": note.number,
                "total": note.total,
                "currency": note.currency,
                "reason": reason,
            },
        )
        return note


# --- Setup › Billing ----------------------------------------------------------------------------

_PREFIX = re.compile(r"[A-Za-z0-9-]{1,12}")
_COUNTRY = re.compile(r"[A-Z]{2}")
MAX_ADDRESS = 2000  # the seller's address on every invoice


@dataclass
class SettingsInput:
    legal_name: str = ""
    address: str = ""
    country: str = ""
    vat_number: str = ""
    default_vat_rate: str = ""
    payment_terms_days: str = ""
    invoice_prefix: str = ""
    credit_note_prefix: str = ""
    rates: str = ""  # one "COUNTRY RATE" a line


def settings_input(session: Session, tenant_id: int) -> SettingsInput:
    settings = invoicing.settings_for(session, tenant_id)
    rates = session.scalars(
        select(TenantVatRate)
        .where(TenantVatRate.tenant_id == tenant_id)
        .order_by(TenantVatRate.country)
    ).all()
    return SettingsInput(
        legal_name=settings.legal_name or "",
        address=settings.address or "",
        country=settings.country or "",
        vat_number=settings.vat_number or "",
        default_vat_rate=f"{settings.default_vat_rate or ZERO}",
        payment_terms_days=str(settings.payment_terms_days),
        invoice_prefix=settings.invoice_prefix,
        credit_note_prefix=settings.credit_note_prefix,
        rates="\n".join(f"{r.country} {r.rate}" for r in rates),
    )


def _rate(text: str) -> Decimal | None:
    try:
        value = amounts.parse_amount(text.strip(), comma=amounts.DECIMAL_COMMA)
    except (amounts.AmountInvalid, AttributeError):
        return None
    return value if value <= 100 else None


def validate_settings(values: SettingsInput) -> tuple[dict, dict[str, Decimal], dict]:
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    clean["legal_name"] = values.legal_name.strip()
    if not clean["legal_name"] or len(clean["legal_name"]) > 200:
        errors["legal_name"] = [texts.BILLING_NAME_REQUIRED]
    clean["address"] = values.address.strip()
    if len(clean["address"]) > MAX_ADDRESS:
        errors["address"] = [texts.BILLING_ADDRESS_TOO_LONG.format(max=MAX_ADDRESS)]
    clean["country"] = values.country.strip().upper()
    if clean["country"] not in ISO_COUNTRIES:
        errors["country"] = [texts.BILLING_COUNTRY_INVALID]
    clean["vat_number"] = None
    if values.vat_number.strip():
        try:
            clean["vat_number"] = normalize_vat_number(values.vat_number)
        except VatNumberInvalid:
            errors["vat_number"] = [texts.BILLING_VAT_NUMBER_INVALID]
    clean["default_vat_rate"] = _rate(values.default_vat_rate)
    if clean["default_vat_rate"] is None:
        errors["default_vat_rate"] = [texts.BILLING_RATE_INVALID]
    try:
        clean["payment_terms_days"] = int(values.payment_terms_days.strip())
        if not 0 <= clean["payment_terms_days"] <= 365:
            raise ValueError
    except ValueError:
        errors["payment_terms_days"] = [texts.BILLING_TERMS_INVALID]
    for key in ("invoice_prefix", "credit_note_prefix"):
        clean[key] = getattr(values, key).strip()
        if not _PREFIX.fullmatch(clean[key]):
            errors[key] = [texts.BILLING_PREFIX_INVALID]
    if (
        "invoice_prefix" not in errors
        and "credit_note_prefix" not in errors
        and clean["invoice_prefix"] == clean["credit_note_prefix"]
    ):
        errors["credit_note_prefix"] = [texts.BILLING_PREFIXES_SAME]
    rates: dict[str, Decimal] = {}
    for line in values.rates.splitlines():
        if not line.strip():
            continue
        parts = line.replace(":", " ").replace("=", " ").split()
        rate = _rate(parts[1]) if len(parts) == 2 else None
        if rate is None or not _COUNTRY.fullmatch(parts[0].upper()):
            errors["rates"] = [texts.BILLING_RATES_INVALID]
            break
        country = parts[0].upper()
        if country not in ISO_COUNTRIES:
            errors["rates"] = [texts.BILLING_RATES_COUNTRY_UNKNOWN.format(country=country)]
            break
        if country in rates:
            errors["rates"] = [texts.BILLING_RATES_DUPLICATE.format(country=country)]
            break
        rates[country] = rate
    return clean, rates, errors


def save_settings(session: Session, tenant_id: int, actor: User, values: SettingsInput) -> None:
    """Use case: Setup › Billing. Invoices already issued keep their snapshots."""
    clean, rates, errors = validate_settings(values)
    if errors:
        raise ValidationFailed(texts.BILLING_SETTINGS_INVALID, errors)
    with write_transaction(session):
        row = session.scalar(
            select(TenantBillingSettings)
            .where(TenantBillingSettings.tenant_id == tenant_id)
            .with_for_update()
        )
        if row is None:
            row = TenantBillingSettings(tenant_id=tenant_id)
            session.add(row)
        for key, value in clean.items():
            setattr(row, key, value)
        session.execute(delete(TenantVatRate).where(TenantVatRate.tenant_id == tenant_id))
        for country, rate in sorted(rates.items()):
            session.add(TenantVatRate(tenant_id=tenant_id, country=country, rate=rate))
        record_audit(
            session,
            tenant_id,
            actor,
            "billing_settings",
            None,
            "update",
            {**clean, "rates": {c: str(r) for c, r in sorted(rates.items())}},
        )
