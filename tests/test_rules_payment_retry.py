"""Pay now's rule (issue 13, point 9): when a failed card payment may be paid again, and the
idempotency key of each attempt. Plain functions, no app and no database."""

from __future__ import annotations

import pytest

from core.rules.payment_retry import (
    PayNowFacts,
    attempt_key,
    can_pay_now,
    next_attempt,
    parse_attempt,
)
from core.services.payments import split_expiry

WAITING_FOR_PAYMENT = PayNowFacts(
    status_type="in_progress",
    payment_method="card",
    open_holds=frozenset({"payment_failed"}),
    anything_executed=False,
    already_paid=False,
)


def test_a_submitted_card_order_waiting_only_for_its_failed_payment_can_be_paid_now():
    assert can_pay_now(WAITING_FOR_PAYMENT)


@pytest.mark.parametrize(
    "change",
    [
        {"open_holds": frozenset()},  # paid, or never failed
        {"open_holds": frozenset({"payment_failed", "credit_limit"})},  # credit review first
        {"open_holds": frozenset({"manual_execution"})},
        {"status_type": "cancelled"},
        {"status_type": "delivered"},
        {"payment_method": "on_account"},
        {"anything_executed": True},
        {"already_paid": True},
    ],
)
def test_pay_now_is_refused_for_any_other_order(change):
    facts = PayNowFacts(**{**WAITING_FOR_PAYMENT.__dict__, **change})
    assert not can_pay_now(facts)


def test_each_attempt_has_its_own_key_derived_from_the_order_and_attempt():
    assert attempt_key("t1-abc-charge", 1) == "t1-abc-charge"  # the checkout's charge
    assert attempt_key("t1-abc-charge", 2) == "t1-abc-charge-attempt2"
    assert len({attempt_key("t1-abc-charge", n) for n in range(1, 6)}) == 5
    with pytest.raises(ValueError):
        attempt_key("t1-abc-charge", 0)


def test_the_next_attempt_follows_the_payments_made():
    assert next_attempt(1) == 2
    assert next_attempt(0) == 1


@pytest.mark.parametrize(
    "raw, expected", [("2", 2), (" 3 ", 3), ("", None), ("x", None), ("0", None), (None, None)]
)
def test_the_attempt_a_form_carries_is_read_or_ignored(raw, expected):
    assert parse_attempt(raw) == expected


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("12/28", ("12", "28")),
        ("12 / 2028", ("12", "2028")),
        ("1228", ("12", "28")),
        ("12-28", ("12", "28")),
        ("", ("", "")),
        ("december", ("", "")),
    ],
)
def test_the_card_expiry_is_typed_in_one_field(typed, expected):
    assert split_expiry(typed) == expected
