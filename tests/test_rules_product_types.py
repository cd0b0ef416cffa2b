"""Rule 4.1: the Non-automatic execution option and its precondition, without an app."""

from core import texts
from core.rules.product_types import ProductTypeChange, validate_product_type
from core.rules.statuses import StatusRow
from tests.test_rules_statuses import defaults


def test_the_option_can_be_enabled_when_a_qualifying_status_exists():
    change = ProductTypeChange("Managed", is_asset=False, non_automatic_execution=True)
    assert validate_product_type(change, defaults()) == {}


def test_without_a_qualifying_status_the_exact_seed_message_is_given():
    rows = [r for r in defaults() if r.mandatory_key != "submitted"]
    change = ProductTypeChange("Managed", is_asset=False, non_automatic_execution=True)
    errors = validate_product_type(change, rows)
    assert errors["non_automatic_execution"] == [texts.NON_AUTOMATIC_PRECONDITION]
    assert texts.NON_AUTOMATIC_PRECONDITION == (
        "The Non automatic execution of new orders option cannot be activated. To activate this "
        'option, the following requirements need to be met. At least one status: is "Active", '
        'Type is "In Progress" and Storefront Type is "Viewable". '
        "Go to: Setup > Sales > Orders > Order Status"
    )


def test_an_inactive_qualifying_status_does_not_count():
    rows = [
        StatusRow("1", 1, "Waiting", "in_progress", "viewable", active=False),
        StatusRow("2", 2, "Executed", "automatic_execute", "submitted"),
    ]
    change = ProductTypeChange("Managed", False, True)
    assert "non_automatic_execution" in validate_product_type(change, rows)


def test_asset_types_have_no_such_option():
    change = ProductTypeChange("Licence Assets", is_asset=True, non_automatic_execution=True)
    assert validate_product_type(change, defaults())["non_automatic_execution"] == [
        texts.ASSET_HAS_NO_CUSTOMER_REQUEST
    ]


def test_turning_the_option_off_never_needs_the_precondition():
    change = ProductTypeChange("Managed", is_asset=False, non_automatic_execution=False)
    assert validate_product_type(change, []) == {}


def test_names_are_required_and_unique():
    change = ProductTypeChange("  ", False, False)
    assert validate_product_type(change, defaults())["name"] == [texts.PRODUCT_TYPE_NAME_REQUIRED]
    change = ProductTypeChange("cloud services", False, False)
    assert validate_product_type(change, defaults(), ["Cloud Services"])["name"] == [
        texts.PRODUCT_TYPE_NAME_TAKEN
    ]
