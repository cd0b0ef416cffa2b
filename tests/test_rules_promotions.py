"""Which promotion applies, and what it takes off (issue 15, part D), without an app."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from core import texts
from core.rules.promotions import (
    PromotionInput,
    PromotionTerms,
    applies,
    best_promotion,
    discounted,
    status,
    validate_promotion,
)
from core.rules.scheduling import local_today

MARCH_1, MARCH_31 = date(2026, 3, 1), date(2026, 3, 31)


def promo(id=1, kind="percent", value="10", plan_id=None, start=MARCH_1, end=MARCH_31, active=True):
    return PromotionTerms(id, 7, plan_id, kind, Decimal(value), start, end, active)


def test_a_promotion_applies_from_its_first_to_its_last_day_included_while_active():
    p = promo()
    assert applies(p, 7, None, MARCH_1) and applies(p, 7, 3, MARCH_31)
    assert not applies(p, 7, None, date(2026, 2, 28))  # the day before: not started
    assert not applies(p, 7, None, date(2026, 4, 1))  # the day after: expired
    assert not applies(promo(active=False), 7, None, date(2026, 3, 15))
    assert not applies(p, 8, None, date(2026, 3, 15))  # another product


def test_a_plan_promotion_applies_to_that_plan_only():
    p = promo(plan_id=3)
    assert applies(p, 7, 3, MARCH_1)
    assert not applies(p, 7, 4, MARCH_1) and not applies(p, 7, None, MARCH_1)


def test_the_promotion_that_takes_the_most_off_wins_and_the_older_on_a_tie():
    ten_percent = promo(1, "percent", "10")
    five_off = promo(2, "amount", "5")
    assert best_promotion([ten_percent, five_off], 7, 1, Decimal("100.00"), MARCH_1) is ten_percent
    assert best_promotion([ten_percent, five_off], 7, 1, Decimal("20.00"), MARCH_1) is five_off
    twin = promo(3, "amount", "5")
    assert best_promotion([twin, five_off], 7, 1, Decimal("20.00"), MARCH_1) is five_off
    expired = promo(4, "percent", "90", end=date(2026, 2, 1))
    assert best_promotion([expired], 7, 1, Decimal("20.00"), MARCH_1) is None


def test_a_percentage_is_recorded_as_such_and_a_fixed_amount_lowers_the_unit_price():
    assert discounted(Decimal("20.00"), promo(kind="percent", value="25")) == (
        Decimal("20.00"),
        Decimal("25"),
    )
    assert discounted(Decimal("20.00"), promo(kind="amount", value="2.50")) == (
        Decimal("17.50"),
        None,
    )
    assert discounted(Decimal("2.00"), promo(kind="amount", value="5")) == (Decimal("0.00"), None)
    assert discounted(Decimal("20.00"), None) == (Decimal("20.00"), None)


def test_the_day_is_the_tenants_day_at_both_edges():
    """22:30 UTC on 31 March is already 1 April in Athens (UTC+3): a promotion ending on 31
    March no longer applies there, one starting on 1 April does; in UTC it is the other way."""
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    ending, starting = (
        promo(1, end=MARCH_31),
        promo(2, start=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    athens, utc = local_today(late, "Europe/Athens"), local_today(late, "UTC")
    assert athens == date(2026, 4, 1) and utc == MARCH_31
    assert not applies(ending, 7, None, athens) and applies(starting, 7, None, athens)
    assert applies(ending, 7, None, utc) and not applies(starting, 7, None, utc)
    assert status(ending, athens) == "expired" and status(starting, utc) == "scheduled"
    assert status(promo(active=False), MARCH_1) == "inactive" and status(ending, utc) == "running"


def test_a_promotion_needs_a_value_a_product_a_known_plan_and_ordered_days():
    ok = PromotionInput("Spring", "percent", Decimal("10"), True, True, MARCH_1, MARCH_31)
    assert validate_promotion(ok) == {}
    bad = PromotionInput("", "percent", Decimal("150"), True, False, MARCH_31, MARCH_1)
    assert validate_promotion(bad) == {
        "name": [texts.PROMOTION_NAME_REQUIRED],
        "value": [texts.PROMOTION_PERCENT_RANGE],
        "plan_name": [texts.PROMOTION_PLAN_UNKNOWN],
        "ends_on": [texts.PROMOTION_DATES_INVERTED],
    }
    none = PromotionInput("x", "amount", None, False, True, None, None)
    assert set(validate_promotion(none)) == {"value", "product_code", "starts_on", "ends_on"}
