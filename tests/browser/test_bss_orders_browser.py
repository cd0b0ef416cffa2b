"""The demo walk-through of issue 4 in Chromium: an operator executes the manual Storefront
order in two parts, finds it locked, copies it; and the same partial execution without
JavaScript."""

import re

from core.models import Order
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import demo_manual_order


def _manual_order(live_server):
    from webapp.extensions import db

    with live_server.app.app_context():
        order = demo_manual_order(db.session)
        found = order.id, order.number, order.items[0].id
        db.session.remove()
    return found


def test_an_operator_executes_the_manual_order_in_two_parts_and_copies_it(page, live_server):
    order_id, number, item_id = _manual_order(live_server)
    page.set_default_timeout(30_000)  # a loaded CI machine
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/"))
    widget = page.locator("#unexecuted-orders")
    widget.get_by_role("link", name=number).click()
    page.wait_for_url(re.compile(rf"/bss/orders/{order_id}$"))
    assert "Manual execution required" in page.get_by_role("status").first.inner_text()

    # 3 of 5: a sub-order in Executed, the primary stays Submitted
    page.get_by_label("Quantity of Dedicated Private Cloud (Monthly) to execute now").fill("3")
    page.get_by_role("button", name="Execute selected quantities").click()
    dialog = page.get_by_role("dialog")  # asks first, listing what will be executed
    assert "Dedicated Private Cloud (Monthly) × 3" in dialog.inner_text()
    dialog.get_by_role("button", name="Yes, execute").click()
    page.wait_for_selector("text=Executed as sub-order")
    assert page.locator("#order-status").inner_text().strip() == "Submitted"
    sub_link = page.get_by_role("link", name=f"{number}-1")
    assert sub_link.is_visible()
    row = page.locator(f"#item-{item_id}")
    assert row.locator("td").nth(4).inner_text().strip() == "3"  # executed
    assert row.locator("td").nth(5).inner_text().strip() == "2"  # remaining
    screenshot(page, "bss-order-partly-executed")

    # the rest: the primary becomes Executed by itself and is locked
    page.get_by_role("link", name="Execute Order").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, execute").click()
    page.wait_for_selector(f"text=Order {number}-2 executed.")
    assert page.locator("#order-status").inner_text().strip() == "Executed"
    assert page.get_by_text(
        "This order has been executed: it can no longer be changed."
    ).is_visible()
    assert page.get_by_role("button", name="Execute Order").is_disabled()
    assert page.get_by_role("button", name="Cancel order").is_disabled()
    assert page.get_by_role("button", name="Update").is_disabled()
    assert page.get_by_role("link", name="CSV").is_visible()
    history = page.locator("#history").inner_text()
    assert "Every quantity executed" in history
    assert history.count("Executed Dedicated Private Cloud") == 2
    screenshot(page, "bss-order-executed-locked")

    # gone from Unexecuted Orders
    page.goto(live_server("/bss/"))
    assert page.locator("#unexecuted-orders").get_by_role("link", name=number).count() == 0

    # copy: a new Submitted order with a new number
    page.goto(live_server(f"/bss/orders/{order_id}"))
    page.get_by_role("button", name="Copy").click()
    page.wait_for_selector("text=was created as a copy")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert number not in heading
    assert page.locator("#order-status").inner_text().strip() == "Submitted"
    assert f"Copied from {number}" in page.locator("#history").inner_text()
    page.goto(live_server(f"/bss/orders/{order_id}"))
    assert "Copied to" in page.locator("#history").inner_text()


def test_the_dashboard_widget_refreshes_itself_when_an_order_is_executed(page, live_server):
    order_id, number, _ = _manual_order(live_server)
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/"))
    widget = page.locator("#unexecuted-orders")
    assert widget.get_by_role("link", name=number).is_visible()
    from core.services import execution
    from webapp.extensions import db

    with live_server.app.app_context():
        tenant_id = db.session.get(Order, order_id).tenant_id
        execution.execute_order(db.session, tenant_id, order_id, actor_name="another operator")
        db.session.remove()
    page.locator("#unexecuted-orders").get_by_role("link", name=number).wait_for(
        state="detached", timeout=12_000
    )


def test_partial_execution_works_without_javascript(nojs_page, live_server):
    order_id, number, item_id = _manual_order(live_server)
    nojs_page.set_default_timeout(30_000)
    sign_in(nojs_page, live_server, "operator@skyline.example", bss=True)
    nojs_page.goto(live_server(f"/bss/orders/{order_id}"))
    nojs_page.fill(f"#execute-{item_id}", "2")
    nojs_page.get_by_role("button", name="Execute selected quantities").click()
    # without JavaScript the confirmation is a page, which posts the quantities
    assert (
        "Dedicated Private Cloud (Monthly) × 2" in nojs_page.locator(".confirm-lines").inner_text()
    )
    nojs_page.get_by_role("button", name="Yes, execute").click()
    nojs_page.wait_for_selector("text=Executed as sub-order")
    assert nojs_page.get_by_role("link", name=f"{number}-1").is_visible()
    # the browser's own check (max = what remains) stops an impossible quantity; the server
    # refuses it too (tests/test_bss_orders_web.py); executing the rest makes it Executed
    assert nojs_page.locator(f"#execute-{item_id}").get_attribute("max") == "3"
    nojs_page.get_by_role("link", name="Execute Order").click()
    nojs_page.get_by_role("button", name="Yes, execute").click()
    nojs_page.wait_for_selector(f"text=Order {number}-2 executed.")
    assert nojs_page.locator("#order-status").inner_text().strip() == "Executed"


def test_quick_add_shows_the_added_item_at_once_and_finds_a_plan_by_name(page, live_server):
    """Quick Add answers htmx with a redirect to the order page it is on plus "#products":
    htmx's ``location.href`` only scrolled there, and the item added did not show until the
    user reloaded. Past 200 plans, Quick Add takes a typed name, then a choice among its
    matches."""
    from tests.test_bss_quick_add_many_plans import _add_plans
    from webapp.extensions import db

    page.set_default_timeout(30_000)
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/orders/new"))
    page.get_by_label("Account").select_option(label="Acme Ltd")
    page.get_by_role("button", name="Create order").click()
    page.wait_for_url(re.compile(r"/bss/orders/\d+$"))
    order_url = page.url
    quick_add = page.locator("form.quick-add")
    quick_add.get_by_label("Product and plan").select_option(
        label="Microsoft 365 Business Standard (Monthly)"
    )
    quick_add.get_by_label("Quantity").fill("4")
    quick_add.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Item added.")
    products = page.locator("#products table")
    assert "Microsoft 365 Business Standard (Monthly)" in products.inner_text()

    with live_server.app.app_context():
        _add_plans(db.session)
        db.session.remove()
    page.goto(order_url)
    quick_add = page.locator("form.quick-add")
    assert quick_add.locator("select").count() == 0
    quick_add.get_by_label("Product", exact=True).fill("ulk service 24")
    quick_add.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=11 plans match")
    quick_add = page.locator("form.quick-add")
    quick_add.get_by_label("Product and plan").select_option(label="Bulk Service 245 (Monthly)")
    quick_add.get_by_role("button", name="Add").click()
    page.wait_for_selector("text=Item added.")
    assert "Bulk Service 245 (Monthly)" in page.locator("#products table").inner_text()
    screenshot(page, "bss-order-quick-add-by-name")
