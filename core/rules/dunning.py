"""Dunning (issue 17, point 5): what happens after a renewal invoice's card charge failed.

The schedule is data: each step is a day counted from the day of the first failed charge
(day 0) and an action. By default the card is tried again on days 1, 3 and 7, and the
account's subscriptions on the invoice are suspended on day 14; every failed attempt sends the
customer a reminder (:func:`reminder`). Paying the invoice (a retry that succeeds, Pay now, a
payment a BSS user records, credit notes covering it) ends dunning and resumes what was
suspended.

A run that comes late (no run for days, or ``flask billing dunning --date`` jumping ahead)
catches up in one pass: the card is tried once however many retries were missed, and a due
suspension happens (:func:`due`). Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

RETRY = "retry"
SUSPEND = "suspend"
ACTIONS = (RETRY, SUSPEND)

# a case's status
OPEN = "open"  # retrying
SUSPENDED = "suspended"  # the schedule ran out: subscriptions suspended, waiting for payment
RESOLVED = "resolved"  # paid (or credited)
STATUSES = (OPEN, SUSPENDED, RESOLVED)

NO_CARD = "no_card"  # the reason when the account has no card on file


@dataclass(frozen=True)
class Step:
    day: int  # days after the first failed charge
    action: str


DEFAULT_SCHEDULE: tuple[Step, ...] = (
    Step(1, RETRY),
    Step(3, RETRY),
    Step(7, RETRY),
    Step(14, SUSPEND),
)


def validate(schedule: Sequence[Step]) -> None:
    """A schedule's days grow strictly from 1, its actions are known, it ends in a suspension
    (and only there): raises ValueError otherwise."""
    if not schedule:
        raise ValueError("a dunning schedule needs at least one step")
    last = 0
    for index, step in enumerate(schedule):
        if step.action not in ACTIONS:
            raise ValueError(f"unknown dunning action {step.action!r}")
        if step.day <= last:
            raise ValueError("dunning days must grow strictly, from day 1")
        if (step.action == SUSPEND) != (index == len(schedule) - 1):
            raise ValueError("a dunning schedule ends with its one suspension")
        last = step.day


validate(DEFAULT_SCHEDULE)


@dataclass(frozen=True)
class Due:
    retry: bool  # try the card once now
    suspend: bool  # suspend now
    steps_done: int  # the case's steps done after this pass


def due(started_on: date, steps_done: int, today: date, schedule=DEFAULT_SCHEDULE) -> Due:
    """What a pass on ``today`` does for a case started on ``started_on`` with ``steps_done``
    steps behind it: every step whose day has come is done now, retries collapsing into one."""
    done = steps_done
    retry = suspend = False
    while done < len(schedule) and started_on + timedelta(days=schedule[done].day) <= today:
        if schedule[done].action == RETRY:
            retry = True
        else:
            suspend = True
        done += 1
    return Due(retry=retry, suspend=suspend, steps_done=done)


def next_step(started_on: date, steps_done: int, schedule=DEFAULT_SCHEDULE):
    """(date, action) of the next step to come, or None when the schedule is done."""
    if steps_done >= len(schedule):
        return None
    step = schedule[steps_done]
    return started_on + timedelta(days=step.day), step.action


def suspension_date(started_on: date, schedule=DEFAULT_SCHEDULE) -> date:
    return started_on + timedelta(days=schedule[-1].day)


def retries_in(schedule=DEFAULT_SCHEDULE) -> int:
    return sum(1 for step in schedule if step.action == RETRY)


@dataclass(frozen=True)
class Reminder:
    attempt: int  # the failed attempt this reminder is about (1: the billing run's charge)
    next_retry_on: date | None  # None: no retry left before the suspension
    suspend_on: date | None  # None: already suspended


def reminder(started_on: date, steps_done: int, attempt: int, schedule=DEFAULT_SCHEDULE):
    """What the reminder after a failed attempt says: when the card is tried next (if it is)
    and when the subscriptions are suspended (unless they already are)."""
    upcoming = next_step(started_on, steps_done, schedule)
    if upcoming is None:
        return Reminder(attempt, None, None)
    when, action = upcoming
    return Reminder(
        attempt,
        when if action == RETRY else None,
        suspension_date(started_on, schedule),
    )


def stage(status: str, steps_done: int, schedule=DEFAULT_SCHEDULE) -> str:
    """A short key of where a case stands: ``retry-<n>`` (the next retry), ``suspension``
    (retries used up, suspension next), ``suspended`` or ``resolved``."""
    if status in (SUSPENDED, RESOLVED):
        return status
    if steps_done >= len(schedule) or schedule[steps_done].action == SUSPEND:
        return "suspension"
    return f"retry-{sum(1 for s in schedule[: steps_done + 1] if s.action == RETRY)}"


def days_overdue(due_date: date, today: date) -> int:
    return max(0, (today - due_date).days)


def owed(total: Decimal, paid: Decimal, credited: Decimal) -> Decimal:
    """What is still owed on an invoice: its gross total less payments and credit notes, never
    below zero."""
    return max(Decimal("0.00"), (total - paid - credited).quantize(Decimal("0.01")))


def refund_due(total: Decimal, paid: Decimal, credited: Decimal) -> Decimal:
    """What the seller owes back on an invoice: payments received beyond what was left to
    pay once its credit notes are taken off (a credit note after a payment), never below
    zero. An invoice is never both owed and owed back (:func:`owed`)."""
    return max(Decimal("0.00"), (paid + credited - total).quantize(Decimal("0.01")))


REFERENCE_MAX = 120  # a recorded payment's reference (Payment.gateway_reference)


def received_on_window(issue_date: date, created_on: date, today: date) -> tuple[date, date]:
    """The days a payment recorded on an invoice may have been received: not before the
    invoice (its issue date; the day it was created if that is earlier, an invoice dated ahead
    by a demo's billing run), not in the future."""
    return min(issue_date, created_on), today


def check_recorded_amount(amount: Decimal, still_owed: Decimal) -> str | None:
    """A payment a BSS user records: more than zero and at most what is owed (partial payments
    allowed). Returns the problem ("not_positive", "too_large") or None."""
    if amount <= 0:
        return "not_positive"
    if amount > still_owed:
        return "too_large"
    return None


def attempt_key(invoice_id: int, attempt: int) -> str:
    """The gateway idempotency key of card attempt ``attempt`` on an invoice."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return f"invoice-{invoice_id}-attempt-{attempt}"


def recorded_key(invoice_id: int, nonce: str) -> str:
    """The key of a recorded payment: the form's one-time value, so a double submit is one."""
    return f"invoice-{invoice_id}-recorded-{nonce}"
