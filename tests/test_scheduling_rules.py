"""Pure rules of scheduled orders: the customer's calendar, the lease, credit."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from core import texts
from core.enums import ItemKind
from core.rules import scheduling as rules

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_the_window_runs_from_tomorrow_to_sixty_days_ahead_in_the_customers_zone():
    window = rules.schedule_window(NOW, "Europe/Athens")
    assert window.first == date(2026, 11, 23)
    assert window.last == date(2026, 11, 22) + timedelta(days=60)
    assert rules.default_schedule_date(NOW, "UTC") == date(2026, 11, 23)


def test_late_evening_utc_is_already_tomorrow_for_a_customer_far_east():
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert rules.local_today(late, "Asia/Tokyo") == date(2026, 11, 23)
    assert rules.schedule_window(late, "Asia/Tokyo").first == date(2026, 11, 24)


def test_today_the_past_and_beyond_sixty_days_are_refused_with_a_clear_message():
    for day in (date(2026, 11, 22), date(2026, 11, 1), date(2027, 1, 22), None):
        message = rules.schedule_date_error(day, NOW, "UTC")
        assert message and "tomorrow" in message
    assert rules.schedule_date_error(date(2026, 11, 23), NOW, "UTC") is None
    assert rules.schedule_date_error(date(2027, 1, 21), NOW, "UTC") is None
    assert texts.SCHEDULE_DATE_OUT_OF_RANGE.split("{")[0] in rules.schedule_date_error(
        None, NOW, "UTC"
    )


def test_an_order_is_due_on_its_date_in_the_customers_zone_not_before():
    assert not rules.is_due(date(2026, 11, 23), NOW, "UTC")
    assert rules.is_due(date(2026, 11, 22), NOW, "UTC")
    assert not rules.is_due(date(2026, 11, 23), NOW, "Pacific/Kiritimati")  # 23:00 there
    assert rules.is_due(date(2026, 11, 23), NOW + timedelta(hours=1), "Pacific/Kiritimati")
    assert not rules.is_due(None, NOW, "UTC")


def test_the_customer_may_cancel_only_before_the_date():
    assert rules.can_cancel_before(date(2026, 11, 23), NOW, "UTC")
    assert not rules.can_cancel_before(date(2026, 11, 22), NOW, "UTC")


def test_an_executing_claim_expires_after_the_lease():
    assert not rules.lease_expired(NOW, NOW + timedelta(minutes=9))
    assert rules.lease_expired(NOW, NOW + rules.EXECUTING_LEASE)
    assert rules.lease_expired(None, NOW)


def test_only_new_items_that_are_not_trials_can_be_scheduled():
    assert rules.is_schedulable(ItemKind.NEW, trial=False)
    assert rules.is_schedulable(ItemKind.ADDON_NEW, trial=False)
    assert not rules.is_schedulable(ItemKind.NEW, trial=True)
    for kind in (ItemKind.LICENSES, ItemKind.ADDON_QUANTITY, ItemKind.UPGRADE, ItemKind.TO_PAID):
        assert not rules.is_schedulable(kind, trial=False)


def test_credit_shortfall_is_the_amount_above_the_available_credit():
    assert rules.available_credit(None, Decimal("100")) is None
    assert rules.credit_shortfall(Decimal("600"), None, Decimal("0")) is None
    assert rules.credit_shortfall(Decimal("300"), Decimal("500"), Decimal("200")) is None
    assert rules.credit_shortfall(Decimal("350"), Decimal("500"), Decimal("200")) == Decimal(
        "50.00"
    )


def test_a_refused_date_names_the_window_in_the_format_asked():
    assert "(23/11/2026)" in rules.schedule_date_error(None, NOW, "UTC")
    us = rules.schedule_date_error(None, NOW, "UTC", lambda day: day.strftime("%m/%d/%Y"))
    assert "(11/23/2026)" in us and "(01/21/2027)" in us
