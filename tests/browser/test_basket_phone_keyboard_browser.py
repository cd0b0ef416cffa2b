"""Basket, review, orders and order pages on a 390 px phone, and the keyboard in the basket
(issue 13, points 13 and 18), in headless Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from core import texts
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_storefront_browser import add_to_basket, open_product

PHONE = {"width": 390, "height": 844}


def _assert_fits_the_phone(page, selectors: list[str], name: str) -> None:
    """No sideways scrolling, and every element of ``selectors`` lies inside the viewport's
    width (scrolled into view first) and is visible."""
    page.wait_for_load_state("networkidle")
    scroll_width, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= width, (name, scroll_width, width)
    for selector in selectors:
        elements = page.locator(selector)
        assert elements.count() > 0, (name, selector)
        for i in range(elements.count()):
            element = elements.nth(i)
            element.scroll_into_view_if_needed()
            assert element.is_visible(), (name, selector, i)
            box = element.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (name, selector, i, box)
    screenshot(page, f"phone-{name}")


def test_basket_review_orders_and_order_fit_a_390_px_phone(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "alice@acme.example")
        open_product(page, live_server, "Microsoft 365 Business Standard")
        page.get_by_label("Extra Storage 100 GB (quantity, 0 for none)").fill("2")
        add_to_basket(page, "12")
        open_product(page, live_server, "Azure Backup")
        add_to_basket(page, "3")
        page.goto(live_server("/basket"))
        _assert_fits_the_phone(
            page,
            ["#basket td.line-amount", "#basket button[data-remove-item]", "#basket-total"],
            "basket",
        )
        page.get_by_role("button", name="Check out").click()
        page.get_by_label("Billing address").fill("1 Main Street, Springfield")
        page.get_by_role("button", name="Continue to review").click()
        page.wait_for_url(re.compile(r"/checkout/\d+/review"))
        _assert_fits_the_phone(page, ["td.line-amount", "#order-total"], "review")
        page.goto(live_server("/orders"))
        _assert_fits_the_phone(page, ["td.line-amount"], "orders")
        page.get_by_role("link", name=re.compile("^SO")).first.click()
        _assert_fits_the_phone(page, ["td.line-amount", "#order-total"], "order")
    finally:
        context.close()


def _remove_buttons(page) -> list[str]:
    return page.locator("button[data-remove-item]").evaluate_all("(bs) => bs.map(b => b.id)")


def test_removing_a_line_with_the_keyboard_moves_focus_on_and_announces_it(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    for name in ("Azure Backup", "Microsoft 365 Business Premium"):
        open_product(page, live_server, name)
        add_to_basket(page)
    page.goto(live_server("/basket"))
    first, second = _remove_buttons(page)
    page.focus(f"#{first}")
    page.keyboard.press("Enter")
    status = page.locator("#basket-status")
    status.filter(has_text="Lines left: 1").wait_for()
    assert status.get_attribute("role") == "status"
    expect(page.locator(f"#{second}")).to_be_focused()
    assert _remove_buttons(page) == [second]
    # the last line: focus goes to the basket heading, and the live region says it is empty
    page.keyboard.press("Enter")
    status.filter(has_text=texts.BASKET_NOW_EMPTY_ANNOUNCEMENT).wait_for()
    page.locator(".empty-state").wait_for()
    expect(page.locator("#basket-heading")).to_be_focused()


def test_the_basket_forms_show_they_are_working_and_send_once(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    removals = []
    page.on(
        "request",
        lambda r: removals.append(r.url) if r.method == "POST" and "/remove" in r.url else None,
    )
    # hold the answer back so the form is seen while it works
    page.route(
        re.compile(r".*/remove$"), lambda route: (page.wait_for_timeout(400), route.continue_())
    )
    button = page.locator("button[data-remove-item]")
    button.click()
    expect(page.locator("#basket")).to_have_attribute("aria-busy", "true")
    assert button.is_disabled()
    button.click(force=True)  # a second click while the first is under way sends nothing
    page.get_by_text(texts.BASKET_EMPTY).wait_for()
    assert len(removals) == 1


def test_a_line_with_add_ons_moves_focus_past_its_add_ons(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Microsoft 365 Business Standard")
    page.get_by_label("Extra Storage 100 GB (quantity, 0 for none)").fill("1")
    add_to_basket(page)
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    plan, _addon, backup = _remove_buttons(page)
    page.focus(f"#{plan}")
    page.keyboard.press("Enter")
    expect(page.locator(f"#{backup}")).to_be_focused()
    assert _remove_buttons(page) == [backup]


def test_a_quantity_changed_with_the_keyboard_keeps_focus_and_is_announced(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    field = page.locator("#basket input[name=quantity]")
    field_id = field.get_attribute("id")
    field.fill("4")
    field.press("Enter")
    page.locator("#basket-status").filter(has_text="€36.00").wait_for()
    expect(page.locator(f"#{field_id}")).to_be_focused()  # htmx keeps focus on a field by id


def test_add_to_basket_with_the_keyboard_moves_focus_to_the_result(page, live_server):
    """Tab to *Add to basket*, Enter (htmx): focus goes to the answer (not back to the top of
    the page), and the next Tab reaches its *Go to basket* link; a refusal gets focus too."""
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to basket").focus()  # where Tab leads
    page.keyboard.press("Enter")
    message = page.locator("#add-form .flash-success", has_text=texts.ADDED_TO_BASKET)
    message.wait_for()
    expect(message).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=texts.GO_TO_BASKET)).to_be_focused()
    # a refused quantity: focus on the refusal, not the top of the page
    page.get_by_label("Quantity", exact=True).fill("0")
    page.get_by_role("button", name="Add to basket").focus()
    page.keyboard.press("Enter")
    refusal = page.locator("#add-form .alert-error")
    refusal.wait_for()
    expect(refusal).to_be_focused()  # polls: focus moves once htmx has settled the swap


def test_an_approval_decided_with_the_keyboard_moves_focus_to_its_result(page, live_server):
    """On *Pending approvals*, Reject (htmx, Enter): focus goes to the result message, not to
    <body> (the same data-focus-answer mechanism as Add to basket)."""
    sign_in(page, live_server, "carol@bluesky.example")
    page.goto(live_server("/reseller/approvals"))
    first = page.locator("#approvals article").first
    first.get_by_label(texts.RESELLER_REASON_LABEL).fill("Not budgeted")
    first.get_by_role("button", name=texts.RESELLER_REJECT_BUTTON).focus()
    page.keyboard.press("Enter")
    result = page.locator("#approvals .flash-success")
    result.wait_for()
    expect(result).to_be_focused()


def test_invoices_and_a_products_plans_show_their_key_columns_on_a_375_px_phone(
    browser, live_server
):
    """The invoices list's Total and a product's plan Price and Quantity lie on screen at
    375 px (the rows stack as "label · value", as the lines tables do), no sideways scroll."""
    context = browser.new_context(
        viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "alice@acme.example")
        page.goto(live_server("/invoices"))
        _assert_fits_the_phone(page, ["td[data-label='Total']"], "invoices-375")
        open_product(page, live_server, "Microsoft 365 Business Standard")
        _assert_fits_the_phone(
            page, ["#plans td[data-label='Price']", "#plans td[data-label='Quantity']"], "plans-375"
        )
    finally:
        context.close()
