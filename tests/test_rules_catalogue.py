"""The catalogue's rules (issue 15), without an app or a database."""

from __future__ import annotations

from core import texts
from core.rules.catalogue import (
    BillingKind,
    ProductInput,
    ProductStatus,
    changes,
    decode_cursor,
    encode_cursor,
    product_status,
    retired_names,
    sold_on_storefront,
    validate_product,
)
from core.rules.permissions import can_manage_catalogue


def product(**values) -> ProductInput:
    base = dict(
        code="M365-STD",
        name="Microsoft 365",
        description="",
        product_type_id=1,
        billing_kind=BillingKind.RECURRING,
        published=True,
    )
    base.update(values)
    return ProductInput(**base).cleaned()


def errors_of(values: ProductInput, taken=()) -> dict:
    return validate_product(values, product_type_ids=[1, 2], taken_codes=taken)


def test_a_complete_product_may_be_saved():
    assert errors_of(product()) == {}
    assert errors_of(product(code="backup_1.v2", billing_kind=BillingKind.ONE_OFF)) == {}


def test_the_code_is_required_short_plain_and_unique_whatever_its_case():
    assert errors_of(product(code="  ")) == {"code": [texts.CATALOGUE_CODE_REQUIRED]}
    assert errors_of(product(code="A" * 61))["code"] == [
        texts.CATALOGUE_CODE_TOO_LONG.format(max=60)
    ]
    for bad in ("-LEADING", "WITH SPACE", "semi;colon", "=1+2", "ÜBER"):
        assert errors_of(product(code=bad)) == {"code": [texts.CATALOGUE_CODE_INVALID]}, bad
    assert errors_of(product(code="m365-std"), taken=["M365-STD"]) == {
        "code": [texts.CATALOGUE_CODE_TAKEN]
    }


def test_name_type_and_billing_kind_are_checked_and_every_field_says_what_is_wrong():
    found = errors_of(
        product(name=" ", product_type_id=99, billing_kind="weekly", description="x" * 5001)
    )
    assert found == {
        "name": [texts.CATALOGUE_NAME_REQUIRED],
        "product_type_id": [texts.CATALOGUE_PRODUCT_TYPE_INVALID],
        "billing_kind": [texts.CATALOGUE_BILLING_KIND_INVALID],
        "description": [texts.CATALOGUE_DESCRIPTION_TOO_LONG.format(max=5000)],
    }
    assert errors_of(product(product_type_id=None))["product_type_id"]
    assert errors_of(product(name="n" * 201))["name"]


def test_a_product_is_sold_on_the_storefront_only_when_published_and_not_retired():
    assert product_status(True, True) == ProductStatus.PUBLISHED
    assert product_status(True, False) == ProductStatus.UNPUBLISHED
    assert product_status(False, True) == ProductStatus.RETIRED
    assert product_status(False, False) == ProductStatus.RETIRED
    assert sold_on_storefront(True, True)
    assert not sold_on_storefront(True, False)
    assert not sold_on_storefront(False, True)


def test_changes_list_only_the_fields_that_differ_as_before_and_after():
    before = {"name": "Old", "published": True, "code": "A"}
    after = {"name": "New", "published": True, "code": "A"}
    assert changes(before, after) == {"name": ["Old", "New"]}
    assert changes({}, {"name": "New"}) == {"name": [None, "New"]}


def test_the_list_cursor_round_trips_and_refuses_anything_else():
    cursor = encode_cursor("Zeta | Service", 42)
    assert decode_cursor(cursor) == ("Zeta | Service", 42)
    for junk in (None, "", "not-base64!!", encode_cursor("x", 0)[:-1] + "@", "MHx4"):
        assert decode_cursor(junk) is None, junk


def test_only_the_catalogue_roles_manage_the_catalogue():
    assert can_manage_catalogue("admin")
    assert not can_manage_catalogue("operator")
    assert not can_manage_catalogue("customer")
    assert not can_manage_catalogue(None)


# --- plans and add-ons --------------------------------------------------------------------------


def test_quantity_limits_are_whole_numbers_in_order():
    from core.rules.catalogue import quantity_range_errors

    assert quantity_range_errors(1, 1) == {}
    assert quantity_range_errors(5, 2) == {"max_quantity": [texts.QUANTITY_RANGE_INVERTED]}
    invalid = [texts.QUANTITY_LIMIT_INVALID.format(max=100_000)]
    assert quantity_range_errors(0, None) == {"min_quantity": invalid, "max_quantity": invalid}
    assert quantity_range_errors(1, 100_001) == {"max_quantity": invalid}


def test_a_plan_has_a_known_cycle_and_a_one_off_plan_no_commitment():
    from core.rules.catalogue import PlanInput, validate_plan

    assert validate_plan(PlanInput("Annual", "annual", 12, 1, 300)) == {}
    assert validate_plan(PlanInput("Set-up", "one_off", 0, 1, 1)) == {}
    assert validate_plan(PlanInput("Set-up", "one_off", 12, 1, 1)) == {
        "commitment_months": [texts.PLAN_ONE_OFF_NO_COMMITMENT]
    }
    found = validate_plan(PlanInput("", "weekly", 121, 1, 1))
    assert found == {
        "name": [texts.PLAN_NAME_REQUIRED],
        "billing_cycle": [texts.PLAN_CYCLE_INVALID],
        "commitment_months": [texts.PLAN_COMMITMENT_INVALID.format(max=120)],
    }


def test_an_addon_needs_a_name_and_valid_limits():
    from core.rules.catalogue import AddOnInput, validate_addon

    assert validate_addon(AddOnInput("Extra vCPU", 1, 64)) == {}
    assert set(validate_addon(AddOnInput("x" * 121, 3, 2))) == {"name", "max_quantity"}


def test_a_plans_own_trial_wins_and_a_plan_without_one_takes_the_products():
    from core.rules.catalogue import longest_trial, trial_days_for

    assert trial_days_for(14, 30) == 14  # the plan's length wins
    assert trial_days_for(None, 30) == 30  # the product's is the default
    assert trial_days_for(0, 30) is None  # 0: this plan has no trial
    assert trial_days_for(7, None) == 7  # a trial on one plan of a product without one
    assert trial_days_for(None, None) is None
    assert trial_days_for(None, 0) is None
    assert longest_trial([None, 0, 14], 30) == 30
    assert longest_trial([0, 0], 30) is None
    assert longest_trial([None, 7], None) == 7
    assert longest_trial([], 30) is None


def test_a_plans_trial_is_a_whole_number_of_days_up_to_a_year():
    from core.rules.catalogue import PlanInput, validate_plan

    for days in (None, 0, 1, 365):
        assert validate_plan(PlanInput("Annual", "annual", 12, 1, 300, days)) == {}, days
    refused = {"trial_days": [texts.PLAN_TRIAL_INVALID.format(max=365)]}
    for days in (-1, 366):
        assert validate_plan(PlanInput("Annual", "annual", 12, 1, 300, days)) == refused, days


def test_a_plan_name_is_unique_in_its_product_whatever_its_case():
    from core.rules.catalogue import AddOnInput, PlanInput, validate_addon, validate_plan

    taken = ["Monthly", "Annual"]
    assert validate_plan(PlanInput("Quarterly", "monthly", 0, 1, 5), taken_names=taken) == {}
    for name in ("Monthly", "monthly", "ANNUAL"):
        found = validate_plan(PlanInput(name, "monthly", 0, 1, 5), taken_names=taken)
        assert found == {"name": [texts.PLAN_NAME_TAKEN]}, name
    found = validate_addon(AddOnInput("extra storage", 1, 5), taken_names=["Extra Storage"])
    assert found == {"name": [texts.ADDON_NAME_TAKEN]}


def test_a_plans_cycle_agrees_with_its_products_billing_kind():
    from core.rules.catalogue import PlanInput, validate_plan

    one_off, recurring = "one_off", "recurring"
    assert validate_plan(PlanInput("Set-up", "one_off", 0, 1, 1), billing_kind=one_off) == {}
    assert validate_plan(PlanInput("Set-up", "one_off", 0, 1, 1, 0), billing_kind=one_off) == {}
    for cycle in ("monthly", "annual"):
        assert validate_plan(PlanInput("M", cycle, 12, 1, 5, 30), billing_kind=recurring) == {}
        assert validate_plan(PlanInput("M", cycle, 0, 1, 5), billing_kind=one_off) == {
            "billing_cycle": [texts.PLAN_CYCLE_NOT_ONE_OFF]
        }, cycle
    assert validate_plan(PlanInput("Set-up", "one_off", 0, 1, 1), billing_kind=recurring) == {
        "billing_cycle": [texts.PLAN_CYCLE_NOT_RECURRING]
    }
    # a one-off plan has no free trial, whatever its product
    assert validate_plan(PlanInput("Set-up", "one_off", 0, 1, 1, 30), billing_kind=one_off) == {
        "trial_days": [texts.PLAN_ONE_OFF_NO_TRIAL]
    }


def test_a_products_billing_kind_changes_only_when_its_plans_agree():
    from core.rules.catalogue import ProductInput, validate_product

    def kind(billing_kind, cycles):
        values = ProductInput("X-1", "X", "", 1, billing_kind, True)
        return validate_product(values, product_type_ids=[1], plan_cycles=cycles)

    assert kind("one_off", ["one_off"]) == {}
    assert kind("recurring", ["monthly", "annual"]) == {}
    assert kind("one_off", []) == {} and kind("recurring", []) == {}
    assert kind("one_off", ["one_off", "monthly"]) == {
        "billing_kind": [texts.CATALOGUE_BILLING_KIND_PLANS_RECURRING]
    }
    assert kind("recurring", ["one_off"]) == {
        "billing_kind": [texts.CATALOGUE_BILLING_KIND_PLANS_ONE_OFF]
    }


def test_retired_names_lists_the_retired_products_once_by_name():
    products = [
        ("Managed SOC", False),
        ("Azure Backup", True),
        ("Managed SOC", False),
        ("B", False),
    ]
    assert retired_names(products) == "B, Managed SOC"
    assert retired_names([("Azure Backup", True)]) is None
    assert retired_names([]) is None


def test_an_offer_quantity_keeps_to_its_plans_limits():
    from core.rules import offers

    assert offers.parse_quantity("300", 1, 300) == (300, None)
    assert offers.parse_quantity("301", 1, 300) == (
        None,
        texts.QUANTITY_INVALID.format(min=1, max=300),
    )
    assert offers.parse_quantity("x", 5, 300)[1] == texts.QUANTITY_INVALID.format(min=5, max=300)
    assert offers.parse_quantity("0") == (None, texts.OFFER_QUANTITY_INVALID)
    # never past the offers' own bounds, whatever the plan allows
    assert offers.parse_quantity("100001", 1, 10**9)[1] == texts.OFFER_QUANTITY_INVALID


def test_a_product_no_longer_sold_sells_no_more_licenses_nor_add_ons():
    from core.rules.catalogue import change_refusal, line_on_sale

    for kind in ("licenses", "addon_new", "addon_quantity"):
        assert change_refusal(kind, "Managed SOC", on_sale=True) is None
        assert change_refusal(kind, "Managed SOC", on_sale=False) == (
            texts.SUBSCRIPTION_NOT_SOLD_REFUSED.format(product="Managed SOC")
        )
    assert change_refusal("upgrade", "Managed SOC", on_sale=False) is None
    assert change_refusal("to_paid", "Managed SOC", on_sale=False) is None
    # an upgrade sells its target; a trial made paid keeps what is held
    assert line_on_sale("upgrade", product_on_sale=False, target_on_sale=True)
    assert not line_on_sale("upgrade", product_on_sale=True, target_on_sale=False)
    assert line_on_sale("to_paid", product_on_sale=False, target_on_sale=False)
    assert not line_on_sale("licenses", product_on_sale=False, target_on_sale=False)
    assert not line_on_sale("new", product_on_sale=False, target_on_sale=False)
