"""The browser tooling works: a BSS admin signs in and opens the Setup in Chromium."""

from tests.browser.conftest import sign_in


def test_an_admin_signs_in_and_sees_the_product_types(page, live_server):
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/setup/product-types"))
    assert page.get_by_role("link", name="Managed Services").is_visible()


def test_the_precondition_message_appears_through_htmx(page, live_server):
    from sqlalchemy import select

    from core.models import OrderStatus, Tenant
    from webapp.extensions import db

    with live_server.app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
        status = db.session.scalar(
            select(OrderStatus).where(
                OrderStatus.tenant_id == tenant.id, OrderStatus.mandatory_key == "submitted"
            )
        )
        status.active = False  # legacy data: no qualifying status
        db.session.commit()
        db.session.remove()
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/setup/product-types"))
    page.get_by_role("link", name="Cloud Services").click()
    page.get_by_label("Non-automatic execution of new orders").check()
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "cannot be activated" in alert.inner_text()
    assert page.url.endswith("/bss/setup/product-types/" + page.url.rsplit("/", 1)[1])
