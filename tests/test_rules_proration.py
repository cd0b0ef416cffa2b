"""Proration of mid-period increases (issue 17, point 3), and when decreases take effect."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.rules import billing_periods as bp
from core.rules import proration
from core.rules import subscription_changes as sc
from core.rules.billing_periods import Period

D = date
M = Decimal
RELAXED = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def period_of(anchor, cycle, day):
    return bp.period_containing(anchor, cycle, day)


@pytest.mark.parametrize(
    ("anchor", "cycle", "on", "full", "amount", "days", "period_days"),
    [
        # the first day of the period bills the whole period
        (D(2026, 11, 1), "monthly", D(2026, 11, 1), M("30.00"), M("30.00"), 30, 30),
        # the last day bills one day
        (D(2026, 11, 1), "monthly", D(2026, 11, 30), M("30.00"), M("1.00"), 1, 30),
        # the middle: 12 Nov to 30 Nov inclusive is 19 of 30 days
        (D(2026, 11, 1), "monthly", D(2026, 11, 12), M("30.00"), M("19.00"), 19, 30),
        # rounded down to the cent: 100 × 19 / 30 = 63.333...
        (D(2026, 11, 1), "monthly", D(2026, 11, 12), M("100.00"), M("63.33"), 19, 30),
        # leap year: February 2028 has 29 days, its last day is the 29th
        (D(2028, 1, 29), "monthly", D(2028, 2, 29), M("29.00"), M("29.00"), 29, 29),
        (D(2028, 2, 1), "monthly", D(2028, 2, 29), M("29.00"), M("1.00"), 1, 29),
        # a yearly period holding 29 February has 366 days
        (D(2028, 1, 1), "annual", D(2028, 12, 31), M("366.00"), M("1.00"), 1, 366),
        (D(2028, 1, 1), "annual", D(2028, 3, 1), M("366.00"), M("306.00"), 306, 366),
        (D(2027, 1, 1), "annual", D(2027, 7, 2), M("365.00"), M("183.00"), 183, 365),
        # a yearly period that starts on 29 February ends on 28 February next year
        (D(2028, 2, 29), "annual", D(2029, 2, 27), M("365.00"), M("1.00"), 1, 365),
        # month ends: a 31st anchor gives the period 31 Jan - 28 Feb (28 days)...
        (D(2026, 1, 31), "monthly", D(2026, 2, 27), M("28.00"), M("1.00"), 1, 28),
        # ... then 28 Feb - 31 Mar (31 days), back on the anchor day
        (D(2026, 1, 31), "monthly", D(2026, 2, 28), M("31.00"), M("31.00"), 31, 31),
        (D(2026, 1, 31), "monthly", D(2026, 3, 30), M("31.00"), M("1.00"), 1, 31),
        # 30 April - 31 May: the 31st anchor again
        (D(2026, 1, 31), "monthly", D(2026, 5, 30), M("31.00"), M("1.00"), 1, 31),
    ],
)
def test_prorated_amount_at_the_edges(anchor, cycle, on, full, amount, days, period_days):
    period = period_of(anchor, cycle, on)
    result = proration.prorate(full, period, on)
    assert (result.amount, result.days, result.period_days) == (amount, days, period_days)
    assert result.start == on and result.end == period.end
    assert result.last_day == period.end - timedelta(days=1)


def test_a_change_before_the_period_bills_it_whole_and_after_it_nothing():
    period = Period(D(2026, 11, 1), D(2026, 12, 1))
    assert proration.prorate(M("30"), period, D(2026, 10, 20)).amount == M("30.00")
    assert proration.prorate(M("30"), period, D(2026, 12, 1)).amount == M("0.00")


def test_a_decrease_is_never_credited():
    period = Period(D(2026, 11, 1), D(2026, 12, 1))
    assert proration.prorate(M("-30.00"), period, D(2026, 11, 10)).amount == M("0.00")


anchors = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
cycles = st.sampled_from(["monthly", "annual"])
amounts = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)


@RELAXED
@given(anchors, cycles, st.integers(min_value=0, max_value=400), amounts)
def test_prorated_never_exceeds_a_full_period_and_is_never_negative(anchor, cycle, offset, full):
    on = anchor + timedelta(days=offset)
    period = period_of(anchor, cycle, on)
    amount = proration.prorate(full, period, on).amount
    assert M("0.00") <= amount <= full


@RELAXED
@given(anchors, cycles, st.integers(min_value=0, max_value=400), amounts)
def test_prorated_is_monotonic_in_the_days_left(anchor, cycle, offset, full):
    on = anchor + timedelta(days=offset)
    period = period_of(anchor, cycle, on)
    later = on + timedelta(days=1)
    # a change one day later has fewer days left: it never costs more
    assert (
        proration.prorate(full, period, later).amount <= proration.prorate(full, period, on).amount
    )


@RELAXED
@given(anchors, cycles, st.integers(min_value=0, max_value=400), amounts, st.data())
def test_the_parts_of_a_split_period_never_exceed_the_whole(anchor, cycle, offset, full, data):
    period = period_of(anchor, cycle, anchor + timedelta(days=offset))
    cut = period.start + timedelta(days=data.draw(st.integers(0, period.days)))
    first = proration.prorate_between(full, period, period.start, cut)
    rest = proration.prorate_between(full, period, cut, period.end)
    assert first + rest <= full
    assert rest == proration.prorate(full, period, cut).amount or cut == period.end


@RELAXED
@given(anchors, cycles, st.integers(min_value=0, max_value=400), amounts, amounts)
def test_a_split_quantity_never_costs_more_than_buying_it_at_once(anchor, cycle, offset, a, b):
    on = anchor + timedelta(days=offset)
    period = period_of(anchor, cycle, on)
    apart = proration.prorate(a, period, on).amount + proration.prorate(b, period, on).amount
    assert apart <= proration.prorate(a + b, period, on).amount


# --- when a decrease takes effect --------------------------------------------------------


@pytest.mark.parametrize(
    ("terms", "today", "expected"),
    [
        # no commitment: the current period's end
        (sc.Terms(D(2026, 10, 1), "monthly", 0), D(2026, 11, 12), D(2026, 12, 1)),
        (sc.Terms(D(2026, 1, 31), "monthly", 0), D(2026, 2, 27), D(2026, 2, 28)),
        (sc.Terms(D(2026, 1, 31), "monthly", 0), D(2026, 2, 28), D(2026, 3, 31)),
        (sc.Terms(D(2026, 3, 15), "annual", 0), D(2026, 11, 12), D(2027, 3, 15)),
        # a 12-month commitment on a monthly plan: the term's end
        (sc.Terms(D(2026, 3, 1), "monthly", 12), D(2026, 11, 12), D(2027, 3, 1)),
        # the second term
        (sc.Terms(D(2025, 3, 1), "monthly", 12), D(2026, 11, 12), D(2027, 3, 1)),
        # a trial: its end
        (
            sc.Terms(D(2026, 11, 1), "monthly", 12, is_trial=True, trial_ends_on=D(2026, 12, 1)),
            D(2026, 11, 12),
            D(2026, 12, 1),
        ),
    ],
)
def test_decreases_take_effect_at_the_period_or_term_end(terms, today, expected):
    for kind in sc.KINDS:
        assert sc.effective_date(terms, today, kind) == expected


def test_a_reduction_respects_the_minimum_and_must_reduce():
    assert sc.checked_reduction(10, 8, 5) == 8
    with pytest.raises(sc.ChangeRefused, match="minimum is 5"):
        sc.checked_reduction(10, 4, 5)
    with pytest.raises(sc.ChangeRefused, match="fewer than 10"):
        sc.checked_reduction(10, 10, 1)


@pytest.mark.parametrize(
    ("today", "sent", "due"),
    [
        (D(2026, 11, 27), False, False),  # 4 days before
        (D(2026, 11, 28), False, True),  # 3 days before
        (D(2026, 11, 30), False, True),  # the last day, a late run
        (D(2026, 12, 1), False, False),  # ended
        (D(2026, 11, 29), True, False),  # sent already
    ],
)
def test_the_trial_notice_goes_out_three_days_before_once(today, sent, due):
    assert sc.trial_notice_due(D(2026, 12, 1), today, sent) is due
