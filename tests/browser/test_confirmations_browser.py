"""Destructive or irreversible actions ask first (issue 13 point 11), in Chromium: the
confirmation opens as a modal dialog (focus inside, on the safe choice; Escape closes it and
changes nothing; focus returns to the opener), and its form performs the action."""

from playwright.sync_api import expect

from core.models import Order
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.conftest import demo_manual_order


def _manual_order(live_server):
    from webapp.extensions import db

    with live_server.app.app_context():
        order = demo_manual_order(db.session)
        found = order.id, order.number
        db.session.remove()
    return found


def _status(live_server, order_id) -> str:
    from webapp.extensions import db

    with live_server.app.app_context():
        description = db.session.get(Order, order_id).status.description
        db.session.remove()
    return description


def test_cancel_order_asks_in_a_modal_dialog_that_escape_dismisses(page, live_server):
    order_id, number = _manual_order(live_server)
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server(f"/bss/orders/{order_id}"))
    opener = page.get_by_role("link", name="Cancel order")
    opener.click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert dialog.evaluate("d => d.matches(':modal')")
    assert f"Cancel order {number}?" in dialog.inner_text()
    # focus starts on the safe choice
    assert page.evaluate("document.activeElement.textContent.trim()") == "No, keep the order"
    assert blocking_violations(page) == []
    screenshot(page, "bss-confirm-cancel-dialog")
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0, timeout=10_000)
    assert page.evaluate("document.activeElement.textContent.trim()") == "Cancel order"
    assert _status(live_server, order_id) == "Submitted"  # nothing happened

    opener.click()
    page.locator("dialog[open]").get_by_role("button", name="Yes, cancel the order").click()
    page.wait_for_selector("#order-status >> text=Canceled")
    assert _status(live_server, order_id) == "Canceled"


def test_the_customer_confirms_cancel_this_order_in_a_dialog(page, live_server):
    order_id, number = _manual_order(live_server)
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server(f"/orders/{order_id}"))
    page.get_by_role("link", name="Cancel this order").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert dialog.evaluate("d => d.matches(':modal')")
    dialog.get_by_role("link", name="No, keep the order").click()
    expect(page.locator("dialog")).to_have_count(0, timeout=10_000)
    assert _status(live_server, order_id) == "Submitted"
    page.get_by_role("link", name="Cancel this order").click()
    page.locator("dialog[open]").get_by_role("button", name="Yes, cancel the order").click()
    page.wait_for_url(live_server(f"/orders/{order_id}"))
    assert _status(live_server, order_id) == "Canceled"


def test_without_javascript_the_customer_confirms_on_a_page(nojs_page, live_server):
    order_id, number = _manual_order(live_server)
    nojs_page.set_default_timeout(30_000)
    sign_in(nojs_page, live_server, "alice@acme.example")
    nojs_page.goto(live_server(f"/orders/{order_id}"))
    nojs_page.get_by_role("link", name="Cancel this order").click()
    assert nojs_page.get_by_role("heading", level=1).inner_text() == f"Cancel order {number}?"
    assert _status(live_server, order_id) == "Submitted"
    nojs_page.get_by_role("button", name="Yes, cancel the order").click()
    nojs_page.wait_for_url(live_server(f"/orders/{order_id}"))
    assert _status(live_server, order_id) == "Canceled"


def test_a_cancelled_status_in_edit_asks_in_a_dialog_over_the_form(page, live_server):
    """A Cancelled status chosen in Edit cancels the order as Cancel order does, so Save asks
    first: the dialog opens over the form (htmx retargets it to the page's #confirm-slot);
    Escape keeps the form as typed and changes nothing; Yes cancels."""
    order_id, number = _manual_order(live_server)
    page.set_default_timeout(30_000)
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server(f"/bss/orders/{order_id}/edit"))
    page.get_by_label("Name").fill("Denied hosts")
    page.get_by_label("Status").select_option(label="Canceled")
    page.get_by_role("button", name="Save").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert dialog.evaluate("d => d.matches(':modal')")
    assert f"Cancel order {number}?" in dialog.inner_text()
    assert "New status: Canceled" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent.trim()") == "No, keep the order"
    assert blocking_violations(page) == []
    screenshot(page, "bss-confirm-cancel-by-edit-dialog")
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0, timeout=10_000)
    expect(page.get_by_label("Name")).to_have_value("Denied hosts")  # the form as typed
    assert _status(live_server, order_id) == "Submitted"  # nothing happened

    page.get_by_role("button", name="Save").click()
    page.locator("dialog[open]").get_by_role("button", name="Yes, cancel the order").click()
    page.wait_for_selector("#order-status >> text=Canceled")
    assert _status(live_server, order_id) == "Canceled"
