"""The Storefront in headless Chromium, with JavaScript and without (issue 3, item 9)."""

from __future__ import annotations

import re
from datetime import date

from core import texts
from tests.browser.conftest import screenshot, sign_in

CARD_YEAR = str(date.today().year + 2)


def open_product(page, live_server, name: str) -> None:
    page.goto(live_server("/"))
    page.get_by_role("link", name=f"View {name}").click()
    page.wait_for_load_state("networkidle")


def add_to_basket(page, quantity: str = "1", *, added: bool = True) -> None:
    """Add from a product page; wait for the "added" message (in place with JS, on the basket
    page without) unless the add is expected to go elsewhere (the mixed-basket page)."""
    page.get_by_label("Quantity", exact=True).fill(quantity)
    page.get_by_role("button", name="Add to basket").click()
    if added:
        page.locator(".flash-success", has_text=texts.ADDED_TO_BASKET).first.wait_for()


def counter(page) -> str:
    return page.locator("#basket-count").inner_text().split()[-1]


def test_the_banner_appears_and_the_counter_updates_without_a_reload(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Managed Firewall Setup")
    url = page.url
    assert counter(page) == "0"
    page.evaluate("window.__marker = 'same page'")
    add_to_basket(page)
    banner = page.locator("#add-form .banner")
    banner.wait_for()
    assert banner.inner_text() == texts.MANUAL_BASKET_BANNER
    assert counter(page) == "1"
    assert page.url == url and page.evaluate("window.__marker") == "same page"  # no reload
    page.goto(live_server("/basket"))
    assert page.get_by_role("status").filter(has_text=texts.MANUAL_BASKET_BANNER).is_visible()
    # changing the quantity in the basket updates it in place too
    page.evaluate("window.__marker = 'basket'")
    page.get_by_label("Quantity of Managed Firewall Setup (One-off)").fill("3")
    page.get_by_role("button", name="Update").click()
    page.locator("#basket-total", has_text="€1,350.00").wait_for()
    assert page.evaluate("window.__marker") == "basket"
    page.get_by_role("button", name=re.compile("^Remove")).click()
    page.get_by_text(texts.BASKET_EMPTY).wait_for()
    assert counter(page) == "0"
    screenshot(page, "storefront-basket-empty")


def test_adding_the_other_type_lands_on_the_mixed_basket_page_and_both_buttons_work(
    page, live_server
):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.locator("#add-form .flash-success").wait_for()
    open_product(page, live_server, "Managed Firewall Setup")
    product_url = page.url
    add_to_basket(page, added=False)
    page.wait_for_url(re.compile(r"/basket/mixed\?"))
    assert page.get_by_text(texts.MIXED_BASKET_MANUAL_INTO_AUTOMATIC).is_visible()
    assert counter(page) == "1"  # the basket is unchanged
    screenshot(page, "storefront-mixed-basket")
    mixed_url = page.url
    page.get_by_role("link", name=texts.GO_BACK_TO_PREVIOUS_PAGE).click()
    page.wait_for_url(product_url)
    page.goto(mixed_url)
    page.get_by_role("link", name=texts.GO_TO_BASKET).click()
    page.wait_for_url(live_server("/basket"))
    assert page.get_by_text("Azure Backup").first.is_visible()
    assert page.get_by_text("Managed Firewall Setup").count() == 0


def test_a_subscription_action_that_mixes_types_shows_the_pop_up(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.locator("#add-form .flash-success").wait_for()
    page.goto(live_server("/subscriptions"))
    card = page.locator("section").filter(
        has=page.get_by_role("heading", name="Dedicated Private Cloud")
    )
    button = card.get_by_role("button", name="Buy licenses")
    button.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert dialog.locator("#popup-message").inner_text() == (
        texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET
    )
    assert page.evaluate("document.querySelector('dialog').matches(':modal')")
    screenshot(page, "storefront-subscription-popup")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Buy licenses"
    assert counter(page) == "1"


def _checkout(page, live_server, product: str, card: bool) -> None:
    open_product(page, live_server, product)
    add_to_basket(page)
    page.goto(live_server("/basket"))
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    page.get_by_label("Billing address").fill("1 Main Street, Springfield")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/review"))
    if card:
        page.get_by_label("Name on the card").fill("Alice Acme")
        page.get_by_label("Card number").fill("4242 4242 4242 4242")
        page.get_by_label("Expiry (MM/YY)").fill(f"12/{CARD_YEAR[-2:]}")
        page.get_by_label("CVC", exact=True).fill("123")
    # "Pay €…" when the card is charged at once, "Place order" otherwise
    page.get_by_role("button", name=re.compile(r"^(Place order|Pay €)")).click()
    page.wait_for_url(re.compile(r"/orders/\d+/confirmation"))


def _manual_checkout(page, live_server, name):
    sign_in(page, live_server, "alice@acme.example")
    _checkout(page, live_server, "Managed Firewall Setup", card=False)
    assert page.locator("#confirmation-message").inner_text() == texts.MANUAL_ORDER_CONFIRMATION
    assert "Submitted" in page.locator(".confirmation").inner_text()
    screenshot(page, name)


def _automatic_checkout(page, live_server, name):
    sign_in(page, live_server, "alice@acme.example")
    _checkout(page, live_server, "Azure Backup", card=True)
    assert page.locator("#confirmation-message").inner_text() == (
        texts.AUTOMATIC_ORDER_CONFIRMATION
    )
    assert "Executed" in page.locator(".confirmation").inner_text()
    assert page.get_by_role("link", name=re.compile(r"^Invoice SKY-\d{6}$")).is_visible()
    screenshot(page, name)


def test_the_whole_manual_checkout_ends_on_the_manual_confirmation(page, live_server):
    _manual_checkout(page, live_server, "storefront-manual-confirmation")


def test_the_whole_automatic_checkout_ends_on_the_automatic_confirmation(page, live_server):
    _automatic_checkout(page, live_server, "storefront-automatic-confirmation")


def test_the_manual_checkout_works_without_javascript(nojs_page, live_server):
    _manual_checkout(nojs_page, live_server, "storefront-manual-confirmation-nojs")


def test_the_automatic_checkout_works_without_javascript(nojs_page, live_server):
    _automatic_checkout(nojs_page, live_server, "storefront-automatic-confirmation-nojs")


def test_without_javascript_the_mixed_case_and_the_pop_up_text_are_pages(nojs_page, live_server):
    page = nojs_page
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Managed Firewall Setup")
    add_to_basket(page)
    page.wait_for_url(live_server("/basket"))
    assert page.get_by_text(texts.MANUAL_BASKET_BANNER).is_visible()
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page, added=False)
    page.wait_for_url(re.compile(r"/basket/mixed\?"))
    assert page.get_by_text(texts.MIXED_BASKET_AUTOMATIC_INTO_MANUAL).is_visible()
    page.goto(live_server("/subscriptions"))
    card = page.locator("section").filter(
        has=page.get_by_role("heading", name="Microsoft 365 Business Standard")
    )
    card.get_by_role("button", name="Buy licenses").click()
    page.wait_for_load_state()
    assert page.get_by_text(texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET).is_visible()


def test_the_customer_pages_have_no_serious_accessibility_violation(page, live_server):
    from tests.browser.test_accessibility import blocking_violations

    sign_in(page, live_server, "alice@acme.example")
    found = {}

    def check(name: str) -> None:
        found[name] = blocking_violations(page)

    open_product(page, live_server, "Microsoft 365 Business Standard")
    check("product")
    open_product(page, live_server, "Managed Firewall Setup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    check("basket with a manual item")
    page.goto(live_server("/basket/mixed?case=automatic_into_manual&back=/"))
    check("mixed basket")
    page.goto(live_server("/subscriptions"))
    check("subscriptions")
    page.goto(live_server("/basket"))
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    check("billing")
    page.get_by_label("Billing address").fill("1 Main Street")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/review"))
    check("review")
    page.goto(live_server("/orders"))
    check("orders")
    page.get_by_role("link", name=re.compile("^SO")).first.click()
    page.wait_for_load_state()
    check("order")
    page.goto(live_server("/invoices"))
    check("invoices")
    assert {name: v for name, v in found.items() if v} == {}
