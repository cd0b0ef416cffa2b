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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.rules import billing_periods as periods
from core.rules import pricing

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
SUSPENDED = "suspended"  # an unpaid invoice (dunning): nothing changes until it is paid


def can_change(status: str) -> bool:
    """Only an active subscription takes changes (licenses, add-ons, upgrades, decreases,
    auto-renew); a suspended one offers only paying the invoice that suspended it."""
    return status == ACTIVE


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


def reduction_after_purchase(pending_target: int, bought: int) -> int:
    """Licenses bought while a reduction is pending are kept after it: the reduction's target
    grows by them (6 licenses, 3 pending, 1 bought: 7 now, 4 from the reduction's day). The
    customer bought them for use, not for the rest of the period only; withdrawing the
    reduction stays theirs to do."""
    return pending_target + bought


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


# --- an upgrade and the add-ons the subscription holds ------------------------------------------


@dataclass(frozen=True, slots=True)
class AddOnCarryOver:
    """What an upgrade does to the add-ons held: ``carried`` maps each held add-on the new
    product offers too to the new product's add-on; ``ended`` are those it does not offer."""

    carried: dict[int, int]
    ended: tuple[int, ...]


def addon_identity(name: str) -> str:
    """An add-on's identity across products: its name, as the catalogue keeps it unique within a
    product (case and spacing aside)."""
    return " ".join(name.split()).casefold()


def carry_over_addons(held: Mapping[int, str], offered: Mapping[int, str]) -> AddOnCarryOver:
    """``held``: add-on id -> name on the subscription; ``offered``: the new product's add-ons.
    An add-on the new product offers too (same identity) is carried over to it with its quantity;
    the others end with the upgrade (the new product has nothing to bill them on)."""
    by_identity: dict[str, int] = {}
    for addon_id, name in sorted(offered.items()):
        by_identity.setdefault(addon_identity(name), addon_id)
    carried: dict[int, int] = {}
    ended: list[int] = []
    for addon_id, name in held.items():
        target = by_identity.get(addon_identity(name))
        if target is None:
            ended.append(addon_id)
        else:
            carried[addon_id] = target
    return AddOnCarryOver(carried, tuple(ended))


# --- what the next billing date bills (My subscriptions) ---------------------------------------


@dataclass(frozen=True, slots=True)
class PendingFacts:
    """A pending change as :func:`next_bill` reads it."""

    kind: str
    effective_on: date
    quantity: int | None = None
    addon_id: int | None = None
    unit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class NextBill:
    on: date | None  # the next billing date; None: the subscription is not billed again
    amount: Decimal | None  # what it bills before VAT (a trial: its first paid period)
    ends_on: date | None  # the subscription's end (exclusive) when it is not billed again


def next_bill(
    next_billing_date: date | None,
    unit_price: Decimal,
    quantity: int,
    addons: Mapping[int, tuple[Decimal, int]],
    changes: Iterable[PendingFacts],
    *,
    auto_renew: bool,
    term_end: date | None,
    is_trial: bool,
) -> NextBill:
    """The next billing as it will be: the pending changes due by then applied (fewer
    licenses or add-ons, a downgrade's price), nothing when a cancellation is due by then or
    the term ends first without renewal. ``addons``: add-on id -> (unit price, quantity)."""
    if next_billing_date is None:
        return NextBill(None, None, None)
    if not auto_renew and term_end is not None and term_end <= next_billing_date:
        return NextBill(None, None, term_end)
    addons = dict(addons)
    for change in changes:
        if change.effective_on > next_billing_date:
            continue
        if change.kind == CANCEL:
            return NextBill(None, None, change.effective_on)
        if change.kind == REDUCE_LICENSES and change.quantity:
            quantity = change.quantity
        elif change.kind == DOWNGRADE and change.unit_price is not None:
            unit_price = change.unit_price
        elif change.kind == REMOVE_ADDON:
            addons.pop(change.addon_id, None)
        elif change.kind == REDUCE_ADDON and change.addon_id in addons and change.quantity:
            addons[change.addon_id] = (addons[change.addon_id][0], change.quantity)
    # a trial's next billing is its first paid period, at the price it converts to
    amount = pricing.line_amount(unit_price, quantity, None)
    for price, count in addons.values():
        amount += pricing.line_amount(price, count, None)
    return NextBill(next_billing_date, amount, None)
