"""Why an order on the BSS dashboard waits and for how long (issue 13, point 15)."""

from datetime import UTC, datetime, timedelta

from core.enums import HoldReason
from core.rules.waiting import OpenHold, Waited, waited, waiting_reasons, waiting_since

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_reasons_come_in_a_fixed_order_once_each():
    holds = [
        OpenHold(HoldReason.PAYMENT_FAILED, NOW),
        OpenHold(HoldReason.MANUAL_EXECUTION, NOW),
        OpenHold(HoldReason.CREDIT_LIMIT, NOW),
        OpenHold(HoldReason.MANUAL_EXECUTION, NOW),
    ]
    assert waiting_reasons(holds) == ("manual_execution", "credit_limit", "payment_failed")
    assert waiting_reasons([OpenHold(HoldReason.RESELLER_APPROVAL, NOW)]) == ("reseller_approval",)
    assert waiting_reasons([]) == ()


def test_the_wait_counts_from_the_oldest_open_hold_else_the_order_date():
    ordered = NOW - timedelta(days=3)
    holds = [
        OpenHold(HoldReason.CREDIT_LIMIT, NOW - timedelta(hours=2)),
        OpenHold(HoldReason.PAYMENT_FAILED, NOW - timedelta(hours=5)),
    ]
    assert waiting_since(ordered, holds) == NOW - timedelta(hours=5)
    assert waiting_since(ordered, []) == ordered


def test_durations_read_in_minutes_hours_then_days():
    assert waited(NOW - timedelta(seconds=30), NOW) == Waited(0, "min")
    assert waited(NOW - timedelta(minutes=59, seconds=59), NOW) == Waited(59, "min")
    assert waited(NOW - timedelta(hours=3, minutes=50), NOW) == Waited(3, "h")
    assert waited(NOW - timedelta(hours=47), NOW) == Waited(47, "h")
    assert waited(NOW - timedelta(days=5, hours=23), NOW) == Waited(5, "d")
    assert waited(NOW + timedelta(minutes=5), NOW) == Waited(0, "min")  # clock skew: never < 0


def test_the_customer_reads_why_an_open_order_waits_but_not_twice_nor_once_closed():
    from core.rules.waiting import customer_waiting_reasons

    now = datetime(2026, 1, 1)
    holds = [
        OpenHold(HoldReason.SCHEDULED, now),
        OpenHold(HoldReason.CREDIT_LIMIT, now),
        OpenHold(HoldReason.PAYMENT_FAILED, now),
        OpenHold(HoldReason.MANUAL_EXECUTION, now),
    ]
    # payment failed and scheduled have their own boxes on the page
    assert customer_waiting_reasons(holds, closed=False) == (
        HoldReason.MANUAL_EXECUTION,
        HoldReason.CREDIT_LIMIT,
    )
    assert customer_waiting_reasons(holds, closed=True) == ()


def test_an_item_of_a_cancelled_order_is_not_delivered():
    from core.rules.waiting import item_delivery

    assert item_delivery(0, 2, cancelled=False) == "pending"
    assert item_delivery(1, 2, cancelled=False) == "partial"
    assert item_delivery(2, 2, cancelled=False) == "delivered"
    assert item_delivery(0, 2, cancelled=True) == "cancelled"
    assert item_delivery(1, 2, cancelled=True) == "cancelled_partial"
    assert item_delivery(2, 2, cancelled=True) == "delivered"
