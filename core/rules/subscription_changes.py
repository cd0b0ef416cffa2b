"""Changes to a subscription that wait for the end of its period (issue 17, point 3), trials
and auto-renew. Standard library only.

- **Increases bill now** (licenses, a new add-on, more of an add-on, an upgrade): the prorated
  rest of the current period (:mod:`core.rules.proration`), then the new quantity or price from
  the next period. Nothing is billed now for a period not invoiced yet (it is billed whole, at
  the new quantity, by the billing run) nor during a free trial.
- **Decreases wait** (fewer licenses, fewer of an add-on, an add-on removed, a downgrade, a
  cancellation): they take effect on the current period's end, or on the term's end when the
  subscription has a commitment; a trial's on its trial end. Nothing is refunded: the customer
  keeps what they have until then. Each is a pending change, cancellable until that day.
- **Trials** end into the paid plan on the trial's end (or expire when the customer turned
  that off), with a notice :data:`TRIAL_NOTICE_DAYS` days before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from core.rules import billing_periods as periods

# the kinds of pending change
REDUCE_LICENSES = "reduce_licenses"
REDUCE_ADDON = "reduce_addon"
REMOVE_ADDON = "remove_addon"
DOWNGRADE = "downgrade"
CANCEL = "cancel"
KINDS = (REDUCE_LICENSES, REDUCE_ADDON, REMOVE_ADDON, DOWNGRADE, CANCEL)

# states of a pending change
PENDING = "pending"
APPLIED = "applied"
WITHDRAWN = "withdrawn"  # the customer cancelled it before it took effect
SUPERSEDED = "superseded"  # a later change of the same kind replaced it

TRIAL_NOTICE_DAYS = 3

# a subscription that can still be changed
ACTIVE = "active"
CANCELLED = "cancelled"  # ended by a cancellation
EXPIRED = "expired"  # a trial the customer chose not to continue


class ChangeRefused(ValueError):
    """A change the rules refuse (below the minimum, not a decrease ...): its message says why."""


@dataclass(frozen=True, slots=True)
class Terms:
    """What decides when a change takes effect (the subscription's columns)."""

    anchor: date  # start_date
    cycle: str
    commitment_months: int
    is_trial: bool = False
    trial_ends_on: date | None = None
    term_end: date | None = None


def current_period(terms: Terms, today: date) -> periods.Period:
    """The billing period containing ``today`` (a trial's: the trial itself)."""
    if terms.is_trial and terms.trial_ends_on is not None:
        return periods.Period(min(terms.anchor, terms.trial_ends_on), terms.trial_ends_on)
    cycle = terms.cycle if periods.is_recurring(terms.cycle) else periods.MONTHLY
    return periods.period_containing(terms.anchor, cycle, max(today, terms.anchor))


def effective_date(terms: Terms, today: date, kind: str) -> date:
    """When a decrease, downgrade or cancellation made on ``today`` takes effect: the trial's
    end, else the term's end with a commitment, else the current period's end."""
    if terms.is_trial and terms.trial_ends_on is not None:
        return max(terms.trial_ends_on, today)
    period_end = current_period(terms, today).end
    if terms.commitment_months and terms.commitment_months > 0:
        cycle = terms.cycle if periods.is_recurring(terms.cycle) else periods.MONTHLY
        term = periods.term_end(terms.anchor, terms.commitment_months, cycle, on=today)
        return max(term, period_end)
    return period_end


def checked_reduction(current: int, new: int, minimum: int) -> int:
    """A new, lower quantity: at least the plan's (or add-on's) minimum, below the current."""
    if new >= current:
        raise ChangeRefused(f"Enter fewer than {current} (what you have now).")
    if new < minimum:
        raise ChangeRefused(f"The minimum is {minimum}.")
    return new


def trial_notice_due(trial_ends_on: date | None, today: date, already_sent: bool) -> bool:
    """The trial-ending notice goes out once, from :data:`TRIAL_NOTICE_DAYS` days before the
    trial's end (a late run still sends it, until the trial has ended)."""
    if trial_ends_on is None or already_sent:
        return False
    return trial_ends_on - timedelta(days=TRIAL_NOTICE_DAYS) <= today < trial_ends_on


def is_downgrade(
    current_price, target_price, current_cycle: str | None = None, target_cycle: str | None = None
) -> bool:
    """A move to a cheaper upgrade target waits for the period's end (nothing is refunded); an
    equal or dearer one is an upgrade, billed now. Prices of different billing cycles compare
    over the same time (per month: €126 a year is cheaper than €20.60 a month); a one-off or
    unknown cycle compares the prices as they are."""
    current_months = periods.CYCLE_MONTHS.get(current_cycle or "")
    target_months = periods.CYCLE_MONTHS.get(target_cycle or "")
    if current_months is None or target_months is None:
        current_months = target_months = 1
    return target_price * current_months < current_price * target_months
