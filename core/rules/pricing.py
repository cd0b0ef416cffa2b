"""How a price reads (issue 13, point 12): the money and what it buys, "€9.00 per user /
month", "€450.00 one-off", and a basket's or invoice's totals split into what recurs each month,
each year and once. One function formats every price with its unit, wherever it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core import texts
from core.enums import BillingCycle

CENT = Decimal("0.01")
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(amount, currency: str = "EUR") -> str:
    """``Decimal("1234.5")`` -> ``"€1,234.50"``; a negative amount keeps its sign in front."""
    value = Decimal(amount).quantize(CENT)
    symbol = SYMBOLS.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.2f}"


def price_unit(billing_cycle: str | None, unit: str | None = "") -> str:
    """What a price is for, from the plan's billing cycle and the product's unit:
    ("monthly", "user") -> "per user / month", ("one_off", "") -> "one-off". An unknown cycle
    leaves only the unit ("per user"), or nothing."""
    unit = (unit or "").strip()
    if billing_cycle == BillingCycle.ONE_OFF:
        return texts.PRICE_PER_UNIT_ONE_OFF.format(unit=unit) if unit else texts.PRICE_ONE_OFF
    period = texts.PRICE_PERIODS.get(billing_cycle or "")
    if period is None:
        return texts.PRICE_PER_UNIT.format(unit=unit) if unit else ""
    if unit:
        return texts.PRICE_PER_UNIT_AND_PERIOD.format(unit=unit, period=period)
    return texts.PRICE_PER_PERIOD.format(period=period)


def price_with_unit(
    amount, billing_cycle: str | None, unit: str | None = "", currency: str = "EUR"
) -> str:
    """The one way a unit price reads: "€9.00 per user / month"."""
    return f"{format_money(amount, currency)} {price_unit(billing_cycle, unit)}".rstrip()


def price_for_cycles(
    amount, billing_cycles: Iterable[str | None], unit: str | None = "", currency: str = "EUR"
) -> str:
    """A price billed with whichever plan is chosen (an add-on on a product page): one cycle
    reads as :func:`price_with_unit`; several as "€2.00 per user / month or €2.00 per user /
    year, billed with the plan"."""
    cycles = list(dict.fromkeys(billing_cycles))
    if len(cycles) <= 1:
        return price_with_unit(amount, cycles[0] if cycles else None, unit, currency)
    prices = texts.PRICE_ALTERNATIVES_JOIN.join(
        price_with_unit(amount, cycle, unit, currency) for cycle in cycles
    )
    return texts.PRICE_WITH_THE_PLAN.format(prices=prices)


@dataclass(frozen=True)
class Totals:
    """A set of lines' amounts by how often they are charged."""

    monthly: Decimal
    annual: Decimal
    one_off: Decimal

    @property
    def total(self) -> Decimal:
        return self.monthly + self.annual + self.one_off

    @property
    def rows(self) -> list[tuple[str, Decimal]]:
        """The totals to show, each with its label: only the kinds present, and a single
        "Total" when the lines are all of one kind."""
        present = [
            (label, amount)
            for label, amount in (
                (texts.TOTAL_PER_MONTH, self.monthly),
                (texts.TOTAL_PER_YEAR, self.annual),
                (texts.TOTAL_ONE_OFF, self.one_off),
            )
            if amount
        ]
        return present or [(texts.TOTAL_ALL, self.total)]


def split_totals(lines: Iterable[tuple[str | None, Decimal]]) -> Totals:
    """(billing cycle, amount) of each line -> the monthly, annual and one-off totals. A line
    whose cycle is unknown counts as one-off (it is charged once, with the order)."""
    sums = {BillingCycle.MONTHLY: Decimal("0.00"), BillingCycle.ANNUAL: Decimal("0.00")}
    one_off = Decimal("0.00")
    for cycle, amount in lines:
        if cycle in sums:
            sums[cycle] += amount
        else:
            one_off += amount
    return Totals(
        monthly=sums[BillingCycle.MONTHLY].quantize(CENT),
        annual=sums[BillingCycle.ANNUAL].quantize(CENT),
        one_off=one_off.quantize(CENT),
    )


def line_amount(unit_price: Decimal, quantity: int, discount_percent: Decimal | None) -> Decimal:
    """A line's amount: unit price × quantity, less its promotion, to the cent."""
    amount = unit_price * quantity
    if discount_percent:
        amount = amount * (Decimal(100) - discount_percent) / Decimal(100)
    return amount.quantize(CENT)


class MergeTooLarge(ValueError):
    def __init__(self, current: int, added: int, maximum: int):
        super().__init__(
            texts.BASKET_MERGE_TOO_MANY.format(current=current, added=added, maximum=maximum)
        )


def merged_quantity(current: int, added: int, maximum: int) -> int:
    """Adding ``added`` of a plan the basket holds ``current`` of raises that line's quantity;
    never beyond the plan's maximum (raises MergeTooLarge, nothing changes)."""
    if current + added > maximum:
        raise MergeTooLarge(current, added, maximum)
    return current + added
