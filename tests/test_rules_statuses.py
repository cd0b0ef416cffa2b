"""Status table rules and status resolution (PRODUCT.md section 7, rule 4.4), without an app."""

from dataclasses import replace

from core import texts
from core.rules.statuses import (
    DEFAULT_ORDER_STATUSES,
    TYPE_MESSAGES,
    StatusRow,
    assignable_by_user,
    choosable_types,
    creatable_types,
    execution_outcomes,
    manual_execution_status,
    normalize_legacy,
    pickable_by_hand,
    resolve,
    resolve_executed,
    validate_offer_status_table,
    validate_order_status_table,
)
from core.rules.statuses import (
    OrderStatusType as T,
)
from core.rules.statuses import (
    StorefrontType as S,
)


def defaults() -> list[StatusRow]:
    return [
        StatusRow(
            key=str(i),
            number=no,
            description=d,
            type=t,
            storefront_type=s,
            color=c,
            mandatory_key=k,
        )
        for i, (k, no, d, t, s, c) in enumerate(DEFAULT_ORDER_STATUSES, start=1)
    ]


def custom(key="new", **kw) -> StatusRow:
    values = dict(
        key=key,
        number=10,
        description="Awaiting hardware",
        type=T.IN_PROGRESS,
        storefront_type=S.VIEWABLE,
    )
    values.update(kw)
    return StatusRow(**values)


def test_the_mandatory_default_wins_over_a_custom_status_with_a_lower_number():
    rows = defaults() + [custom(number=0)]
    assert resolve(rows, T.IN_PROGRESS, S.VIEWABLE).mandatory_key == "submitted"


def test_custom_statuses_sharing_a_combination_are_ranked_by_number():
    rows = [custom("a", number=20, description="A"), custom("b", number=5, description="B")]
    assert resolve(rows, T.IN_PROGRESS, S.VIEWABLE).key == "b"


def test_inactive_and_deleted_statuses_are_never_resolved():
    rows = [custom("a", active=False), custom("b", deleted=True, description="B")]
    assert resolve(rows, T.IN_PROGRESS, S.VIEWABLE) is None


def test_executed_looks_for_automatic_execute_submitted_before_delivered():
    rows = defaults() + [custom(type=T.DELIVERED, storefront_type=S.VIEWABLE, number=0)]
    assert resolve_executed(rows).mandatory_key == "executed"


def test_executed_falls_back_to_the_first_delivered_status():
    rows = [
        custom("d2", type=T.DELIVERED, number=9, description="D2"),
        custom("d1", type=T.DELIVERED, number=3, description="D1"),
    ]
    assert resolve_executed(rows).key == "d1"


def test_manual_execution_status_needs_active_in_progress_viewable():
    assert manual_execution_status(defaults()).mandatory_key == "submitted"
    without = [r for r in defaults() if r.mandatory_key != "submitted"]
    assert manual_execution_status(without) is None


def test_users_can_never_assign_scheduled_or_executing():
    types = {r.type for r in assignable_by_user(defaults())}
    assert T.SCHEDULED not in types and T.EXECUTING not in types


def test_a_valid_custom_status_may_be_added():
    before = defaults()
    assert validate_order_status_table(before, before + [custom()]) == {}


def test_mandatory_statuses_cannot_be_deleted_or_deactivated():
    before = defaults()
    submitted = before[1]
    deleted = [replace(submitted, deleted=True) if r is submitted else r for r in before]
    inactive = [replace(submitted, active=False) if r is submitted else r for r in before]
    assert texts.STATUS_MANDATORY_NO_DELETE in validate_order_status_table(before, deleted)["2"]
    assert (
        texts.STATUS_MANDATORY_NO_DEACTIVATE in validate_order_status_table(before, inactive)["2"]
    )


def test_a_mandatory_status_keeps_its_type_but_may_be_renamed():
    before = defaults()
    renamed = [replace(r, description="Awaiting delivery") if r.key == "2" else r for r in before]
    retyped = [replace(r, type=T.DELIVERED) if r.key == "2" else r for r in before]
    assert validate_order_status_table(before, renamed) == {}
    assert texts.STATUS_MANDATORY_TYPE_LOCKED in validate_order_status_table(before, retyped)["2"]


def test_only_one_active_automatic_execute_submitted_status():
    before = defaults()
    second = custom(type=T.AUTOMATIC_EXECUTE, storefront_type=S.SUBMITTED, description="Done")
    errors = validate_order_status_table(before, before + [second])
    assert texts.STATUS_ONE_ACTIVE_EXECUTED in errors["new"]
    inactive = replace(second, active=False)
    assert validate_order_status_table(before, before + [inactive]) == {}


def test_an_existing_row_changed_to_a_system_only_type_is_told_so_not_as_a_new_status():
    before = defaults() + [replace(custom(type=T.DELIVERED), key="9")]
    after = [replace(r, type=T.SCHEDULED) if r.key == "9" else r for r in before]
    messages = validate_order_status_table(before, after)["9"]
    assert messages == [texts.STATUS_SYSTEM_ONLY_TYPE_CHANGE]
    assert set(messages) <= TYPE_MESSAGES


def test_a_rows_type_picker_offers_what_it_may_have():
    assert choosable_types() == creatable_types()
    assert choosable_types(T.DELIVERED) == creatable_types()
    assert T.SCHEDULED in choosable_types(T.SCHEDULED)
    assert T.EXECUTING not in choosable_types(T.SCHEDULED)


def test_new_statuses_cannot_be_scheduled_or_executing_or_mandatory():
    before = defaults()
    for row in (custom(type=T.SCHEDULED), custom(type=T.EXECUTING)):
        assert (
            texts.STATUS_SYSTEM_ONLY_TYPE
            in validate_order_status_table(before, before + [row])["new"]
        )
    sneaky = custom(mandatory_key="draft")
    assert (
        texts.STATUS_CANNOT_CREATE_MANDATORY
        in validate_order_status_table(before, before + [sneaky])["new"]
    )


def test_not_viewable_is_deprecated_and_legacy_rows_become_viewable():
    before = defaults()
    errors = validate_order_status_table(before, before + [custom(storefront_type="not_viewable")])
    assert texts.STATUS_NOT_VIEWABLE_DEPRECATED in errors["new"]
    assert normalize_legacy(custom(storefront_type="not_viewable")).storefront_type == S.VIEWABLE


def test_bad_fields_are_reported_on_their_row():
    before = defaults()
    row = custom(description=" ", number=0, color="red")
    messages = validate_order_status_table(before, before + [row])["new"]
    assert texts.STATUS_DESCRIPTION_REQUIRED in messages
    assert texts.STATUS_NUMBER_RANGE in messages
    assert texts.STATUS_COLOR_INVALID in messages


def test_descriptions_are_unique():
    before = defaults()
    errors = validate_order_status_table(before, before + [custom(description="submitted")])
    assert texts.STATUS_DESCRIPTION_TAKEN in errors["new"]


def offer_rows():
    return [
        StatusRow("1", 1, "In Progress", "in_progress", mandatory_key="in_progress"),
        StatusRow("2", 2, "Accepted", "accepted", mandatory_key="accepted"),
        StatusRow("3", 3, "Lost", "cancelled", mandatory_key="lost"),
    ]


def test_an_offer_status_goes_only_while_another_of_its_type_remains():
    before = offer_rows()
    without_lost = [replace(r, deleted=True) if r.key == "3" else r for r in before]
    assert texts.OFFER_STATUS_LAST_OF_TYPE in validate_offer_status_table(before, without_lost)["3"]
    with_other = before + [StatusRow("4", 4, "Declined", "cancelled")]
    after = [replace(r, deleted=True) if r.key == "3" else r for r in with_other]
    assert validate_offer_status_table(with_other, after) == {}


# --- custom statuses in use (issue 13 point 5) ------------------------------------------------


def _names(rows):
    return [r.description for r in rows]


def test_edit_offers_a_custom_cancelled_status_by_its_description():
    denial = custom("denial", description="Canceled - Denial", type=T.CANCELLED)
    names = _names(pickable_by_hand(defaults() + [denial]))
    assert "Canceled - Denial" in names and "Canceled" in names
    assert "Submitted" in names


def test_new_order_and_edit_never_offer_draft_pending_approval_or_the_schedulers_statuses():
    rows = defaults() + [custom("c", type=T.CANCELLED, description="Canceled - Denial")]
    for picked in (pickable_by_hand(rows), pickable_by_hand(rows, new_order=True)):
        names = _names(picked)
        for never in ("Draft", "Pending Reseller Approval", "Canceled by Reseller"):
            assert never not in names
        assert {r.type for r in picked} <= {T.IN_PROGRESS, T.CANCELLED}
    assert {r.type for r in pickable_by_hand(rows, new_order=True)} == {T.IN_PROGRESS}


def test_cancelled_statuses_are_not_offered_once_something_is_executed():
    rows = defaults() + [custom("c", type=T.CANCELLED, description="Canceled - Denial")]
    assert {r.type for r in pickable_by_hand(rows, nothing_executed=False)} == {T.IN_PROGRESS}


def test_a_custom_in_progress_status_is_pickable_but_not_an_inactive_one():
    rows = defaults() + [custom(), custom("off", description="Old", active=False)]
    names = _names(pickable_by_hand(rows, new_order=True))
    assert "Awaiting hardware" in names and "Old" not in names


def test_an_execution_ends_in_executed_first_then_delivered_statuses():
    rows = defaults() + [
        custom("d2", number=20, description="Handed over", type=T.DELIVERED),
        custom("d1", number=12, description="Delivered on site", type=T.DELIVERED),
    ]
    assert _names(execution_outcomes(rows)) == ["Executed", "Delivered on site", "Handed over"]


def test_a_new_status_cannot_be_of_type_scheduled_or_executing():
    assert T.SCHEDULED not in creatable_types() and T.EXECUTING not in creatable_types()
    assert set(creatable_types()) == {T.IN_PROGRESS, T.AUTOMATIC_EXECUTE, T.DELIVERED, T.CANCELLED}
