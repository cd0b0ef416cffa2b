"""Prices with their unit, line amounts and totals by billing cycle, and adding a plan again
(issue 13, point 12), through the basket service and the Storefront pages, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import BasketItem, Invoice, Order, Product, Tenant, User
from core.services import basket as basket_service
from core.services.errors import ValidationFailed
from tests.conftest import login, soup, text_of

HTMX = {"HX-Request": "true"}


def _alice(session) -> User:
    return session.scalar(select(User).where(User.email == "alice@acme.example"))


def _product(session, code) -> Product:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant.id, Product.code == code)
    )


def _lines(session, user) -> list[BasketItem]:
    return list(
        session.scalars(
            select(BasketItem).where(BasketItem.basket.has(user_id=user.id)).order_by(BasketItem.id)
        )
    )


def test_adding_the_same_plan_again_raises_the_quantity_of_its_line(session, demo):
    alice = _alice(session)
    m365 = _product(session, "M365-STD")
    monthly, annual = m365.plans
    storage = m365.addons[0]
    basket_service.add_product(
        session, alice.tenant_id, alice, m365.id, monthly.id, 2, addons={storage.id: "1"}
    )
    added = basket_service.add_product(
        session, alice.tenant_id, alice, m365.id, monthly.id, "3", addons={storage.id: "2"}
    )
    assert added.merged and added.basket_count == 2
    lines = _lines(session, alice)
    assert [(line.plan_id, line.addon_id, line.quantity) for line in lines] == [
        (monthly.id, None, 5),
        (None, storage.id, 3),
    ]
    # another plan of the same product is another line
    basket_service.add_product(session, alice.tenant_id, alice, m365.id, annual.id, 1)
    assert len(_lines(session, alice)) == 3


def test_a_merge_beyond_the_plan_maximum_is_refused_and_changes_nothing(session, demo):
    alice = _alice(session)
    firewall = _product(session, "MNG-FW")  # one-off, at most 10
    plan = firewall.plans[0]
    basket_service.add_product(session, alice.tenant_id, alice, firewall.id, plan.id, 8)
    with pytest.raises(ValidationFailed, match="maximum of 10"):
        basket_service.add_product(session, alice.tenant_id, alice, firewall.id, plan.id, 3)
    session.expire_all()
    assert [line.quantity for line in _lines(session, alice)] == [8]


def test_a_trial_and_a_paid_line_of_the_same_plan_stay_apart(session, demo):
    alice = _alice(session)
    backup = _product(session, "AZ-BACKUP")
    plan = backup.plans[0]
    basket_service.add_product(session, alice.tenant_id, alice, backup.id, plan.id, 1, trial=True)
    basket_service.add_product(session, alice.tenant_id, alice, backup.id, plan.id, 1)
    assert [line.trial for line in _lines(session, alice)] == [True, False]


def test_adding_again_through_the_page_says_the_quantity_went_up(client, session, demo):
    login(client, "alice@acme.example")
    backup = _product(session, "AZ-BACKUP")
    data = {"plan_id": str(backup.plans[0].id), "quantity": "2"}
    client.post(f"/products/{backup.id}/add", data=data)
    response = client.post(f"/products/{backup.id}/add", data=data, headers=HTMX)
    assert "its quantity is now 4" in text_of(response)
    assert soup(response).find(id="basket-count").get_text(strip=True).endswith("1")
    page = client.get("/basket", follow_redirects=True)
    assert len(soup(page).select("#basket tbody tr")) == 1


def test_visitors_see_the_default_price_list_with_units(client, demo):
    cards = {
        li.h2.get_text(strip=True): li.select_one(".price").get_text(" ", strip=True)
        for li in soup(client.get("/")).select("li.product-card")
        if li.select_one(".price")
    }
    assert cards["Azure Backup"] == "from €9.00 per instance / month"
    assert cards["Managed Firewall Setup"] == "from €450.00 one-off"
    assert cards["Microsoft 365 Business Standard"] == "from €11.70 per user / month"


def test_the_product_page_shows_each_plan_price_with_its_unit(client, session, demo):
    m365 = _product(session, "M365-STD")
    page = text_of(client.get(f"/products/{m365.id}"))
    assert "€11.70 per user / month" in page
    assert "€126.00 per user / year" in page


def test_a_customer_sees_their_own_price_list(client, session, demo):
    login(client, "carol@bluesky.example")  # a standard reseller: the Partner price list
    backup = _product(session, "AZ-BACKUP")
    assert "€8.10 per instance / month" in text_of(client.get(f"/products/{backup.id}"))


def test_the_basket_shows_amounts_and_separates_monthly_yearly_and_one_off_totals(
    client, session, demo
):
    login(client, "alice@acme.example")
    alice = _alice(session)
    m365 = _product(session, "M365-STD")
    monthly, annual = m365.plans
    for plan, qty in ((monthly, 2), (annual, 1)):
        basket_service.add_product(session, alice.tenant_id, alice, m365.id, plan.id, qty)
    page = soup(client.get("/basket"))
    rows = [
        [td.get_text(" ", strip=True) for td in tr.find_all("td")[:4:3]]
        for tr in page.select("#basket tbody tr")
    ]
    assert rows == [
        ["Microsoft 365 Business Standard (Monthly)", "€23.40"],
        ["Microsoft 365 Business Standard (Annual)", "€126.00"],
    ]
    unit_prices = [
        td.get_text(strip=True) for td in page.select("#basket tbody td[data-label='Unit price']")
    ]
    assert unit_prices == ["€11.70 per user / month", "€126.00 per user / year"]
    totals = {
        tr.th.get_text(strip=True): tr.td.get_text(strip=True)
        for tr in page.select("#basket tfoot tr")
    }
    assert totals == {
        "Total per month (excl. taxes)": "€23.40",
        "Total per year (excl. taxes)": "€126.00",
    }


def test_review_order_and_invoice_show_units_amounts_and_split_totals(client, session, demo):
    login(client, "alice@acme.example")
    alice = _alice(session)
    backup = _product(session, "AZ-BACKUP")
    basket_service.add_product(session, alice.tenant_id, alice, backup.id, backup.plans[0].id, 3)
    start = client.post("/checkout")
    order_id = int(start.headers["Location"].split("/")[2])
    review = soup(client.get(f"/checkout/{order_id}/review"))
    assert review.select_one("td[data-label='Unit price']").get_text(strip=True) == (
        "€9.00 per instance / month"
    )
    assert review.select_one("td.line-amount").get_text(strip=True) == "€27.00"
    # an executed order with an invoice (the demo's) reads the same way
    order = session.scalar(
        select(Order)
        .where(Order.account_id == alice.account_id, Order.number.is_not(None))
        .join(Invoice, Invoice.order_id == Order.id)
        .order_by(Order.id)
    )
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    order_page = text_of(client.get(f"/orders/{order.id}"))
    invoice_page = soup(client.get(f"/invoices/{invoice.id}"))
    assert " per " in order_page or "one-off" in order_page
    prices = [td.get_text(strip=True) for td in invoice_page.select("td[data-label='Unit price']")]
    assert prices and all(("per" in p or "one-off" in p) for p in prices)
    assert invoice_page.find(id="invoice-total").get_text(strip=True).startswith("€")


def test_the_bss_order_page_and_print_out_show_unit_prices_with_their_unit(client, session, demo):
    from tests.conftest import demo_manual_order

    order = demo_manual_order(session)
    login(client, "operator@skyline.example")
    assert "€120.00 per host / month" in text_of(client.get(f"/bss/orders/{order.id}"))
    assert "€120.00 per host / month" in text_of(client.get(f"/bss/orders/{order.id}/print"))


def test_the_bss_offer_page_shows_unit_prices_with_their_unit(client, session, demo):
    from core.models import Offer

    offer = session.scalar(select(Offer).where(Offer.name == "Modern Work 2027"))
    login(client, "operator@skyline.example")
    page = soup(client.get(f"/bss/offers/{offer.id}"))
    units = [span.get_text(strip=True) for span in page.select("td.number span.muted")]
    assert units and all(u.startswith("per ") or u == "one-off" for u in units), units


def test_a_standard_reseller_sees_unit_prices_with_their_unit_in_approvals(client, demo):
    login(client, "carol@bluesky.example")
    prices = [
        td.get_text(strip=True)
        for td in soup(client.get("/reseller/approvals")).select("td.number")
        if "€" in td.text
    ]
    assert prices and any(p.endswith(("/ month", "/ year", "one-off")) for p in prices), prices


# --- every price with its unit and period: subscriptions, billing-run invoices, add-ons ------


def _subscription(session, account_id, code):
    from core.models import Subscription

    return session.scalar(
        select(Subscription)
        .join(Product, Product.id == Subscription.product_id)
        .where(Subscription.account_id == account_id, Product.code == code)
    )


def test_my_subscriptions_read_the_price_per_user_not_per_unit(client, session, demo):
    login(client, "alice@acme.example")
    page = soup(client.get("/subscriptions"))
    prices = [dd.get_text(" ", strip=True) for dd in page.select("dd.sub-price")]
    assert "€11.70 per user / month" in prices, prices
    assert not any("per unit" in p for p in prices), prices


def test_a_billing_run_invoice_line_reads_like_a_checkout_line(client, session, demo):
    from datetime import date

    from core.rules import billing_periods
    from core.services import billing_run

    alice = _alice(session)
    session.commit()
    billing_run.run(
        session, billing_periods.add_months(date.today().replace(day=1), 1), tenant_slug="reseller"
    )
    invoice = session.scalar(
        select(Invoice).where(
            Invoice.account_id == alice.account_id, Invoice.billing_run_id.is_not(None)
        )
    )
    login(client, "alice@acme.example")
    page = soup(client.get(f"/invoices/{invoice.id}"))
    rows = {
        tr.td.contents[0].strip(): tr.select_one("td[data-label='Unit price']").get_text(strip=True)
        for tr in page.select("tbody tr")
        if tr.select_one("td[data-label='Unit price']")
    }
    assert rows["Microsoft 365 Business Standard (Monthly)"] == "€11.70 per user / month", rows
    addon = next(price for name, price in rows.items() if name.startswith("Extra Storage"))
    assert addon == "€2.00 per user / month", rows


def test_an_addon_for_an_existing_subscription_reads_with_its_period(client, session, demo):
    from core.enums import ItemKind
    from core.models import Subscription

    alice = _alice(session)
    sub = session.scalar(
        select(Subscription)
        .where(Subscription.account_id == alice.account_id, Subscription.plan_id.is_not(None))
        .where(~Subscription.addons.any())
        .join(Product, Product.id == Subscription.product_id)
        .where(Product.addons.any())
    )
    assert sub is not None
    addon = sub.product.addons[0]
    basket_service.add_change(
        session, alice.tenant_id, alice, sub.id, ItemKind.ADDON_NEW, quantity="1", addon_id=addon.id
    )
    session.commit()
    period = {"monthly": "/ month", "annual": "/ year"}[sub.billing_cycle]
    login(client, "alice@acme.example")
    basket = soup(client.get("/basket"))
    price = basket.select_one("#basket tbody td[data-label='Unit price']").get_text(strip=True)
    assert price.endswith(period), price
    start = client.post("/checkout")
    order_id = int(start.headers["Location"].split("/")[2])
    review = soup(client.get(f"/checkout/{order_id}/review"))
    price = review.select_one("td[data-label='Unit price']").get_text(strip=True)
    assert price.endswith(period), price


def test_the_product_page_gives_each_addon_price_its_period(client, session, demo):
    m365 = _product(session, "M365-STD")  # monthly and annual plans: add-ons follow the plan
    items = soup(client.get(f"/products/{m365.id}")).select("#addons li")
    texts_ = [li.get_text(" ", strip=True) for li in items]
    assert texts_[0] == (
        "Extra Storage 100 GB: €2.00 per user / month or €2.00 per user / year,"
        " billed with the plan"
    ), texts_


def test_a_wrong_addon_quantity_on_the_product_page_states_0_to_its_maximum(client, session, demo):
    login(client, "alice@acme.example")
    m365 = _product(session, "M365-STD")
    addon = m365.addons[0]
    response = client.post(
        f"/products/{m365.id}/add",
        data={"plan_id": str(m365.plans[0].id), "quantity": "1", f"addon_{addon.id}": "-1"},
        headers=HTMX,
    )
    assert response.status_code == 422
    errors = soup(response).find(id=f"addon_{addon.id}-errors").get_text(" ", strip=True)
    assert f"from 0 (none) to {addon.max_quantity}" in errors, errors
    assert soup(response).find(id=f"addon_{addon.id}")["value"] == "-1"
