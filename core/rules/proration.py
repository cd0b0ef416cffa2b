"""Proration of mid-period increases (issue 17, point 3), by days. Standard library only.

Convention: a change made on day ``D`` of the period ``[start, end)`` bills the days from
``D`` **inclusive** to the period's ``end`` **exclusive** (the first day of the next period),
so a change on the period's first day bills the whole period and one on its last day bills one
day. The amount is ``full × days left / days in the period``, **rounded down** to the cent: the
customer never pays more than the exact share, a prorated amount never exceeds the full
period's, and the parts of a split period (or of a split quantity) never add up to more than
the whole. Nothing is ever credited: decreases, downgrades and cancellations take effect at
the period's end (:mod:`core.rules.subscription_changes`), so the prorated amount of a change
is never negative.

Periods come from :mod:`core.rules.billing_periods` (monthly or yearly, anchored on the
subscription's start day, clamped to short months): a yearly period holding 29 February has
366 days, a monthly period from 31 January has 28 or 29.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from core.rules.billing_periods import Period

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def days_left(period: Period, on: date) -> int:
    """Days from ``on`` (inclusive) to the period's end (exclusive), within ``[0, days]``."""
    if on <= period.start:
        return period.days
    return max(0, (period.end - on).days)


def share(full: Decimal, days: int, period_days: int) -> Decimal:
    """``full × days / period_days`` rounded down to the cent; 0 for no days or a negative
    amount (nothing is credited)."""
    if period_days <= 0 or days <= 0 or full <= 0:
        return ZERO
    days = min(days, period_days)
    if days == period_days:
        return Decimal(full).quantize(CENT, rounding=ROUND_DOWN)
    return (Decimal(full) * days / period_days).quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True, slots=True)
class Proration:
    """What a change on ``start`` bills now: ``amount`` for ``[start, end)`` of a period of
    ``period_days`` whose full amount is ``full``."""

    amount: Decimal
    start: date
    end: date  # exclusive: the period's end (the first day of the next period)
    days: int
    period_days: int
    full: Decimal

    @property
    def last_day(self) -> date:
        """The last day billed (inclusive), for "12 Nov – 30 Nov"."""
        from datetime import timedelta

        return self.end - timedelta(days=1)

    @property
    def whole_period(self) -> bool:
        return self.days == self.period_days


def prorate(full: Decimal, period: Period, on: date) -> Proration:
    """The prorated rest of ``period`` for a change on ``on`` (see the module's convention)."""
    days = days_left(period, on)
    start = max(on, period.start)
    return Proration(share(full, days, period.days), start, period.end, days, period.days, full)


def prorate_between(full: Decimal, period: Period, start: date, end: date) -> Decimal:
    """The amount of the days ``[start, end)`` of ``period`` (clamped to it), rounded down."""
    start, end = max(start, period.start), min(end, period.end)
    return share(full, (end - start).days, period.days)
