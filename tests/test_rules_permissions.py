"""Rule 4.8: which actions and fields a BSS user may use on an order (pure, no database)."""

from core import texts
from core.rules.permissions import (
    ALL_ACTIONS,
    Action,
    Field,
    OrderFacts,
    allowed_actions,
    editable_fields,
    field_refusal,
    refusal,
    status_change_refusal,
)

OPEN = OrderFacts(status_type="in_progress")
EXECUTED = OrderFacts(status_type="automatic_execute", any_executed=True, has_remaining=False)
SUB_ORDER = OrderFacts(
    status_type="automatic_execute", is_sub_order=True, any_executed=True, has_remaining=False
)
BACKORDER = OrderFacts(status_type="in_progress", is_backorder=True)


def test_an_open_order_allows_every_action():
    assert allowed_actions(OPEN) == ALL_ACTIONS
    assert Field.STATUS in editable_fields(OPEN)


def test_after_execution_only_export_print_copy_and_edit_remain():
    allowed = allowed_actions(EXECUTED)
    assert {Action.EXPORT, Action.PRINT, Action.COPY} <= allowed
    for action in (
        Action.QUICK_ADD,
        Action.UPDATE_ITEMS,
        Action.DELETE_ITEMS,
        Action.EXECUTE,
        Action.CANCEL,
        Action.DELETE,
        Action.DELIVER,
        Action.CHANGE_STATUS,
    ):
        assert action not in allowed
        assert refusal(EXECUTED, action) == texts.ORDER_LOCKED


def test_the_status_is_locked_in_edit_after_execution():
    assert Field.STATUS not in editable_fields(EXECUTED)
    assert Field.NAME in editable_fields(EXECUTED)
    assert field_refusal(EXECUTED, Field.STATUS) == texts.ORDER_LOCKED


def test_a_sub_order_is_locked_like_an_executed_order_but_can_be_copied():
    assert allowed_actions(SUB_ORDER) == allowed_actions(EXECUTED)
    assert refusal(SUB_ORDER, Action.COPY) is None


def test_a_delivered_status_locks_the_order_too():
    assert Action.QUICK_ADD not in allowed_actions(OrderFacts(status_type="delivered"))


def test_a_cancelled_order_cannot_be_executed_or_changed():
    cancelled = OrderFacts(status_type="cancelled")
    assert Action.EXECUTE not in allowed_actions(cancelled)
    assert Action.QUICK_ADD not in allowed_actions(cancelled)


def test_a_partly_executed_order_can_still_be_executed_and_extended_but_not_cancelled():
    partly = OrderFacts(status_type="in_progress", any_executed=True, has_remaining=True)
    allowed = allowed_actions(partly)
    assert {Action.EXECUTE, Action.QUICK_ADD, Action.UPDATE_ITEMS} <= allowed
    assert Action.CANCEL not in allowed
    assert refusal(partly, Action.CANCEL) == texts.ORDER_PARTLY_EXECUTED


def test_an_order_waiting_for_the_reseller_cannot_be_executed():
    waiting = OrderFacts(status_type="in_progress", awaiting_reseller_approval=True)
    assert refusal(waiting, Action.EXECUTE) == texts.ORDER_AWAITING_APPROVAL


def test_an_order_with_nothing_left_cannot_be_executed():
    done = OrderFacts(status_type="in_progress", any_executed=True, has_remaining=False)
    assert refusal(done, Action.EXECUTE) == texts.ORDER_NOTHING_LEFT


def test_the_distributor_may_not_touch_a_back_orders_items_or_execution():
    for action in (
        Action.DELETE,
        Action.EXECUTE,
        Action.COPY,
        Action.DELIVER,
        Action.QUICK_ADD,
        Action.UPDATE_ITEMS,
        Action.DELETE_ITEMS,
        Action.CANCEL,
        Action.CHANGE_STATUS,
    ):
        assert action not in allowed_actions(BACKORDER)
        assert refusal(BACKORDER, action) == texts.BACKORDER_ACTION_REFUSED


def test_the_distributor_may_view_print_outs_and_add_activities_emails_and_cases():
    assert {
        Action.PRINT,
        Action.EXPORT,
        Action.EDIT,
        Action.ADD_ACTIVITY,
        Action.RELATE_EMAIL,
        Action.CREATE_CASE,
    } <= allowed_actions(BACKORDER)


def test_the_distributor_may_edit_only_the_listed_header_fields_of_a_back_order():
    assert editable_fields(BACKORDER) == {
        Field.NAME,
        Field.TYPE,
        Field.PAYMENT_METHOD,
        Field.SALES_REP,
        Field.CONTACT,
        Field.CAMPAIGN,
        Field.RESPONSIBLE_USER,
        Field.CUSTOM_FIELDS,
    }
    assert field_refusal(BACKORDER, Field.STATUS) == texts.BACKORDER_ACTION_REFUSED


def test_an_executed_back_order_stays_restricted_and_locked():
    executed_backorder = OrderFacts(
        status_type="automatic_execute", is_backorder=True, has_remaining=False
    )
    assert refusal(executed_backorder, Action.COPY) == texts.BACKORDER_ACTION_REFUSED
    assert Field.PAYMENT_METHOD not in editable_fields(executed_backorder)


# --- what an execution's confirmation warns about (issue 13 point 11) -------------------------


def test_the_execution_confirmation_warns_about_credit_and_payment_holds_only():
    from core.rules.execution_plan import holds_to_warn

    assert holds_to_warn(["manual_execution"]) == []
    assert holds_to_warn(["payment_failed", "manual_execution", "credit_limit"]) == [
        "credit_limit",
        "payment_failed",
    ]


def test_a_scheduled_order_waits_for_its_date_it_is_not_executed_or_changed_by_hand():
    """A tester executed a customer's Scheduled card order from the BSS: executed without the
    card being charged, an open invoice left to a card-only customer. The scheduler executes
    it on its date (charging the card then); staff may cancel it, not execute or change it."""
    scheduled = OrderFacts(status_type="scheduled")
    allowed = allowed_actions(scheduled)
    for action in (Action.EXECUTE, Action.QUICK_ADD, Action.UPDATE_ITEMS, Action.DELETE_ITEMS):
        assert action not in allowed, action
        assert refusal(scheduled, action) == texts.ORDER_SCHEDULED
    assert Action.CANCEL in allowed and Action.EDIT in allowed
    # being executed by the scheduler right now: not cancelled under its feet either
    executing = OrderFacts(status_type="executing")
    for action in (Action.EXECUTE, Action.CANCEL, Action.DELETE, Action.QUICK_ADD):
        assert action not in allowed_actions(executing), action
        assert refusal(executing, action) == texts.ORDER_EXECUTING


# --- the order's holds, not only its status, decide (tester's Edit defects) -----------------


def test_an_open_scheduled_hold_refuses_execution_whatever_the_status():
    """A tester moved a Scheduled order to Submitted in Edit, then executed it by hand: no
    card charged, the Scheduled hold released by execution. The hold decides, not the status."""
    moved = OrderFacts(status_type="in_progress", scheduled_hold_open=True)
    for action in (Action.EXECUTE, Action.QUICK_ADD, Action.UPDATE_ITEMS, Action.CHANGE_STATUS):
        assert action not in allowed_actions(moved), action
        assert refusal(moved, action) == texts.ORDER_SCHEDULED
    assert Action.CANCEL in allowed_actions(moved)


def test_a_scheduled_orders_status_changes_by_hand_only_to_cancelled():
    for facts in (
        OrderFacts(status_type="scheduled", scheduled_hold_open=True),
        OrderFacts(status_type="in_progress", scheduled_hold_open=True),
    ):
        assert status_change_refusal(facts, "in_progress") == texts.ORDER_SCHEDULED
        assert status_change_refusal(facts, "cancelled") is None  # staff may cancel it
        assert Field.STATUS in editable_fields(facts)


def test_an_order_waiting_for_the_reseller_keeps_its_status_but_may_be_cancelled():
    waiting = OrderFacts(status_type="in_progress", awaiting_reseller_approval=True)
    assert status_change_refusal(waiting, "in_progress") == texts.ORDER_AWAITING_APPROVAL_STATUS
    assert status_change_refusal(waiting, "cancelled") is None  # as Cancel order allows
    assert refusal(waiting, Action.CANCEL) is None


def test_an_executing_orders_status_is_not_changed_nor_cancelled():
    executing = OrderFacts(status_type="executing")
    assert status_change_refusal(executing, "in_progress") == texts.ORDER_EXECUTING
    assert status_change_refusal(executing, "cancelled") == texts.ORDER_EXECUTING
    assert Field.STATUS not in editable_fields(executing)
    assert field_refusal(executing, Field.STATUS) == texts.ORDER_EXECUTING


def test_an_open_order_may_take_an_in_progress_or_cancelled_status():
    assert status_change_refusal(OPEN, "in_progress") is None
    assert status_change_refusal(OPEN, "cancelled") is None
    partly = OrderFacts(status_type="in_progress", any_executed=True, has_remaining=True)
    assert status_change_refusal(partly, "cancelled") == texts.ORDER_PARTLY_EXECUTED


def test_a_cancelled_order_says_it_is_cancelled_not_executed():
    cancelled = OrderFacts(status_type="cancelled")
    for action in (Action.CANCEL, Action.QUICK_ADD, Action.EXECUTE, Action.UPDATE_ITEMS):
        assert refusal(cancelled, action) == texts.ORDER_CANCELLED, action
    assert field_refusal(cancelled, Field.STATUS) == texts.ORDER_CANCELLED
    assert status_change_refusal(cancelled, "in_progress") == texts.ORDER_CANCELLED
    assert texts.ORDER_CANCELLED != texts.ORDER_LOCKED
    assert refusal(EXECUTED, Action.CANCEL) == texts.ORDER_LOCKED  # executed ones unchanged


def test_an_accounts_payment_methods_card_always_on_account_only_when_allowed():
    from core.rules.accounts import allowed_payment_methods

    assert allowed_payment_methods("card") == ("card",)
    assert set(allowed_payment_methods("on_account")) == {"card", "on_account"}


def test_an_order_without_items_says_so_rather_than_all_executed():
    """An empty order has nothing left to execute, but not because it was executed."""
    empty = OrderFacts(status_type="in_progress", has_remaining=False, has_items=False)
    assert refusal(empty, Action.EXECUTE) == texts.ORDER_EMPTY
    done = OrderFacts(status_type="in_progress", has_remaining=False)
    assert refusal(done, Action.EXECUTE) == texts.ORDER_NOTHING_LEFT
