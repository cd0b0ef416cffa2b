"""Invoice arithmetic and VAT (issue 17): which rate, which wording, how amounts round, how much
a credit note may take back. Standard library only; :mod:`core.services.invoicing` applies it.

**VAT rate** (:func:`decide_tax`): each tenant has a rate table (:class:`VatTable`): the
seller's country, a rate per customer country, and a default rate (the seller's own) for every
country not in the table. Then, in this order:

1. an account marked *tax exempt* pays no VAT; the invoice says :data:`texts.TAX_EXEMPT_NOTE`;
2. **EU reverse charge**: a business customer (it has a VAT number in a valid format,
   :mod:`core.rules.vat`) established in another EU member state than the seller (both
   countries in :data:`EU_MEMBER_STATES`) pays no VAT and the invoice carries the required
   wording :data:`texts.REVERSE_CHARGE_NOTE` (Article 196 of Directive 2006/112/EC);
3. otherwise the table's rate for the customer's country (or the default rate).

**Rounding: per line.** Each line's VAT is its net amount × rate rounded half-up to the cent;
the invoice's VAT is the sum of its lines' VAT, and gross = net + VAT. Chosen over rounding the
invoice's total once because a line then shows the VAT it adds, the lines add up exactly to the
totals printed under them, and a credit note that takes back some lines takes back exactly the
VAT those lines added (no cent left over or credited twice between an invoice and its credit
notes). Article 226 of the directive allows either; all lines of one invoice share one rate.

**Credit notes** are positive amounts that reverse (part of) one invoice. Their gross never
exceeds what is left to credit (the invoice's gross minus earlier credit notes), per line and
in total (:func:`check_credit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from core import texts
from core.rules.vat import VatNumberInvalid, normalize_vat_number

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
KINDS = (INVOICE, CREDIT_NOTE)


class InvoiceStatus:
    OPEN = "open"  # issued, not paid yet
    PAID = "paid"
    VOID = "void"  # fully credited before any payment (one with payments is never void)
    ISSUED = "issued"  # a credit note: nothing to collect, never open, never due
    ALL = (OPEN, PAID, VOID, ISSUED)


def initial_status(kind: str, paid: bool = False, total: Decimal | None = None) -> str:
    """The status a document is issued with: a credit note is *issued* (money the seller owes
    back, never an open item to collect); an invoice *paid* when its charge is (a card
    checkout's) or when it owes nothing (a free trial's start: €0.00 is settled, never open
    or overdue), else *open*."""
    if kind == CREDIT_NOTE:
        return InvoiceStatus.ISSUED
    if paid or (total is not None and total <= 0):
        return InvoiceStatus.PAID
    return InvoiceStatus.OPEN


# ISO 3166 codes of the 27 member states (Greece's VAT prefix is EL, Northern Ireland's XI)
EU_MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
VAT_PREFIX_COUNTRY = {"EL": "GR", "XI": "GB"}


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class VatTable:
    """A tenant's VAT: the seller's country, its default rate, rates per customer country."""

    seller_country: str
    default_rate: Decimal
    rates: dict[str, Decimal] = field(default_factory=dict)

    def rate_for(self, country: str | None) -> Decimal:
        if country and country.upper() in self.rates:
            return self.rates[country.upper()]
        return self.default_rate


@dataclass(frozen=True)
class Customer:
    country: str | None
    vat_number: str | None = None
    tax_exempt: bool = False


@dataclass(frozen=True)
class TaxDecision:
    rate: Decimal  # percent, e.g. 23.00
    note: str | None = None
    reverse_charge: bool = False
    exempt: bool = False


def vat_country(vat_number: str | None) -> str | None:
    """The ISO country of a VAT number in a valid format, else None."""
    if not vat_number:
        return None
    try:
        value = normalize_vat_number(vat_number)
    except VatNumberInvalid:
        return None
    return VAT_PREFIX_COUNTRY.get(value[:2], value[:2])


def decide_tax(table: VatTable, customer: Customer) -> TaxDecision:
    """The rate and wording for a customer (see the module's docstring for the order)."""
    if customer.tax_exempt:
        return TaxDecision(ZERO, texts.TAX_EXEMPT_NOTE, exempt=True)
    country = (customer.country or "").upper() or None
    registered = vat_country(customer.vat_number)
    if registered is not None:
        country = country or registered
        seller = table.seller_country.upper()
        if (
            registered == country
            and country in EU_MEMBER_STATES
            and seller in EU_MEMBER_STATES
            and country != seller
        ):
            return TaxDecision(ZERO, texts.REVERSE_CHARGE_NOTE, reverse_charge=True)
    return TaxDecision(money(table.rate_for(country)))


def line_tax(net: Decimal, rate: Decimal) -> Decimal:
    """The VAT of one line: net × rate / 100, rounded half-up to the cent."""
    return money(Decimal(net) * Decimal(rate) / HUNDRED)


def line_net(
    unit_price: Decimal, quantity: int, discount_percent: Decimal | None = None
) -> Decimal:
    amount = Decimal(unit_price) * quantity
    if discount_percent:
        amount = amount * (HUNDRED - Decimal(discount_percent)) / HUNDRED
    return money(amount)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal


def totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals of ``(net, tax)`` line pairs: sums of the rounded lines; gross = net + tax."""
    net = tax = ZERO
    for line_net_amount, line_tax_amount in lines:
        net += line_net_amount
        tax += line_tax_amount
    return Totals(money(net), money(tax), money(net + tax))


def split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, tax) of a gross amount at ``rate`` such that net + tax == gross to the cent, and
    the tax is what :func:`line_tax` gives for that net (up to one cent of rounding)."""
    gross = money(gross)
    net = money(gross * HUNDRED / (HUNDRED + Decimal(rate)))
    return net, gross - net


class CreditTooLarge(ValueError):
    pass


def creditable(gross: Decimal, credited: Decimal) -> Decimal:
    """What is left to credit of a gross amount after ``credited`` (never negative)."""
    return max(ZERO, money(Decimal(gross) - Decimal(credited)))


def check_credit(
    invoice_gross: Decimal,
    already_credited: Decimal,
    requested: Decimal,
    line_requests: Iterable[tuple[str, Decimal, Decimal, Decimal]] = (),
) -> None:
    """Refuse a credit note above what is left: ``requested`` (gross) against the invoice,
    and each ``(label, line gross, credited on that line, requested)`` against its line."""
    if requested <= ZERO:
        raise CreditTooLarge(texts.CREDIT_NOTE_EMPTY)
    for label, gross, credited, wanted in line_requests:
        left = creditable(gross, credited)
        if wanted > left:
            raise CreditTooLarge(texts.CREDIT_NOTE_LINE_TOO_LARGE.format(line=label, left=left))
    left = creditable(invoice_gross, already_credited)
    if money(requested) > left:
        raise CreditTooLarge(texts.CREDIT_NOTE_TOO_LARGE.format(left=left))


def status_after_credit(
    status: str, gross: Decimal, credited: Decimal, paid: Decimal = ZERO
) -> str:
    """An open invoice credited in full before any payment is void. An invoice that received
    payments is never void: once its payments and credit notes cover it, it is paid (what
    was paid beyond what the credit left to pay is owed back, ``dunning.refund_due``). A paid
    one stays paid; one still partly owed stays open."""
    if status != InvoiceStatus.OPEN or money(Decimal(gross) - credited - paid) > ZERO:
        return status
    return InvoiceStatus.PAID if paid > ZERO else InvoiceStatus.VOID


def format_number(prefix: str, number: int, width: int = 6) -> str:
    """``INV-000042``: the prefix, a hyphen, the sequence number zero-padded."""
    return f"{prefix}-{number:0{width}d}"


def period_discount_percent(
    promotions, product_id: int, plan_id: int | None, unit_price: Decimal, start, end
) -> tuple[Decimal | None, object | None]:
    """The discount (percent of the line, two places) the promotions give a period
    ``[start, end)``: each promotion counts for the days of the period it covers (a
    promotion of the first 10 days of a 30-day period gives a third of its discount); the one
    that takes the most off wins. ``promotions`` are :class:`core.rules.promotions.
    PromotionTerms`; returns (None, None) when none covers a day of the period."""
    from core.rules.promotions import unit_discount  # same package, no cycle at import

    days = (end - start).days
    if days <= 0 or unit_price <= 0:
        return None, None
    best, best_percent = None, ZERO
    for terms in promotions:
        if not terms.active or terms.product_id != product_id:
            continue
        if terms.plan_id is not None and terms.plan_id != plan_id:
            continue
        first = max(start, terms.starts_on)
        last = min(end, terms.ends_on + timedelta(days=1))  # ends_on is its last day
        covered = (last - first).days
        if covered <= 0:
            continue
        share = unit_discount(terms, unit_price) / unit_price
        percent = (share * HUNDRED * covered / days).quantize(CENT, rounding=ROUND_HALF_UP)
        if percent > best_percent or (percent == best_percent and best and terms.id < best.id):
            best, best_percent = terms, percent
    if best is None or best_percent <= 0:
        return None, None
    return min(best_percent, HUNDRED), best


def notice_date(day: date) -> str:
    """A date in the customer's words as the invoice prints it ("2 Dec 2026"): never ambiguous
    between day-first and month-first readers, in e-mails and on pages alike."""
    return f"{day.day} {day:%b %Y}"
