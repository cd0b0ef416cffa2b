"""Which move between products is a downgrade (issue 17): prices compared over the same time."""

from __future__ import annotations

from decimal import Decimal as D

from core.rules.subscription_changes import is_downgrade


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
