"""The catalogue back office in headless Chromium (issue 15): the product manager creates a
product and a plan (with htmx), edits a price list in the bulk table (a bad row gets its
message and nothing is saved; then it is saved), builds a bundle whose execution type shows
while the code is typed; and the same product and plan forms work without JavaScript."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from core import texts
from tests.browser.conftest import screenshot, sign_in


def _db(live_server, query):
    from webapp.extensions import db

    with live_server.app.app_context():
        try:
            return db.session.execute(query).all()
        finally:
            db.session.remove()


def _create_product_and_plan(page, live_server, code: str, name: str) -> str:
    page.goto(live_server("/bss/catalogue/products/new"))
    page.get_by_label("Code").fill(code)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Product type").select_option(label="Cloud Services")
    page.get_by_label("Description").fill("Made in the browser.")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name=f"Product {code}").wait_for()
    product_url = page.url
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Name", exact=True).fill("Quarterly-ish")
    page.get_by_label("Billing cycle").select_option(label="Yearly")
    page.get_by_label("Commitment term (months, 0 for none)").fill("12")
    page.get_by_label("Free trial (days)").fill("10")
    page.get_by_label("Standard (EUR)").fill("120.00")
    page.get_by_label("Partner (EUR)").fill("99.00")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(product_url)
    plans = page.locator("section", has=page.get_by_role("heading", name="Plans"))
    plans.get_by_role("cell", name="10-day free trial").wait_for()
    return product_url


def test_the_product_manager_creates_a_product_and_a_plan(page, live_server):
    from core.models import Plan, PlanPrice, Product

    sign_in(page, live_server, "admin@skyline.example", bss=True)
    # a refused save first: the messages come back in place (htmx), nothing is created
    page.goto(live_server("/bss/catalogue/products/new"))
    page.get_by_label("Code").fill("bad code!")
    page.get_by_role("button", name="Save").click()
    page.locator("#code-errors", has_text=texts.CATALOGUE_CODE_INVALID).wait_for()
    assert page.url.endswith("/bss/catalogue/products/new")
    _create_product_and_plan(page, live_server, "BR-BACKUP", "Browser Backup")
    screenshot(page, "issue15-product-with-plan")
    rows = _db(
        live_server,
        select(Plan.trial_days, Plan.commitment_months, PlanPrice.price)
        .join(Product, Product.id == Plan.product_id)
        .join(PlanPrice, PlanPrice.plan_id == Plan.id)
        .where(Product.code == "BR-BACKUP")
        .order_by(PlanPrice.price),
    )
    assert [tuple(r) for r in rows] == [(10, 12, Decimal("99.00")), (10, 12, Decimal("120.00"))]


def test_the_bulk_price_table_refuses_a_bad_row_then_saves(page, live_server):
    from core.models import Plan, PlanPrice, PriceList, Product, Tenant

    def prices():
        return dict(
            _db(
                live_server,
                select(Product.code, PlanPrice.price)
                .join(Plan, Plan.product_id == Product.id)
                .join(PlanPrice, PlanPrice.plan_id == Plan.id)
                .join(PriceList, PriceList.id == PlanPrice.price_list_id)
                .join(Tenant, Tenant.id == Product.tenant_id)
                .where(
                    Tenant.slug == "reseller",
                    PriceList.name == "Standard",
                    Product.code.in_(["AZ-BACKUP", "PRIV-CLOUD"]),
                ),
            )
        )

    before = prices()
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/catalogue/price-lists"))
    page.get_by_role("link", name="Edit prices of Standard").click()
    backup = page.get_by_label("Price of Azure Backup, Monthly")
    cloud = page.get_by_label("Price of Dedicated Private Cloud, Monthly")
    backup.fill("9.90")
    cloud.fill("twelve")
    page.get_by_role("button", name="Save prices").click()
    page.locator("#prices-table [role=alert]", has_text="Nothing was saved").wait_for()
    error_row = page.locator("tr.row-error")
    assert error_row.count() == 1 and "Dedicated Private Cloud" in error_row.inner_text()
    assert backup.input_value() == "9.90" and cloud.input_value() == "twelve"  # kept as typed
    assert prices() == before  # nothing half-saved
    screenshot(page, "issue15-bulk-prices-refused")
    cloud.fill("125.00")
    page.get_by_role("button", name="Save prices").click()
    page.get_by_text(texts.PRICES_SAVED.format(count=2)).wait_for()
    assert prices() == {"AZ-BACKUP": Decimal("9.90"), "PRIV-CLOUD": Decimal("125.00")}


def test_a_bundle_shows_its_execution_type_while_a_code_is_typed(page, live_server):
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/catalogue/products/new"))
    page.get_by_label("Code").fill("BR-BUNDLE")
    page.get_by_label("Name", exact=True).fill("Browser Bundle")
    page.get_by_label("Product type").select_option(label="Cloud Services")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Product BR-BUNDLE").wait_for()
    # the heading shows before htmx has bound the live preview to the field (it does so when the
    # document has loaded): typed earlier, the input event would find no listener (CI once)
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => { const el = document.getElementById('component-code');"
        " return el && el['htmx-internal-data'] !== undefined; }"
    )
    code = page.get_by_label("Component product code")
    code.fill("AZ-BACKUP")
    preview = page.locator("#component-preview")
    preview.filter(has_text="delivered automatically").wait_for()
    code.fill("MNG-FW")  # a manual component makes the bundle manual: shown before saving
    preview.filter(has_text="delivered manually").wait_for()
    assert "BR-BUNDLE" not in _components(live_server)
    page.get_by_label("Quantity", exact=True).fill("2")
    # the live preview already names the component: wait for the POST's answer, not the text
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="Add or update component").click()
    page.wait_for_load_state()
    page.locator("main", has_text="Managed Firewall Setup").wait_for()
    assert _components(live_server)["BR-BUNDLE"] == [("MNG-FW", 2)]
    screenshot(page, "issue15-bundle-live-execution-type")


def _components(live_server) -> dict:
    from sqlalchemy.orm import aliased

    from core.models import BundleComponent, Product

    part = aliased(Product)
    found: dict = {}
    for bundle, code, quantity in _db(
        live_server,
        select(Product.code, part.code, BundleComponent.quantity)
        .join(BundleComponent, BundleComponent.bundle_id == Product.id)
        .join(part, part.id == BundleComponent.component_id)
        .where(Product.code == "BR-BUNDLE"),
    ):
        found.setdefault(bundle, []).append((code, quantity))
    return found


def test_the_product_and_plan_forms_work_without_javascript(nojs_page, live_server):
    from core.models import Plan, Product

    sign_in(nojs_page, live_server, "admin@skyline.example", bss=True)
    url = _create_product_and_plan(nojs_page, live_server, "NOJS-1", "Plain Forms Service")
    assert re.search(r"/bss/catalogue/products/\d+$", url)
    rows = _db(
        live_server,
        select(Product.name, Plan.name, Plan.trial_days)
        .join(Plan, Plan.product_id == Product.id)
        .where(Product.code == "NOJS-1"),
    )
    assert [tuple(r) for r in rows] == [("Plain Forms Service", "Quarterly-ish", 10)]
    # the live preview's link is a plain page without JavaScript
    product_id = url.rsplit("/", 1)[1]
    nojs_page.goto(
        live_server(f"/bss/catalogue/products/{product_id}/components/preview?code=MNG-FW")
    )
    assert "delivered manually" in nojs_page.locator("#component-preview").inner_text()
