"""Rule 4.5: placement decides holds and outcome; scheduling window (5.5). Pure."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

from core.enums import ExecutionType, HoldReason, ItemKind, PaymentMethod
from core.rules import scheduling_window as window
from core.rules.placement import PlacementFacts, decide
from core.rules.statuses import StatusKey

A, M = ExecutionType.AUTOMATIC, ExecutionType.MANUAL


def facts(**kw):
    base = dict(execution_type=A, total=D("100"), payment_method=PaymentMethod.CARD)
    base.update(kw)
    return PlacementFacts(**base)


def test_an_automatic_order_without_reasons_is_charged_and_executed():
    decision = decide(facts())
    assert decision.executes_now and decision.charge
    assert decision.status_key == StatusKey.EXECUTED


def test_a_free_order_executes_without_a_charge():
    assert not decide(facts(total=D("0"))).charge


def test_a_manual_order_is_submitted_with_a_manual_execution_hold_and_no_charge():
    decision = decide(facts(execution_type=M))
    assert decision.status_key == StatusKey.SUBMITTED
    assert decision.reasons == [HoldReason.MANUAL_EXECUTION] and not decision.charge


def test_credit_is_enforced_for_manual_orders_too():
    decision = decide(facts(execution_type=M, credit_excess=D("10")))
    assert decision.reasons == [HoldReason.MANUAL_EXECUTION, HoldReason.CREDIT_LIMIT]


def test_an_automatic_order_over_the_limit_waits_with_the_figures_in_the_hold():
    decision = decide(facts(credit_excess=D("20.50")), money=lambda a: f"€{a}")
    assert decision.status_key == StatusKey.SUBMITTED
    assert "€20.50" in decision.holds[0].detail and "€100" in decision.holds[0].detail


def test_a_scheduled_order_waits_for_its_date():
    decision = decide(facts(scheduled_for=date(2030, 1, 2)))
    assert decision.status_key == StatusKey.SCHEDULED
    assert (
        decision.holds[0].reason == HoldReason.SCHEDULED
        and decision.holds[0].detail == "2030-01-02"
    )


def test_a_customer_of_a_standard_reseller_waits_for_approval_first():
    decision = decide(facts(execution_type=M, needs_reseller_approval=True))
    assert decision.status_key == StatusKey.PENDING_RESELLER_APPROVAL
    assert decision.reasons == [HoldReason.RESELLER_APPROVAL]


def test_after_the_reseller_approves_the_rest_is_decided_again():
    approved = frozenset({HoldReason.RESELLER_APPROVAL})
    assert decide(facts(needs_reseller_approval=True, released=approved)).executes_now
    manual = decide(facts(execution_type=M, needs_reseller_approval=True, released=approved))
    assert manual.reasons == [HoldReason.MANUAL_EXECUTION]


def test_a_released_schedule_or_credit_hold_is_not_placed_again():
    released = frozenset({HoldReason.SCHEDULED, HoldReason.CREDIT_LIMIT})
    decision = decide(
        facts(scheduled_for=date(2030, 1, 2), credit_excess=D("5"), released=released)
    )
    assert decision.executes_now


NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)


def test_the_window_runs_from_tomorrow_to_60_days_ahead_in_the_customers_zone():
    assert window.window(NOW, "UTC") == (date(2026, 3, 11), date(2026, 5, 9))
    # already the 11th in Athens: tomorrow there is the 12th
    assert window.window(NOW, "Europe/Athens")[0] == date(2026, 3, 12)
    assert not window.date_allowed(date(2026, 3, 10), NOW, "UTC")
    assert window.date_allowed(date(2026, 5, 9), NOW, "UTC")
    assert not window.date_allowed(date(2026, 5, 10), NOW, "UTC")


def test_only_new_subscriptions_and_one_off_products_delivered_automatically_can_be_scheduled():
    new = window.SchedulableLine(ItemKind.NEW, trial=False)
    addon = window.SchedulableLine(ItemKind.ADDON_NEW, trial=False)
    assert window.can_schedule([new, addon], A)
    assert not window.can_schedule([new], M)
    assert not window.can_schedule([window.SchedulableLine(ItemKind.NEW, trial=True)], A)
    for kind in (ItemKind.LICENSES, ItemKind.ADDON_QUANTITY, ItemKind.UPGRADE, ItemKind.TO_PAID):
        assert not window.can_schedule([new, window.SchedulableLine(kind, trial=False)], A)
    existing_addon = window.SchedulableLine(
        ItemKind.ADDON_NEW, False, for_existing_subscription=True
    )
    assert not window.can_schedule([existing_addon], A)
