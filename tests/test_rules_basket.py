"""Rules 4.2 and 4.3 without an app or a database."""

import pytest

from core import texts
from core.enums import ExecutionType
from core.rules import basket as rules
from core.rules.basket import MixedExecutionTypes, QuantityInvalid

A, M = ExecutionType.AUTOMATIC, ExecutionType.MANUAL


def test_an_empty_basket_has_no_execution_type_and_accepts_either():
    assert rules.basket_execution_type([]) is None
    rules.check_compatible(None, A)
    rules.check_compatible(None, M)


def test_a_basket_takes_the_type_of_its_items():
    assert rules.basket_execution_type([A, A]) == A
    assert rules.basket_execution_type([M]) == M


def test_adding_a_manual_item_to_an_automatic_basket_is_the_manual_into_automatic_case():
    with pytest.raises(MixedExecutionTypes) as error:
        rules.check_compatible(A, M)
    assert error.value.case == rules.MANUAL_INTO_AUTOMATIC
    assert rules.mixed_basket_message(error.value.case) == texts.MIXED_BASKET_MANUAL_INTO_AUTOMATIC


def test_adding_an_automatic_item_to_a_manual_basket_is_the_other_case():
    assert rules.mixed_case(M, A) == rules.AUTOMATIC_INTO_MANUAL
    assert rules.mixed_basket_message(rules.AUTOMATIC_INTO_MANUAL) == (
        texts.MIXED_BASKET_AUTOMATIC_INTO_MANUAL
    )


def test_items_of_the_same_type_fit():
    assert rules.mixed_case(A, A) is None
    assert rules.mixed_case(M, M) is None


def test_each_subscription_case_has_its_seed_pop_up_text():
    assert rules.subscription_popup_message(rules.MANUAL_INTO_AUTOMATIC) == (
        texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET
    )
    assert rules.subscription_popup_message(rules.AUTOMATIC_INTO_MANUAL) == (
        texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET
    )


@pytest.mark.parametrize("raw, expected", [("1", 1), (" 7 ", 7), ("300", 300), (5, 5)])
def test_a_whole_number_within_the_limits_is_a_quantity(raw, expected):
    assert rules.parse_quantity(raw, 1, 300) == expected


@pytest.mark.parametrize("raw", ["0", "301", "-1", "2.5", "1e2", "abc", "", None, True, "٣"])
def test_anything_else_is_refused_with_the_limits_in_the_message(raw):
    with pytest.raises(QuantityInvalid) as error:
        rules.parse_quantity(raw, 1, 300)
    assert str(error.value) == "Enter a whole number of at least 1 and at most 300."


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("", 0), (None, 0), ("00", 0), ("5", 5)])
def test_an_addon_quantity_may_be_0_for_none(raw, expected):
    assert rules.parse_addon_quantity(raw, 1, 300) == expected


@pytest.mark.parametrize("raw", ["-1", "301", "abc", "1.5"])
def test_a_wrong_addon_quantity_names_the_range_its_label_promises(raw):
    with pytest.raises(QuantityInvalid) as refused:
        rules.parse_addon_quantity(raw, 1, 300)
    assert str(refused.value) == "Enter a whole number from 0 (none) to 300."


def test_an_addon_with_a_minimum_says_0_or_from_its_minimum():
    with pytest.raises(QuantityInvalid) as refused:
        rules.parse_addon_quantity("2", 5, 50)
    assert str(refused.value) == "Enter 0 for none, or a whole number from 5 to 50."


def test_an_add_on_line_keeps_its_add_ons_limits_and_any_other_line_its_plans():
    assert rules.line_limits("addon_new", (1, 300), (2, 50)) == (2, 50)
    assert rules.line_limits("addon_quantity", None, (2, 50)) == (1, 50)  # adds to one held
    assert rules.line_limits("new", (5, 300), None) == (5, 300)
    assert rules.line_limits("licenses", None, None) == (1, rules.LINE_MAX_QUANTITY)
