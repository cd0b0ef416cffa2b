"""Issue 13, points 9 and 14 in headless Chromium: the execution date shows only when "On a
date I choose" is picked (with JavaScript; without it the field is simply there), and a declined
card leads to Pay now, which executes the order."""

from __future__ import annotations

import re

from core import texts
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_storefront_browser import add_to_basket, open_product


def _to_review(page, live_server) -> None:
    sign_in(page, live_server, "alice@acme.example")
    open_product(page, live_server, "Azure Backup")
    add_to_basket(page)
    page.goto(live_server("/basket"))
    page.get_by_role("button", name="Check out").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/billing"))
    page.get_by_label("Billing address").fill("1 Main Street\nSpringfield")
    page.get_by_role("button", name="Continue to review").click()
    page.wait_for_url(re.compile(r"/checkout/\d+/review"))


def test_the_execution_date_shows_only_when_a_date_is_chosen(page, live_server):
    _to_review(page, live_server)
    date_field = page.get_by_label("Execution date")
    submit = page.locator("#place-form button[type=submit]")
    assert not date_field.is_visible()
    assert re.fullmatch(r"Pay €[\d,.]+", submit.inner_text())
    page.get_by_label("On a date I choose").check()
    assert date_field.is_visible()
    assert submit.inner_text() == texts.SCHEDULE_ORDER_BUTTON
    screenshot(page, "storefront-review-scheduled")
    page.get_by_label("Immediately").check()
    assert not date_field.is_visible()
    assert submit.inner_text().startswith("Pay €")


def test_without_javascript_the_execution_date_is_simply_there(nojs_page, live_server):
    _to_review(nojs_page, live_server)
    assert nojs_page.get_by_label("Execution date").is_visible()
    assert nojs_page.locator("#schedule_on-hint").is_visible()


def _declined_then_pay_now(page, live_server, name: str) -> None:
    _to_review(page, live_server)
    page.get_by_label("Name on the card").fill("Alice Acme")
    page.get_by_label("Card number").fill("4000 0000 0000 0002")
    page.get_by_label("Expiry (MM/YY)").fill("12/39")
    page.get_by_label("CVC", exact=True).fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay €")).click()
    page.wait_for_url(re.compile(r"/orders/\d+/confirmation"))
    assert page.locator("#confirmation-message").inner_text().startswith("Your payment failed:")
    page.get_by_role("link", name=texts.PAY_NOW, exact=True).click()
    page.wait_for_url(re.compile(r"/orders/\d+#pay-now"))
    form = page.locator("#pay-now form")
    form.get_by_label("Name on the card").fill("Alice Acme")
    form.get_by_label("Card number").fill("4242 4242 4242 4242")
    form.get_by_label("Expiry (MM/YY)").fill("12/39")
    form.get_by_label("CVC", exact=True).fill("123")
    form.get_by_role("button", name=re.compile(r"^Pay €")).click()
    page.locator(".flash-success", has_text=texts.PAY_NOW_SUCCEEDED).wait_for()
    assert "Executed" in page.locator(".page-header").inner_text()
    screenshot(page, name)


def test_a_declined_card_is_paid_now_with_another_one(page, live_server):
    _declined_then_pay_now(page, live_server, "storefront-pay-now")


def test_pay_now_works_without_javascript(nojs_page, live_server):
    _declined_then_pay_now(nojs_page, live_server, "storefront-pay-now-nojs")
