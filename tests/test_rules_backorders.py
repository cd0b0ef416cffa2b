"""Back-order rules (PRODUCT.md section 8), without an app or a database."""

import pytest

from core import texts
from core.enums import ItemKind
from core.rules.backorders import (
    BackorderAction,
    ExecutedLine,
    Relation,
    classify,
    event_key,
    is_full_upgrade,
    relation,
    ribbon_text,
    triggers_backorder,
)


def line(kind, quantity=1, **extra) -> ExecutedLine:
    return ExecutedLine(item_id=extra.pop("item_id", 1), kind=kind, quantity=quantity, **extra)


@pytest.mark.parametrize(
    "executed, action",
    [
        ([line(ItemKind.NEW)], BackorderAction.NEW_SUBSCRIPTION),
        ([line(ItemKind.LICENSES, has_subscription=True)], BackorderAction.QUANTITY_CHANGE),
        ([line(ItemKind.ADDON_NEW, has_subscription=True)], BackorderAction.ADDON_ADDED),
        ([line(ItemKind.ADDON_QUANTITY, has_subscription=True)], BackorderAction.ADDON_QUANTITY),
        ([line(ItemKind.TO_PAID, has_subscription=True)], BackorderAction.TRIAL_TO_PAID),
        ([line(ItemKind.UPGRADE, has_subscription=True)], BackorderAction.UPGRADE),
        (
            [line(ItemKind.NEW), line(ItemKind.NEW, item_id=2)],
            BackorderAction.BASKET_CHECKOUT,
        ),
        (
            [line(ItemKind.NEW), line(ItemKind.LICENSES, item_id=2, has_subscription=True)],
            BackorderAction.BASKET_CHECKOUT,
        ),
        ([line(ItemKind.NEW, one_off=True)], BackorderAction.BASKET_CHECKOUT),
    ],
)
def test_an_execution_is_classified_as_the_action_the_reseller_took(executed, action):
    assert classify(executed) == action


def test_an_addon_bought_with_a_new_subscription_is_part_of_that_new_subscription():
    executed = [
        line(ItemKind.NEW, 5),
        line(ItemKind.ADDON_NEW, 5, item_id=2, belongs_to_new_item=True),
    ]
    assert classify(executed) == BackorderAction.NEW_SUBSCRIPTION


def test_the_rest_of_a_partly_executed_new_subscription_is_a_quantity_change():
    assert classify([line(ItemKind.NEW, 2, has_subscription=True)]) == (
        BackorderAction.QUANTITY_CHANGE
    )


def test_nothing_executed_triggers_nothing():
    assert not triggers_backorder([])
    assert not triggers_backorder([line(ItemKind.NEW, 0)])
    assert triggers_backorder([line(ItemKind.NEW, 1)])
    with pytest.raises(ValueError):
        classify([line(ItemKind.NEW, 0)])


@pytest.mark.parametrize(
    "executed, expected",
    [
        (line(ItemKind.NEW), Relation.ORDER_FIELD),
        (line(ItemKind.TO_PAID, has_subscription=True), Relation.ORDER_FIELD),
        (line(ItemKind.UPGRADE, 10, subscription_quantity=10), Relation.ORDER_FIELD),
        (line(ItemKind.LICENSES, has_subscription=True), Relation.HISTORY_LINE),
        (line(ItemKind.NEW, has_subscription=True), Relation.HISTORY_LINE),
        (line(ItemKind.UPGRADE, 3, subscription_quantity=10), Relation.HISTORY_LINE),
        (line(ItemKind.ADDON_NEW, has_subscription=True), Relation.ADDON_SOURCE),
        (line(ItemKind.ADDON_QUANTITY, has_subscription=True), Relation.ADDON_SOURCE),
        (line(ItemKind.NEW, one_off=True), Relation.NONE),
    ],
)
def test_the_subscription_view_relates_the_backorder_by_the_seed_rules(executed, expected):
    assert relation(executed) == expected


def test_an_upgrade_of_every_licence_is_a_full_upgrade():
    assert is_full_upgrade(10, 10)
    assert is_full_upgrade(12, 10)
    assert not is_full_upgrade(4, 10)
    assert is_full_upgrade(4, None)


def test_each_execution_of_an_order_has_its_own_stable_event_key():
    assert event_key(2, 15, 3) == event_key(2, 15, 3)  # a retry computes the same key
    assert event_key(2, 15, 3) != event_key(2, 15, 5)  # a later partial execution
    assert event_key(2, 15, 3) != event_key(3, 15, 3)  # another tenant
    assert len(event_key(10**9, 10**12, 10**9)) <= 120  # fits the column


def test_the_ribbon_names_the_reseller_word_for_word():
    assert ribbon_text("Skyline Cloud") == (
        "This order was originated from Skyline Cloud Tenant Reseller purchases"
    )
    assert texts.BACKORDER_RIBBON.format(reseller="X") == ribbon_text("X")
