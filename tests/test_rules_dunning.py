"""The dunning schedule as data (issue 17, point 5): what each day's pass does, what the
reminders say, where a case stands, what is owed. Table-driven, no database."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.rules import dunning as rules
from core.rules.dunning import RETRY, SUSPEND, Step

D = date(2026, 12, 1)


def day(n: int) -> date:
    return D + timedelta(days=n)


def test_the_default_schedule_retries_on_days_1_3_7_and_suspends_on_day_14():
    assert [(s.day, s.action) for s in rules.DEFAULT_SCHEDULE] == [
        (1, RETRY),
        (3, RETRY),
        (7, RETRY),
        (14, SUSPEND),
    ]
    assert rules.retries_in() == 3
    assert rules.suspension_date(D) == day(14)


@pytest.mark.parametrize(
    "schedule",
    [
        (),
        (Step(0, RETRY), Step(14, SUSPEND)),  # day 0 is the failure itself
        (Step(3, RETRY), Step(3, SUSPEND)),  # days must grow
        (Step(1, RETRY), Step(3, RETRY)),  # no suspension at the end
        (Step(1, SUSPEND), Step(3, RETRY)),  # suspension only last
        (Step(1, "email"), Step(3, SUSPEND)),  # unknown action
    ],
)
def test_bad_schedules_are_refused(schedule):
    with pytest.raises(ValueError):
        rules.validate(schedule)


@pytest.mark.parametrize(
    ("steps_done", "today", "retry", "suspend", "after"),
    [
        (0, 0, False, False, 0),  # the day of the failure: nothing yet
        (0, 1, True, False, 1),
        (1, 2, False, False, 1),
        (1, 3, True, False, 2),
        (2, 6, False, False, 2),
        (2, 7, True, False, 3),
        (3, 13, False, False, 3),
        (3, 14, False, True, 4),
        (4, 30, False, False, 4),  # done: nothing more, ever
        (0, 5, True, False, 2),  # late: days 1 and 3 collapse into one retry
        (0, 14, True, True, 4),  # very late: one retry and the suspension
        (1, 20, True, True, 4),
    ],
)
def test_due_steps(steps_done, today, retry, suspend, after):
    assert rules.due(D, steps_done, day(today)) == rules.Due(retry, suspend, after)


@pytest.mark.parametrize(
    ("steps_done", "attempt", "next_retry", "suspend_on"),
    [
        (0, 1, day(1), day(14)),  # the billing run's charge failed
        (1, 2, day(3), day(14)),
        (2, 3, day(7), day(14)),
        (3, 4, None, day(14)),  # the last retry failed: only the suspension is left
        (4, 5, None, None),  # already suspended
    ],
)
def test_what_each_reminder_announces(steps_done, attempt, next_retry, suspend_on):
    assert rules.reminder(D, steps_done, attempt) == rules.Reminder(attempt, next_retry, suspend_on)


@pytest.mark.parametrize(
    ("status", "steps_done", "stage"),
    [
        (rules.OPEN, 0, "retry-1"),
        (rules.OPEN, 1, "retry-2"),
        (rules.OPEN, 2, "retry-3"),
        (rules.OPEN, 3, "suspension"),
        (rules.SUSPENDED, 4, "suspended"),
        (rules.RESOLVED, 1, "resolved"),
    ],
)
def test_stages(status, steps_done, stage):
    assert rules.stage(status, steps_done) == stage


def test_a_custom_schedule_is_followed():
    schedule = (Step(2, RETRY), Step(5, SUSPEND))
    rules.validate(schedule)
    assert rules.due(D, 0, day(2), schedule) == rules.Due(True, False, 1)
    assert rules.due(D, 1, day(5), schedule) == rules.Due(False, True, 2)
    assert rules.next_step(D, 0, schedule) == (day(2), RETRY)
    assert rules.next_step(D, 2, schedule) is None


@pytest.mark.parametrize(
    ("total", "paid", "credited", "owed"),
    [
        ("121.00", "0", "0", "121.00"),
        ("121.00", "21.00", "0", "100.00"),
        ("121.00", "21.00", "40.00", "60.00"),
        ("121.00", "121.00", "0", "0.00"),
        ("121.00", "100.00", "40.00", "0.00"),  # never below zero
    ],
)
def test_what_is_owed(total, paid, credited, owed):
    assert rules.owed(Decimal(total), Decimal(paid), Decimal(credited)) == Decimal(owed)


@pytest.mark.parametrize(
    ("amount", "owed", "problem"),
    [
        ("0", "10", "not_positive"),
        ("-1", "10", "not_positive"),
        ("10.01", "10", "too_large"),
        ("10", "10", None),
        ("0.01", "10", None),
    ],
)
def test_recorded_amounts(amount, owed, problem):
    assert rules.check_recorded_amount(Decimal(amount), Decimal(owed)) == problem


def test_keys_and_days_overdue():
    assert rules.attempt_key(7, 1) == "invoice-7-attempt-1"
    assert rules.recorded_key(7, "abc12345") == "invoice-7-recorded-abc12345"
    with pytest.raises(ValueError):
        rules.attempt_key(7, 0)
    assert rules.days_overdue(D, day(6)) == 6
    assert rules.days_overdue(D, day(-3)) == 0


@pytest.mark.parametrize(
    ("total", "paid", "credited", "refund"),
    [
        ("82.40", "30.00", "82.40", "30.00"),  # paid 30, then credited in full: 30 owed back
        ("50.68", "50.68", "50.68", "50.68"),  # a card-paid invoice credited in full
        ("82.40", "30.00", "52.40", "0.00"),  # the credit covers exactly what was left
        ("82.40", "30.00", "60.00", "7.60"),
        ("82.40", "30.00", "0", "0.00"),
    ],
)
def test_what_is_owed_back_to_the_customer(total, paid, credited, refund):
    assert rules.refund_due(Decimal(total), Decimal(paid), Decimal(credited)) == Decimal(refund)
    # never both owed and owed back
    owed = rules.owed(Decimal(total), Decimal(paid), Decimal(credited))
    assert owed == 0 or Decimal(refund) == 0
