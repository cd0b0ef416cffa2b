"""Back-ordering end to end in Chromium: the reseller executes an order in its BSS, the
distributor finds the back-order with its ribbon and adds an activity (htmx) or a case
(JavaScript off)."""

from sqlalchemy import select

from core.models import Order, Tenant
from tests.browser.conftest import screenshot, sign_in
from webapp.extensions import db

RIBBON = "This order was originated from Skyline Cloud Tenant Reseller purchases"


def _order_ids(live_server):
    with live_server.app.app_context():
        reseller = db.session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
        manual = db.session.scalar(
            select(Order)
            .where(Order.tenant_id == reseller.id, Order.status.has(type="in_progress"))
            .where(Order.execution_type == "manual", Order.parent_order_id.is_(None))
            .order_by(Order.id)
        )
        latest = db.session.scalar(
            select(Order).where(Order.source == "backorder").order_by(Order.id.desc())
        )
        result = manual.id, latest.id
        db.session.remove()
    return result


def test_an_execution_in_the_reseller_shows_up_as_a_backorder_at_the_distributor(page, live_server):
    manual_id, _ = _order_ids(live_server)
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server(f"/bss/orders/{manual_id}"))
    page.get_by_role("link", name="Execute Order").first.click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, execute").click()  # asks first
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "admin@nimbus.example", bss=True)
    page.get_by_role("link", name="Back-orders").click()
    first = page.locator("#backorders tbody tr").first
    assert "Acme Ltd" in first.inner_text()
    assert "Dedicated Private Cloud" not in first.inner_text()  # the list shows the account
    first.get_by_role("link").click()
    ribbon = page.locator("#backorder-ribbon")
    assert ribbon.inner_text().strip() == RIBBON
    assert ribbon.get_attribute("role") == "status"

    url = page.url
    page.get_by_text("Add an activity").click()
    page.get_by_label("Subject").first.fill("Confirmed the licences with Skyline")
    page.get_by_role("button", name="Add activity").click()
    page.locator("#order-records").get_by_text("Confirmed the licences with Skyline").wait_for()
    assert page.url == url  # swapped in place by htmx
    screenshot(page, "backorder-with-activity")


def test_the_distributor_creates_a_case_with_javascript_off(nojs_page, live_server):
    _, backorder_id = _order_ids(live_server)
    sign_in(nojs_page, live_server, "admin@nimbus.example", bss=True)
    nojs_page.goto(live_server(f"/bss/orders/{backorder_id}"))
    nojs_page.get_by_text("Create a case").click()
    nojs_page.get_by_label("Title").fill("Check the Partner price")
    nojs_page.get_by_label("Status", exact=True).select_option("in_progress")
    nojs_page.get_by_role("button", name="Create case").click()
    nojs_page.wait_for_load_state("load")
    assert nojs_page.url.endswith(f"/bss/orders/{backorder_id}")
    records = nojs_page.locator("#order-records").inner_text()
    assert "Check the Partner price" in records and "In progress" in records
