"""Billing periods of a subscription (issue 17): cycles, period arithmetic, terms, what is due.

The contract every billing use case builds on (standard library only):

- **Cycles**: ``monthly`` (1 month), ``annual`` (12 months; ``yearly`` is read as annual);
  ``one_off`` never bills again (:func:`cycle_months` is None).
- **Periods are half-open** ``[start, end)``: ``end`` is the first day of the next period, so
  consecutive periods tile time with no gap and no overlap, and a period's length in days is
  ``end - start``.
- **Anchor day**: every period starts on the day of month of the subscription's start (its
  *anchor*), clamped to the month's last day: an anchor of 31 January gives 28 (or 29)
  February, then 31 March. Period *n* is computed from the anchor, never from period *n-1*, so a
  short month never drags later periods to an earlier day.
- **Term**: a commitment of *m* months ends ``m`` months after the start (same anchor rule,
  exclusive); without a commitment (0) the term is the current period. With auto-renew on, a
  term that ends renews for the same commitment; with auto-renew off the subscription ends at
  the term's end and is not billed again.
- **Billed in advance**: a period is invoiced on its first day (``next_billing_date`` is the
  start of the next period to bill). :func:`due_periods` says which periods a run on a date
  bills, and whether the subscription ends instead.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

MONTHLY = "monthly"
ANNUAL = "annual"
YEARLY = "yearly"  # accepted spelling of ANNUAL
ONE_OFF = "one_off"
CYCLE_MONTHS = {MONTHLY: 1, ANNUAL: 12, YEARLY: 12, ONE_OFF: None}
MAX_CATCH_UP = 1200  # periods one run may bill for one subscription (100 years monthly)


class BillingPeriodError(ValueError):
    """A cycle that does not exist, or a date outside what a subscription can bill."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """``[start, end)``: ``end`` is the first day of the next period."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def cycle_months(cycle: str) -> int | None:
    """Months in a billing cycle; None for a one-off (never billed again)."""
    try:
        return CYCLE_MONTHS[cycle]
    except KeyError:
        raise BillingPeriodError(f"Unknown billing cycle: {cycle!r}") from None


def is_recurring(cycle: str) -> bool:
    return cycle_months(cycle) is not None


@lru_cache(maxsize=8192)  # the billing run asks the same few (anchor, months) thousands of times
def add_months(anchor: date, months: int) -> date:
    """``anchor`` moved by ``months`` calendar months, on the anchor's day of month clamped to
    the target month's last day (31 Jan + 1 → 28/29 Feb; 31 Jan + 2 → 31 Mar)."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if year < 1 or year > 9999:
        raise BillingPeriodError("Date out of range")
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def nth_period(anchor: date, cycle: str, n: int) -> Period:
    """The ``n``-th period (0 is the first) of a subscription that started on ``anchor``."""
    months = cycle_months(cycle)
    if months is None:
        raise BillingPeriodError("A one-off purchase has no billing periods")
    return Period(add_months(anchor, n * months), add_months(anchor, (n + 1) * months))


def period_index(anchor: date, cycle: str, day: date) -> int:
    """The index of the period containing ``day`` (negative before the anchor)."""
    months = cycle_months(cycle)
    if months is None:
        raise BillingPeriodError("A one-off purchase has no billing periods")
    elapsed = (day.year - anchor.year) * 12 + (day.month - anchor.month)
    n = elapsed // months
    # the estimate is off by at most one either way (day of month, clamping)
    while add_months(anchor, n * months) > day:
        n -= 1
    while add_months(anchor, (n + 1) * months) <= day:
        n += 1
    return n


def period_containing(anchor: date, cycle: str, day: date) -> Period:
    """The period of the subscription anchored on ``anchor`` that contains ``day``."""
    return nth_period(anchor, cycle, period_index(anchor, cycle, day))


def next_period(anchor: date, cycle: str, period_start: date) -> Period:
    """The period that starts on ``period_start`` (a period boundary of ``anchor``)."""
    period = period_containing(anchor, cycle, period_start)
    if period.start != period_start:
        raise BillingPeriodError(f"{period_start} is not a period start of {anchor}")
    return period


def days_in_period(period: Period) -> int:
    return period.days


def term_end(start: date, commitment_months: int, cycle: str, on: date | None = None) -> date:
    """The (exclusive) end of the term running on ``on`` (default: the first term).

    With a commitment of *m* months, terms are ``[start + k·m, start + (k+1)·m)``; without
    one (0), the term is the billing period containing ``on``."""
    on = on or start
    if commitment_months and commitment_months > 0:
        k = 0
        while add_months(start, (k + 1) * commitment_months) <= on:
            k += 1
        return add_months(start, (k + 1) * commitment_months)
    return period_containing(start, cycle, on).end


@dataclass(frozen=True, slots=True)
class BillingTerms:
    """What decides a subscription's next periods (the columns of ``subscription``)."""

    anchor: date  # start_date
    cycle: str
    commitment_months: int
    next_billing_date: date | None
    term_end: date | None
    auto_renew: bool = True


@dataclass(frozen=True, slots=True)
class DuePlan:
    """What a run on a date does to one subscription: bill ``periods`` (oldest first), then
    either continue (``next_billing_date``, ``term_end``) or end on ``ends_on``."""

    periods: tuple[Period, ...]
    next_billing_date: date | None
    term_end: date | None
    ends_on: date | None = None


def initial_terms(
    start: date, cycle: str, commitment_months: int, *, auto_renew: bool = True
) -> tuple[Period, BillingTerms]:
    """The first period (billed at purchase) and the terms after it."""
    first = nth_period(start, cycle, 0)
    term = term_end(start, commitment_months, cycle)
    return first, BillingTerms(start, cycle, commitment_months, first.end, term, auto_renew)


def due_periods(terms: BillingTerms, run_date: date) -> DuePlan:
    """The periods a run on ``run_date`` bills: every period whose start is on or before the
    run date and not billed yet (from ``next_billing_date``), each once, oldest first.

    A period that would start at or after the term's end renews the term (auto-renew on) or
    ends the subscription on the term's end instead of billing (auto-renew off)."""
    if terms.next_billing_date is None or not is_recurring(terms.cycle):
        return DuePlan((), None, terms.term_end)
    periods: list[Period] = []
    nxt, term = terms.next_billing_date, terms.term_end
    if nxt > run_date:
        return DuePlan((), nxt, term)
    n = period_index(terms.anchor, terms.cycle, nxt)
    period = nth_period(terms.anchor, terms.cycle, n)
    if period.start != nxt:
        raise BillingPeriodError(f"{nxt} is not a period start of {terms.anchor}")
    while nxt <= run_date:
        if term is not None and nxt >= term:
            if not terms.auto_renew:
                return DuePlan(tuple(periods), None, term, ends_on=term)
            term = (
                term_end(terms.anchor, terms.commitment_months, terms.cycle, on=nxt)
                if terms.commitment_months
                else period.end  # no commitment: the term is the period
            )
        periods.append(period)
        nxt = period.end
        n += 1
        period = nth_period(terms.anchor, terms.cycle, n)
        if len(periods) > MAX_CATCH_UP:
            raise BillingPeriodError("Too many periods to bill at once")
    return DuePlan(tuple(periods), nxt, term)


# --- the date a billing run may be asked for -----------------------------------------------------

RUN_DATE_PAST_MONTHS = 12  # a run for an earlier day would back-date invoices by over a year
RUN_DATE_CLI_AHEAD_MONTHS = 24  # ``flask billing run`` travels ahead for demos, not for decades


@dataclass(frozen=True, slots=True)
class RunDateWindow:
    """The days, both included, a billing run may be asked for."""

    earliest: date
    latest: date

    def contains(self, day: date) -> bool:
        return self.earliest <= day <= self.latest


def run_date_window(today: date, *, ahead_months: int = 0) -> RunDateWindow:
    """From a year before ``today`` to ``today`` (the BSS's *Run billing now*: a later day
    would issue its invoices, final and numbered, and charge cards before their date), or to
    ``ahead_months`` later (the command line's time travel for demos and tests)."""
    return RunDateWindow(add_months(today, -RUN_DATE_PAST_MONTHS), add_months(today, ahead_months))
