"""Which move between products is a downgrade (issue 17): prices compared over the same time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from core.rules.subscription_changes import (
    CANCEL,
    DOWNGRADE,
    REDUCE_ADDON,
    REDUCE_LICENSES,
    REMOVE_ADDON,
    NextBill,
    PendingFacts,
    is_downgrade,
    next_bill,
)


def test_a_cheaper_price_for_the_same_cycle_is_a_downgrade():
    assert is_downgrade(D("12.90"), D("9.90"), "monthly", "monthly")
    assert not is_downgrade(D("12.90"), D("12.90"), "monthly", "monthly")
    assert not is_downgrade(D("12.90"), D("20.60"), "monthly", "monthly")


def test_prices_of_different_cycles_are_compared_per_month():
    # €126 a user a year is €10.50 a month: €20.60 a month is dearer, not a downgrade (a
    # tester was offered "Downgrade to Business Premium" from an annual Business Standard)
    assert not is_downgrade(D("126.00"), D("20.60"), "annual", "monthly")
    assert is_downgrade(D("126.00"), D("9.90"), "annual", "monthly")
    assert is_downgrade(D("20.60"), D("200.00"), "monthly", "annual")  # €16.67 a month
    assert not is_downgrade(D("10.00"), D("120.00"), "monthly", "annual")  # the same


def test_without_a_known_cycle_the_prices_compare_as_they_are():
    assert is_downgrade(D("100"), D("50"), None, "one_off")
    assert not is_downgrade(D("50"), D("100"), "monthly", None)


# --- what the next billing date bills, the pending changes and auto-renew included ---------

NEXT = date(2027, 1, 3)


def _bill(changes=(), auto_renew=True, term_end=None, is_trial=False, addons=None):
    return next_bill(
        NEXT,
        D("42.40"),
        5,
        addons if addons is not None else {7: (D("2.00"), 4)},
        changes,
        auto_renew=auto_renew,
        term_end=term_end,
        is_trial=is_trial,
    )


def test_without_changes_the_next_billing_bills_the_plan_and_its_add_ons():
    assert _bill() == NextBill(NEXT, D("220.00"), None)  # 5 × 42.40 + 4 × 2.00


def test_a_reduction_due_by_then_is_what_it_bills():
    # a tester saw €126.00 where 3 licenses from 03/01/2027 bill €84.80
    three = PendingFacts(REDUCE_LICENSES, NEXT, quantity=3)
    assert _bill([three]).amount == D("135.20")  # 3 × 42.40 + 8.00
    fewer = PendingFacts(REDUCE_ADDON, NEXT, quantity=1, addon_id=7)
    assert _bill([fewer]).amount == D("214.00")
    gone = PendingFacts(REMOVE_ADDON, NEXT, addon_id=7)
    assert _bill([gone]).amount == D("212.00")
    cheaper = PendingFacts(DOWNGRADE, NEXT, unit_price=D("20.00"))
    assert _bill([cheaper]).amount == D("108.00")
    # a change due later bills later
    assert _bill([PendingFacts(REDUCE_LICENSES, date(2027, 2, 3), quantity=3)]).amount == D(
        "220.00"
    )


def test_a_cancellation_or_a_term_that_is_not_renewed_bills_nothing_more():
    assert _bill([PendingFacts(CANCEL, NEXT)]) == NextBill(None, None, NEXT)
    # auto-renew off: the term ends before the next billing date
    assert _bill(auto_renew=False, term_end=NEXT) == NextBill(None, None, NEXT)
    # auto-renew off, a term that goes on past the next billing: billed as usual
    assert _bill(auto_renew=False, term_end=date(2027, 12, 3)).amount == D("220.00")


def test_a_trial_shows_its_date_and_what_its_first_paid_period_bills_unless_it_is_cancelled():
    # a tester read "Next billing 17/12/2026" with no amount during a trial: the first paid
    # period's amount shows (the trial's end bills it)
    assert _bill(is_trial=True) == NextBill(NEXT, D("220.00"), None)
    assert _bill([PendingFacts(CANCEL, NEXT)], is_trial=True) == NextBill(None, None, NEXT)
