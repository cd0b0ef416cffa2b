"""Plans and add-ons of a product (issue 15, part B), through the web on both engines: created
and edited with a price per price list, refused field by field with nothing saved, audited,
and sold on the Storefront at the price of the customer's price list."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.models import AddOn, AddOnPrice, AuditEntry, Plan, PlanPrice, PriceList, Product, Tenant
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for


@pytest.fixture
def admin(app, demo):
    client = client_for(app)
    login(client, "admin@skyline.example", bss=True)
    return client


def _lists(session) -> dict[str, int]:
    session.rollback()  # a new snapshot: see what the requests wrote
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    rows = session.execute(
        select(PriceList.name, PriceList.id).where(PriceList.tenant_id == tenant_id)
    ).all()
    return {name: list_id for name, list_id in rows}


def _product(session, code="AZ-BACKUP") -> Product:
    tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == code)
    )


def test_an_admin_adds_a_plan_priced_in_two_price_lists_and_customers_see_their_price(
    admin, app, session
):
    lists = _lists(session)
    product = _product(session)
    response = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/new",
        data={
            "name": "Yearly",
            "billing_cycle": "annual",
            "commitment_months": "12",
            "min_quantity": "1",
            "max_quantity": "50",
            "trial_days": "21",
            f"price-{lists['Standard']}": "99.00",
            f"price-{lists['Partner']}": "89.50",
        },
    )
    assert response.status_code == 303
    session.rollback()
    plan = session.scalar(select(Plan).where(Plan.product_id == product.id, Plan.name == "Yearly"))
    assert (plan.billing_cycle, plan.commitment_months, plan.max_quantity) == ("annual", 12, 50)
    assert plan.trial_days == 21
    prices = dict(
        session.execute(
            select(PlanPrice.price_list_id, PlanPrice.price).where(PlanPrice.plan_id == plan.id)
        ).all()
    )
    assert prices == {lists["Standard"]: Decimal("99.00"), lists["Partner"]: Decimal("89.50")}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity == "plan"))
    assert json.loads(entry.detail)["changes"]["price Partner"] == [None, "89.50"]
    # the BSS product page lists it; each customer sees the price of their own price list
    assert "Yearly" in text_of(admin.get(f"/bss/catalogue/products/{product.id}"))
    for email, expected in (("alice@acme.example", "99.00"), ("carol@bluesky.example", "89.50")):
        customer = client_for(app)
        login(customer, email)
        page = text_of(customer.get(f"/products/{product.id}"))
        assert f"Yearly annual, 12-month commitment, 21-day free trial {expected}" in page.replace(
            "€", ""
        ), email


def test_a_refused_plan_says_what_is_wrong_and_saves_nothing(admin, session):
    lists = _lists(session)
    product = _product(session)
    before = session.scalar(select(func.count(Plan.id)))
    response = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/new",
        data={
            "name": "Set-up",
            "billing_cycle": "one_off",
            "commitment_months": "12",
            "min_quantity": "5",
            "max_quantity": "2",
            f"price-{lists['Standard']}": "-3",
            "price-987654": "1.00",
        },
    )
    assert response.status_code == 422
    page = soup(response)
    assert texts.PLAN_ONE_OFF_NO_COMMITMENT in page.find(id="commitment_months-errors").get_text()
    assert texts.QUANTITY_RANGE_INVERTED in page.find(id="max_quantity-errors").get_text()
    assert texts.PRICE_INVALID in page.find(id=f"price-{lists['Standard']}-errors").get_text()
    assert page.find("input", attrs={"name": f"price-{lists['Standard']}"})["value"] == "-3"
    session.rollback()
    assert session.scalar(select(func.count(Plan.id))) == before
    assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_editing_a_plan_changes_its_limits_and_prices_and_an_emptied_price_stops_its_sale(
    admin, session
):
    lists = _lists(session)
    product = _product(session, "M365-STD")
    plan = product.plans[0]
    response = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/{plan.id}",
        data={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "commitment_months": "0",
            "min_quantity": "2",
            "max_quantity": "250",
            f"price-{lists['Standard']}": "12.10",
            f"price-{lists['Partner']}": "",
        },
    )
    assert response.status_code == 303
    session.rollback()
    plan = session.get(Plan, plan.id)
    assert (plan.min_quantity, plan.max_quantity) == (2, 250)
    prices = dict(
        session.execute(
            select(PlanPrice.price_list_id, PlanPrice.price).where(PlanPrice.plan_id == plan.id)
        ).all()
    )
    assert prices == {lists["Standard"]: Decimal("12.10")}
    changes = json.loads(
        session.scalar(select(AuditEntry.detail).where(AuditEntry.entity == "plan"))
    )["changes"]
    assert changes["min_quantity"] == [1, 2] and changes["price Partner"] == ["10.50", None]


def test_an_addon_gets_its_quantity_limits_and_prices(admin, session):
    lists = _lists(session)
    product = _product(session)
    response = admin.post(
        f"/bss/catalogue/products/{product.id}/addons/new",
        data={
            "name": "Long-term retention",
            "min_quantity": "1",
            "max_quantity": "20",
            f"price-{lists['Standard']}": "3.00",
        },
    )
    assert response.status_code == 303
    session.rollback()
    addon = session.scalar(select(AddOn).where(AddOn.product_id == product.id))
    assert (addon.name, addon.min_quantity, addon.max_quantity) == ("Long-term retention", 1, 20)
    assert session.scalar(
        select(AddOnPrice.price).where(AddOnPrice.addon_id == addon.id)
    ) == Decimal("3.00")
    refused = admin.post(
        f"/bss/catalogue/products/{product.id}/addons/{addon.id}",
        data={"name": "", "min_quantity": "abc", "max_quantity": "20"},
    )
    assert refused.status_code == 422
    assert texts.PLAN_NAME_REQUIRED in text_of(refused)
    assert texts.QUANTITY_LIMIT_INVALID.format(max=100_000) in text_of(refused)


def test_plans_of_another_product_or_tenant_do_not_exist_here(admin, session):
    m365 = _product(session, "M365-STD")
    backup = _product(session)
    plan = m365.plans[0]
    assert admin.get(f"/bss/catalogue/products/{backup.id}/plans/{plan.id}").status_code == 404
    other = session.scalar(select(Product).where(Product.tenant_id != m365.tenant_id).limit(1))
    assert admin.get(f"/bss/catalogue/products/{other.id}/plans/new").status_code == 404
    assert (
        admin.post(
            f"/bss/catalogue/products/{other.id}/addons/new",
            data={"name": "x", "min_quantity": "1", "max_quantity": "2"},
        ).status_code
        == 404
    )


def test_a_second_plan_or_addon_of_the_same_name_is_refused_on_its_field(admin, session):
    lists = _lists(session)
    product = _product(session, "M365-STD")  # plans Monthly, Annual; add-on Extra Storage 100 GB
    plans_before = session.scalar(select(func.count(Plan.id)))
    refused = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/new",
        data={
            "name": " monthly ",
            "billing_cycle": "monthly",
            "commitment_months": "0",
            "min_quantity": "1",
            "max_quantity": "5",
            f"price-{lists['Standard']}": "12.00",
        },
    )
    assert refused.status_code == 422
    assert texts.PLAN_NAME_TAKEN in soup(refused).find(id="name-errors").get_text()
    # renaming the annual plan to the monthly one's name is refused too; keeping its own is not
    annual = next(p for p in product.plans if p.name == "Annual")
    form = {
        "billing_cycle": "annual",
        "commitment_months": "0",
        "min_quantity": "1",
        "max_quantity": "300",
    }
    renamed = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/{annual.id}", data={"name": "MONTHLY", **form}
    )
    assert renamed.status_code == 422
    kept = admin.post(
        f"/bss/catalogue/products/{product.id}/plans/{annual.id}", data={"name": "Annual", **form}
    )
    assert kept.status_code == 303
    addon = admin.post(
        f"/bss/catalogue/products/{product.id}/addons/new",
        data={"name": "extra storage 100 gb", "min_quantity": "1", "max_quantity": "5"},
    )
    assert addon.status_code == 422
    assert texts.ADDON_NAME_TAKEN in soup(addon).find(id="name-errors").get_text()
    session.rollback()
    assert session.scalar(select(func.count(Plan.id))) == plans_before
    # the same name on another product is another plan
    other = _product(session, "AZ-BACKUP")
    elsewhere = admin.post(
        f"/bss/catalogue/products/{other.id}/plans/new",
        data={"name": "Annual", **form},
    )
    assert elsewhere.status_code == 303


def test_a_one_off_product_takes_only_one_off_plans_and_a_recurring_one_no_one_off_plan(
    admin, session
):
    one_off = _product(session, "MNG-FW")
    recurring = _product(session, "AZ-BACKUP")
    before = session.scalar(select(func.count(Plan.id)))
    monthly = admin.post(
        f"/bss/catalogue/products/{one_off.id}/plans/new",
        data={
            "name": "Monthly",
            "billing_cycle": "monthly",
            "commitment_months": "12",
            "trial_days": "30",
            "min_quantity": "1",
            "max_quantity": "5",
        },
    )
    assert monthly.status_code == 422
    assert texts.PLAN_CYCLE_NOT_ONE_OFF in soup(monthly).find(id="billing_cycle-errors").get_text()
    set_up = admin.post(
        f"/bss/catalogue/products/{recurring.id}/plans/new",
        data={
            "name": "Set-up",
            "billing_cycle": "one_off",
            "commitment_months": "0",
            "min_quantity": "1",
            "max_quantity": "1",
        },
    )
    assert set_up.status_code == 422
    assert texts.PLAN_CYCLE_NOT_RECURRING in soup(set_up).find(id="billing_cycle-errors").get_text()
    session.rollback()
    assert session.scalar(select(func.count(Plan.id))) == before
