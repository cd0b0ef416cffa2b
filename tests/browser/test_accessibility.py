"""Accessibility (issue 7): axe-core finds no serious or critical violation on any preview state
or on the main pages; the pop-up is a real dialog. Screenshots of every preview state at phone
(360x740) and desktop (1280x900) widths go to screenshots/ (git-ignored)."""

from __future__ import annotations

import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.conftest import screenshot, sign_in
from webapp import preview_fixtures as fx

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
BLOCKING = ("serious", "critical")
SLOW_MACHINE_TIMEOUT = 30_000  # ms: the shared CI machine can be very busy


@pytest.fixture(scope="module")
def preview_server(tmp_path_factory):
    """The preview served over HTTP from an empty database file: fixtures only."""
    from webapp import create_app

    empty = tmp_path_factory.mktemp("preview") / "empty.sqlite3"
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{empty}", "SECRET_KEY": "a11y"}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def blocking_violations(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("key", sorted(fx.STATES), ids="/".join)
def test_every_preview_state_has_no_serious_accessibility_violation(page, preview_server, key):
    group, name = key
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT)
    page.goto(f"{preview_server}/_preview/{group}/{name}")  # waits for the load event
    assert blocking_violations(page) == []
    screenshot(page, f"preview-{group}-{name}-desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(50)
    screenshot(page, f"preview-{group}-{name}-phone")
    # nothing but a table may scroll sideways on a phone, with every disclosure open (the
    # subscriptions' "Reduce, downgrade or cancel" was 514 px wide open, 360 closed)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= PHONE["width"], f"the page is {overflow}px wide on a 360px phone"


def test_the_popup_is_a_modal_dialog_that_escape_closes_and_focus_returns(page, preview_server):
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT)
    page.goto(f"{preview_server}/_preview/design/dialog")
    page.wait_for_load_state("networkidle")
    dialog = page.locator("dialog")
    assert dialog.evaluate("d => d.open && d.matches(':modal')")
    assert page.evaluate("document.querySelector('dialog').contains(document.activeElement)")
    page.keyboard.press("Escape")
    # the close event removes the dialog; wait for it rather than race it on a busy machine
    expect(page.locator("dialog")).to_have_count(0, timeout=10_000)

    opener = page.locator("#open-popup")
    opener.click()
    page.locator("dialog[open]").wait_for()
    assert page.evaluate("document.querySelector('dialog').matches(':modal')")
    assert page.evaluate("document.querySelector('dialog').contains(document.activeElement)")
    assert blocking_violations(page) == []
    page.keyboard.press("Escape")
    # the close event removes the dialog; wait for it rather than race it on a busy machine
    expect(page.locator("dialog")).to_have_count(0, timeout=10_000)
    assert page.evaluate("document.activeElement.id") == "open-popup"


def test_the_popup_shows_in_the_page_without_javascript(nojs_page, preview_server):
    nojs_page.goto(f"{preview_server}/_preview/design/dialog")
    assert nojs_page.get_by_role("link", name="Go to basket").is_visible()


PUBLIC_PAGES = ["/", "/login", "/bss/login"]
CUSTOMER_PAGES = ["/", "/basket", "/orders", "/subscriptions", "/invoices"]
BSS_PAGES = [
    "/bss/",
    "/bss/orders",
    "/bss/offers",
    "/bss/backorders",
    "/bss/subscriptions",
    "/bss/setup/product-types",
    "/bss/setup/order-statuses",
    "/bss/setup/offer-statuses",
    "/bss/setup/api-options",
    # --- catalogue back office (issue 15) ---
    "/bss/catalogue/products",
    "/bss/catalogue/products/new",
    "/bss/catalogue/price-lists",
    "/bss/catalogue/price-lists/new",
    "/bss/catalogue/promotions",
    "/bss/catalogue/promotions/new",
    "/bss/catalogue/csv",
]


def _first_link(page, live_server, path: str, prefix: str) -> str | None:
    """The first link in a table or card on ``path`` to a page under ``prefix``."""
    page.goto(live_server(path))
    link = page.locator(f'main :is(td, h2) a[href^="{prefix}"]').first
    return link.get_attribute("href") if link.count() else None


def test_the_main_pages_have_no_serious_accessibility_violation(page, live_server):
    page.set_default_timeout(SLOW_MACHINE_TIMEOUT)
    found = {}

    def check(path):
        page.goto(live_server(path))
        found[path] = blocking_violations(page)

    for path in PUBLIC_PAGES:
        check(path)
    sign_in(page, live_server, "alice@acme.example")
    pages = list(CUSTOMER_PAGES)
    pages.append(_first_link(page, live_server, "/", "/products/"))
    pages.append(_first_link(page, live_server, "/orders", "/orders/"))
    for path in filter(None, pages):
        check(path)
    page.context.clear_cookies()
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    pages = list(BSS_PAGES)
    pages.append(_first_link(page, live_server, "/bss/orders", "/bss/orders/"))
    pages.append(_first_link(page, live_server, "/bss/setup/product-types", "/bss/setup/pro"))
    # catalogue back office (issue 15): a product page, its plan and a price list's prices
    product = _first_link(page, live_server, "/bss/catalogue/products", "/bss/catalogue/products/")
    pages.append(product)
    pages.append(_first_link(page, live_server, product, product + "/plans/"))
    pages.append(_first_link(page, live_server, "/bss/catalogue/price-lists", "/bss/catalogue/pr"))
    for path in filter(None, pages):
        check(path)
    assert len(found) >= 28
    assert {path: v for path, v in found.items() if v} == {}
