"""Prices with their unit and totals by billing cycle (issue 13, point 12): pure rules."""

from decimal import Decimal

import pytest

from core.rules.pricing import (
    MergeTooLarge,
    format_money,
    line_amount,
    merged_quantity,
    price_for_cycles,
    price_unit,
    price_with_unit,
    split_totals,
)


@pytest.mark.parametrize(
    ("cycle", "unit", "expected"),
    [
        ("monthly", "user", "€9.00 per user / month"),
        ("annual", "user", "€9.00 per user / year"),
        ("monthly", "", "€9.00 per month"),
        ("one_off", "", "€9.00 one-off"),
        ("one_off", "licence", "€9.00 per licence, one-off"),
        (None, "user", "€9.00 per user"),
        (None, None, "€9.00"),
    ],
)
def test_a_price_reads_with_its_unit_and_billing_cycle(cycle, unit, expected):
    assert price_with_unit(Decimal("9"), cycle, unit) == expected


def test_the_seed_examples_read_word_for_word():
    assert price_with_unit(Decimal("9.00"), "monthly", "user") == "€9.00 per user / month"
    assert price_with_unit(Decimal("450"), "one_off", "") == "€450.00 one-off"
    assert price_unit("monthly", "  host ") == "per host / month"


def test_money_keeps_cents_thousands_and_the_sign():
    assert format_money(Decimal("1234.5")) == "€1,234.50"
    assert format_money(Decimal("-3"), "USD") == "-$3.00"
    assert format_money(Decimal("7"), "CHF") == "CHF 7.00"


def test_totals_are_split_into_monthly_annual_and_one_off():
    totals = split_totals(
        [
            ("monthly", Decimal("23.40")),
            ("monthly", Decimal("2.00")),
            ("annual", Decimal("126.00")),
            ("one_off", Decimal("450.00")),
        ]
    )
    assert (totals.monthly, totals.annual, totals.one_off) == (
        Decimal("25.40"),
        Decimal("126.00"),
        Decimal("450.00"),
    )
    assert totals.total == Decimal("601.40")
    assert [label for label, _ in totals.rows] == [
        "Total per month (excl. taxes)",
        "Total per year (excl. taxes)",
        "One-off total (excl. taxes)",
    ]


def test_lines_of_one_kind_show_that_total_and_an_empty_set_a_zero_total():
    assert split_totals([("one_off", Decimal("450"))]).rows == [
        ("One-off total (excl. taxes)", Decimal("450.00"))
    ]
    assert split_totals([]).rows == [("Total (excl. taxes)", Decimal("0.00"))]


def test_a_line_of_unknown_cycle_counts_as_one_off():
    assert split_totals([(None, Decimal("5"))]).one_off == Decimal("5.00")


def test_a_line_amount_applies_quantity_and_promotion_to_the_cent():
    assert line_amount(Decimal("11.70"), 3, None) == Decimal("35.10")
    assert line_amount(Decimal("11.70"), 3, Decimal("10")) == Decimal("31.59")


def test_adding_a_plan_again_raises_its_quantity_up_to_the_maximum():
    assert merged_quantity(2, 3, 300) == 5
    assert merged_quantity(2, 8, 10) == 10
    with pytest.raises(MergeTooLarge, match="maximum of 10"):
        merged_quantity(5, 6, 10)


def test_a_price_billed_with_the_plan_reads_each_cycle_it_may_have():
    assert price_for_cycles(Decimal("2"), ["monthly"], "user") == "€2.00 per user / month"
    assert price_for_cycles(Decimal("2"), ["monthly", "annual", "monthly"], "user") == (
        "€2.00 per user / month or €2.00 per user / year, billed with the plan"
    )
    assert price_for_cycles(Decimal("2"), [], "") == "€2.00"
