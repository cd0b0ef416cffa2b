"""Basket and checkout fixes in headless Chromium, with JavaScript and without: the credit
ribbon of the demo's credit-limit customer, a basket made mixed by a Setup change, and a
standard reseller's customer following the order."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import texts
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_storefront_browser import CARD_YEAR, add_to_basket, open_product


def _mixed_basket(live_server, email="alice@acme.example") -> None:
    """Azure Backup and a Managed Firewall Setup added while Managed Services' "Non-automatic
    execution" was off, then the option turned on (as a BSS admin does in Setup)."""
    from core.models import Product, ProductType, User
    from core.services import basket as basket_service
    from core.services.setup import save_product_type
    from webapp.extensions import db

    with live_server.app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == email))
        managed = session.scalar(
            select(ProductType).where(
                ProductType.tenant_id == user.tenant_id, ProductType.name == "Managed Services"
            )
        )

        def option(on: bool) -> None:
            save_product_type(
                session,
                user.tenant_id,
                None,
                product_type_id=managed.id,
                name=managed.name,
                is_asset=False,
                non_automatic_execution=on,
            )

        option(False)
        for code in ("AZ-BACKUP", "MNG-FW"):
            product = session.scalar(
                select(Product).where(Product.tenant_id == user.tenant_id, Product.code == code)
            )
            basket_service.add_product(
                session, user.tenant_id, user, product.id, product.plans[0].id, 1
            )
        option(True)
        session.remove()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_mixed_basket_offers_to_remove_one_kind_and_then_checks_out(
    browser, live_server, javascript
):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    _mixed_basket(live_server)
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server("/basket"))
    notice = page.get_by_role("alert").filter(has_text=texts.BASKET_MIXED)
    assert notice.is_visible()
    screenshot(page, f"storefront-basket-mixed-{'js' if javascript else 'nojs'}")
    if javascript:
        page.evaluate("window.__marker = 'basket'")
    page.get_by_role("button", name=texts.BASKET_REMOVE_MANUAL.format(count=1)).click()
    notice.wait_for(state="detached")
    if javascript:
        assert page.evaluate("window.__marker") == "basket"  # swapped in place
    assert page.get_by_text("Managed Firewall Setup").count() == 0
    assert page.get_by_text("Azure Backup").first.is_visible()
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    context.close()


def test_bob_sees_his_credit_within_the_limit_and_the_warning_over_it(page, live_server):
    sign_in(page, live_server, "bob@globex.example")
    page.goto(live_server("/basket"))
    assert page.locator(".credit-ribbon").count() == 0  # an empty basket says nothing
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    ribbon = page.locator(".credit-ribbon")
    assert ribbon.inner_text().startswith(
        texts.CREDIT_RIBBON_FIGURES.format(
            limit="€1,500.00", used="€900.00", available="€600.00", total="€9.00"
        )
    )
    assert texts.CREDIT_RIBBON_WITHIN in ribbon.inner_text()
    screenshot(page, "storefront-credit-ribbon-within")
    page.get_by_label("Quantity of Azure Backup (Monthly)").fill("70")  # €630.00
    page.get_by_role("button", name="Update").click()
    page.locator(".credit-ribbon", has_text="€30.00").wait_for()
    assert texts.CREDIT_LIMIT_EXCEEDED_RIBBON.format(amount="€30.00") in ribbon.inner_text()
    screenshot(page, "storefront-credit-ribbon-over")


def test_dave_follows_his_order_through_the_resellers_approval(page, live_server):
    sign_in(page, live_server, "dave@initech.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    page.get_by_label("Billing address").fill("1 Initech Way")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/review"))
    page.get_by_label("Name on the card").fill("Dave Initech")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill(f"12/{CARD_YEAR[-2:]}")
    page.get_by_label("CVC", exact=True).fill("123")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url(re.compile(r"/orders/\d+/confirmation"))
    confirmation = page.locator(".confirmation").inner_text()
    assert "Pending Reseller Approval" in confirmation and "Draft" not in confirmation
    number = re.search(r"SO\d{7}", page.content()).group(0)
    page.goto(live_server("/orders"))
    row = page.locator("tr", has=page.get_by_role("link", name=number))
    assert "Pending Reseller Approval" in row.inner_text()
    screenshot(page, "storefront-orders-pending-approval")
