"""Offers, reseller approvals and scheduled orders in Chromium, with and without JavaScript."""

from tests.browser.conftest import screenshot, sign_in


def test_an_operator_adds_an_item_with_htmx_and_converts_the_accepted_offer(page, live_server):
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/offers"))
    page.get_by_role("row", name="Modern Work 2027").get_by_role("link").first.click()
    page.get_by_label("Product and plan").select_option(label="Azure Backup (Monthly)")
    page.get_by_label("Quantity", exact=True).fill("4")
    page.get_by_role("button", name="Add item").click()
    page.get_by_role("cell", name="Azure Backup (Monthly)", exact=True).wait_for()
    screenshot(page, "offer-detail")

    page.goto(live_server("/bss/offers"))
    page.get_by_role("row", name="Firewall refresh").get_by_role("link").first.click()
    page.get_by_role("button", name="Convert to order").click()
    page.wait_for_url("**/bss/orders/*")
    assert "Offer converted to order" in page.get_by_role("status").first.inner_text()


def test_a_reseller_approves_without_javascript(nojs_page, live_server):
    page = nojs_page
    sign_in(page, live_server, "carol@bluesky.example")
    page.get_by_role("link", name="Pending approvals").click()
    page.get_by_label("Reason").fill("Approved for Q1")
    page.get_by_role("button", name="Approve").click()
    assert "approved" in page.get_by_role("status").first.inner_text()
    assert "No order of your customers" in page.content()


def test_a_customer_sees_the_error_for_a_date_too_far_ahead(page, live_server):
    from sqlalchemy import select

    from core.models import Order, OrderStatus
    from webapp.extensions import db

    with live_server.app.app_context():
        order_id = db.session.scalar(
            select(Order.id)
            .join(OrderStatus, OrderStatus.id == Order.status_id)
            .where(OrderStatus.type == "scheduled")
        )
        db.session.remove()
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server(f"/orders/{order_id}/schedule"))
    date_input = page.get_by_label("New execution date")
    date_input.evaluate("el => el.removeAttribute('max')")
    date_input.fill("2099-01-01")
    page.get_by_role("button", name="Reschedule").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "from tomorrow" in alert.inner_text()
