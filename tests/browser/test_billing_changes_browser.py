"""Billing changes (issue 17, point 3) in headless Chromium: fewer licenses from the period's
end, confirmed on a page that says when, then withdrawn; licenses bought mid-period show what
is charged now and what the next invoice is."""

from __future__ import annotations

import re

from core import texts
from tests.browser.conftest import screenshot, sign_in


def _card(page, name: str):
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=name))


def test_a_customer_reduces_licenses_at_the_period_end_then_withdraws_it(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server("/subscriptions"))
    card = _card(page, "Microsoft 365 Business Standard")
    card.locator("summary", has_text="Reduce, downgrade or cancel").click()
    card.get_by_label("New number of licenses").fill("8")
    card.get_by_role("button", name="Reduce licenses").click()
    page.wait_for_url(re.compile(r"/subscriptions/\d+/change/reduce-licenses"))
    summary = page.locator("#change-summary").inner_text()
    assert summary.startswith("Takes effect on ")
    assert "you keep 10 licenses until then; nothing is refunded" in summary
    screenshot(page, "storefront-subscription-change-confirm")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/subscriptions$"))
    card = _card(page, "Microsoft 365 Business Standard")
    scheduled = card.locator(".pending-changes li", has_text="8 licenses from")
    scheduled.wait_for()
    scheduled.get_by_role("button", name=re.compile("^Withdraw")).click()
    page.get_by_text(texts.CHANGE_WITHDRAWN).first.wait_for()
    assert (
        _card(page, "Microsoft 365 Business Standard")
        .locator(".pending-changes li", has_text="8 licenses from")
        .count()
        == 0
    )


def test_licenses_bought_mid_period_show_the_amount_now_and_the_next_invoice(page, live_server):
    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server("/subscriptions"))
    card = _card(page, "Microsoft 365 Business Standard")
    card.get_by_label("Licenses to add").fill("2")
    card.get_by_role("button", name="Buy licenses").click()
    page.wait_for_url(re.compile(r"/basket$"))
    charge = page.locator(".charge-now").first.inner_text()
    assert re.search(r"€[\d,.]+ now for .+ \(prorated\); then €[\d,.]+ per month from", charge)
    screenshot(page, "storefront-basket-prorated")
