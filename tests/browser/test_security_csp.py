"""The strict Content-Security-Policy holds in a real browser (issue 8, point 4): Chromium walks
the main flows (Storefront browse, basket, checkout; BSS dashboard, order, execution, setup) with
JavaScript and htmx on, and reports no CSP violation, neither as a ``securitypolicyviolation``
event nor in the console."""

from __future__ import annotations

import re
from datetime import date

from core import texts
from tests.browser.conftest import sign_in

LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI} at ${where}`);
});
"""


def watch(page) -> list[str]:
    """Collect every CSP violation the page reports, from every document it loads."""
    violations: list[str] = []
    page.expose_function("__reportCsp", lambda text: violations.append(text))
    page.add_init_script(LISTEN)

    def console(message):
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            violations.append(f"console: {text}")

    page.on("console", console)
    return violations


def settle(page) -> None:
    page.wait_for_load_state("networkidle")


def test_the_main_flows_run_without_a_single_csp_violation(page, live_server):
    violations = watch(page)
    visited = []

    def visit(path: str) -> None:
        page.goto(live_server(path))
        settle(page)
        visited.append(path)

    # Storefront: browse, basket (htmx), checkout
    visit("/")
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server("/"))
    page.get_by_role("link", name="View Azure Backup").click()
    settle(page)
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to basket").click()
    page.locator(".flash-success", has_text=texts.ADDED_TO_BASKET).first.wait_for()
    visit("/basket")
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    page.get_by_label("Billing address").fill("1 Main Street, Springfield")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/review"))
    page.get_by_label("Name on the card").fill("Alice Acme")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 2) % 100:02d}")
    page.get_by_label("CVC", exact=True).fill("123")
    # "Pay €…" when the card is charged at once, "Place order" otherwise
    page.get_by_role("button", name=re.compile(r"^(Place order|Pay €)")).click()
    page.wait_for_url(re.compile(r"/orders/\d+/confirmation"))
    settle(page)
    for path in (
        "/orders",
        "/invoices",
        "/subscriptions",
        "/basket/mixed?case=manual_into_automatic&back=/",
    ):
        visit(path)
    page.get_by_role("button", name=re.compile("Sign out|Log out")).first.click()
    settle(page)

    # BSS: dashboard (self-refreshing widget), an order, partial execution, setup
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    visit("/bss/")
    page.wait_for_timeout(1500)  # let the dashboard widget refresh itself once
    widget_link = page.locator("a", has_text=re.compile(r"^SO\d+")).first
    widget_link.click()
    settle(page)
    execute = page.get_by_role("link", name="Execute Order")
    if execute.count():
        execute.first.click()  # the confirmation opens as a dialog (htmx, app.js)
        with page.expect_navigation():  # its form posts: a full navigation
            page.get_by_role("dialog").get_by_role("button", name="Yes, execute").click()
        settle(page)
    visit("/bss/orders")
    visit("/bss/offers")
    page.get_by_role("button", name=re.compile("Sign out|Log out")).first.click()
    settle(page)
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    for path in (
        "/bss/setup/order-statuses",
        "/bss/setup/offer-statuses",
        "/bss/setup/api-options",
        "/bss/setup/product-types",
    ):
        visit(path)
    page.get_by_role("link", name="Cloud Services").first.click()
    settle(page)
    with page.expect_navigation():  # saved: htmx follows its HX-Redirect
        page.get_by_role("button", name="Save").click()
    settle(page)

    assert len(visited) >= 12
    assert violations == [], violations

    # control: the watch does see a violation (an inline script the policy must block)
    visit("/bss/setup/product-types")  # a settled page, no navigation in flight
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
    )
    page.wait_for_timeout(500)
    assert page.evaluate("() => window.__ran") is None
    assert any("script-src" in v for v in violations), violations
