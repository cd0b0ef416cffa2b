"""Billing periods (issue 17): anchor day, clamping, half-open periods, terms, what is due."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.rules import billing_periods as bp
from core.rules.billing_periods import BillingTerms, Period

D = date


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 1, 31), 2, D(2026, 3, 31)),  # back on the anchor day after a short month
        (D(2026, 1, 30), 1, D(2026, 2, 28)),
        (D(2026, 3, 31), 1, D(2026, 4, 30)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 5, 1), -1, D(2026, 4, 1)),
    ],
)
def test_add_months_keeps_the_anchor_day_clamped_to_month_ends(anchor, months, expected):
    assert bp.add_months(anchor, months) == expected


@pytest.mark.parametrize(
    ("anchor", "cycle", "n", "expected"),
    [
        (D(2026, 1, 31), "monthly", 0, Period(D(2026, 1, 31), D(2026, 2, 28))),
        (D(2026, 1, 31), "monthly", 1, Period(D(2026, 2, 28), D(2026, 3, 31))),
        (D(2026, 1, 31), "monthly", 2, Period(D(2026, 3, 31), D(2026, 4, 30))),
        (D(2026, 1, 31), "monthly", 3, Period(D(2026, 4, 30), D(2026, 5, 31))),
        (D(2028, 2, 29), "annual", 0, Period(D(2028, 2, 29), D(2029, 2, 28))),
        (D(2028, 2, 29), "yearly", 1, Period(D(2029, 2, 28), D(2030, 2, 28))),
        (D(2026, 11, 1), "monthly", 1, Period(D(2026, 12, 1), D(2027, 1, 1))),
    ],
)
def test_nth_period(anchor, cycle, n, expected):
    assert bp.nth_period(anchor, cycle, n) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 1, 31), Period(D(2026, 1, 31), D(2026, 2, 28))),  # first day
        (D(2026, 2, 27), Period(D(2026, 1, 31), D(2026, 2, 28))),  # last day
        (D(2026, 2, 28), Period(D(2026, 2, 28), D(2026, 3, 31))),  # the end is the next start
        (D(2026, 3, 30), Period(D(2026, 2, 28), D(2026, 3, 31))),
        (D(2026, 1, 30), Period(D(2025, 12, 31), D(2026, 1, 31))),  # before the anchor
    ],
)
def test_period_containing_a_date(day, expected):
    period = bp.period_containing(D(2026, 1, 31), "monthly", day)
    assert period == expected
    assert period.contains(day)
    assert bp.days_in_period(period) == (expected.end - expected.start).days


def test_one_off_never_bills_again():
    assert bp.cycle_months("one_off") is None
    assert not bp.is_recurring("one_off")
    with pytest.raises(bp.BillingPeriodError):
        bp.nth_period(D(2026, 1, 1), "one_off", 0)
    terms = BillingTerms(D(2026, 1, 1), "one_off", 0, D(2026, 2, 1), None)
    assert bp.due_periods(terms, D(2030, 1, 1)).periods == ()
    with pytest.raises(bp.BillingPeriodError):
        bp.cycle_months("weekly")


@pytest.mark.parametrize(
    ("start", "commitment", "cycle", "on", "expected"),
    [
        (D(2026, 1, 31), 12, "monthly", None, D(2027, 1, 31)),
        (D(2026, 1, 31), 1, "monthly", None, D(2026, 2, 28)),
        (D(2026, 1, 31), 0, "monthly", D(2026, 3, 5), D(2026, 3, 31)),  # no commitment: period
        (D(2026, 1, 15), 12, "monthly", D(2027, 1, 15), D(2028, 1, 15)),  # the renewed term
        (D(2026, 1, 15), 12, "annual", D(2027, 1, 14), D(2027, 1, 15)),
    ],
)
def test_term_end(start, commitment, cycle, on, expected):
    assert bp.term_end(start, commitment, cycle, on=on) == expected


def test_initial_terms_bill_the_first_period_at_purchase():
    first, terms = bp.initial_terms(D(2026, 1, 31), "monthly", 12)
    assert first == Period(D(2026, 1, 31), D(2026, 2, 28))
    assert terms.next_billing_date == D(2026, 2, 28)
    assert terms.term_end == D(2027, 1, 31)


def test_due_periods_bills_each_missed_period_once_oldest_first():
    terms = BillingTerms(D(2026, 1, 31), "monthly", 0, D(2026, 2, 28), D(2026, 2, 28))
    plan = bp.due_periods(terms, D(2026, 4, 30))
    assert plan.periods == (
        Period(D(2026, 2, 28), D(2026, 3, 31)),
        Period(D(2026, 3, 31), D(2026, 4, 30)),
        Period(D(2026, 4, 30), D(2026, 5, 31)),
    )
    assert plan.next_billing_date == D(2026, 5, 31)
    assert plan.ends_on is None
    # the day before the next billing date: nothing is due
    assert bp.due_periods(terms, D(2026, 2, 27)).periods == ()


def test_auto_renew_off_ends_at_the_term_end_instead_of_renewing():
    terms = BillingTerms(D(2026, 1, 1), "monthly", 3, D(2026, 3, 1), D(2026, 4, 1), False)
    plan = bp.due_periods(terms, D(2026, 6, 1))
    assert plan.periods == (Period(D(2026, 3, 1), D(2026, 4, 1)),)
    assert plan.ends_on == D(2026, 4, 1)
    assert plan.next_billing_date is None


def test_auto_renew_on_renews_the_commitment():
    terms = BillingTerms(D(2026, 1, 1), "monthly", 3, D(2026, 4, 1), D(2026, 4, 1), True)
    plan = bp.due_periods(terms, D(2026, 4, 1))
    assert plan.periods == (Period(D(2026, 4, 1), D(2026, 5, 1)),)
    assert plan.term_end == D(2026, 7, 1)


anchors = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
cycles = st.sampled_from(["monthly", "annual"])


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(anchors, cycles, st.integers(min_value=-24, max_value=240))
def test_periods_tile_time_without_gap_or_overlap(anchor, cycle, n):
    this, after = bp.nth_period(anchor, cycle, n), bp.nth_period(anchor, cycle, n + 1)
    assert this.end == after.start
    assert this.start < this.end
    months = bp.cycle_months(cycle)
    assert 28 * months <= this.days <= 31 * months + (1 if cycle == "annual" else 0)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(anchors, cycles, st.integers(min_value=-3000, max_value=30000))
def test_every_day_is_in_exactly_one_period(anchor, cycle, offset):
    day = anchor + timedelta(days=offset)
    period = bp.period_containing(anchor, cycle, day)
    assert period.contains(day)
    n = bp.period_index(anchor, cycle, day)
    assert not bp.nth_period(anchor, cycle, n - 1).contains(day)
    assert not bp.nth_period(anchor, cycle, n + 1).contains(day)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(anchors, cycles)
def test_periods_start_on_the_anchor_day_or_the_month_end(anchor, cycle):
    for n in range(0, 25):
        start = bp.nth_period(anchor, cycle, n).start
        month_end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        assert start.day == anchor.day or (start.day < anchor.day and start == month_end)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(anchors, cycles, st.integers(min_value=0, max_value=60), st.integers(0, 400))
def test_a_run_bills_every_due_period_exactly_once(anchor, cycle, commitment, days_later):
    first, terms = bp.initial_terms(anchor, cycle, commitment)
    run_date = anchor + timedelta(days=days_later)
    plan = bp.due_periods(terms, run_date)
    starts = [p.start for p in plan.periods]
    assert len(starts) == len(set(starts))
    assert all(p.start <= run_date for p in plan.periods)
    chain = [first, *plan.periods]
    assert all(a.end == b.start for a, b in zip(chain, chain[1:], strict=False))
    assert plan.next_billing_date > run_date
    # running again on the same date bills nothing more
    again = BillingTerms(anchor, cycle, commitment, plan.next_billing_date, plan.term_end)
    assert bp.due_periods(again, run_date).periods == ()


# --- the date a billing run may be asked for ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (D(2026, 12, 3), True),  # today
        (D(2025, 12, 3), True),  # a year ago, the earliest
        (D(2025, 12, 2), False),
        (D(2026, 12, 4), False),  # tomorrow: invoices issued before their day
        (D(1, 1, 1), False),
        (D(1900, 1, 1), False),
        (D(2030, 1, 1), False),
    ],
)
def test_the_bss_bills_only_from_a_year_ago_to_today(day, allowed):
    window = bp.run_date_window(D(2026, 12, 3))
    assert window.contains(day) is allowed
    assert (window.earliest, window.latest) == (D(2025, 12, 3), D(2026, 12, 3))


@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (D(2027, 1, 1), True),  # next month: the demos' time travel
        (D(2028, 12, 3), True),  # two years ahead, the latest
        (D(2028, 12, 4), False),
        (D(2030, 1, 1), False),  # 360 periods at once
        (D(1, 1, 1), False),
        (D(2025, 12, 3), True),
    ],
)
def test_the_command_line_may_bill_ahead_for_demos_but_not_years_ahead(day, allowed):
    window = bp.run_date_window(D(2026, 12, 3), ahead_months=bp.RUN_DATE_CLI_AHEAD_MONTHS)
    assert window.contains(day) is allowed
