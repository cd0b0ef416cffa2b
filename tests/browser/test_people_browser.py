"""Accounts and people in headless Chromium (issue 14): an admin creates an account with htmx,
invites an operator; the operator sets a password from the e-mailed link without JavaScript,
signs in and turns two-factor sign-in on from the QR code page (the image loads under the
strict CSP)."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from tests.browser.conftest import screenshot, sign_in

PASSWORD = "violet-harbour-lantern-42"


def _link(live_server, email: str) -> str:
    from core.models import Notification
    from webapp.extensions import db

    with live_server.app.app_context():
        body = db.session.scalar(
            select(Notification.body)
            .where(Notification.recipient == email)
            .order_by(Notification.id.desc())
        )
        db.session.remove()
    return re.search(r"https?://\S+", body).group(0)


def test_an_admin_creates_an_account_with_htmx(page, live_server):
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/accounts/new"))
    page.get_by_label("Name", exact=True).fill("Wayne Enterprises")
    page.get_by_label("Price list").select_option(label="Partner")
    page.get_by_label("Credit limit").fill("100")
    page.get_by_label("VAT number").fill("de 123 456 789")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Wayne Enterprises").wait_for()
    assert "DE123456789" in page.locator("main").inner_text()
    screenshot(page, "issue14-account-page")


def test_an_invited_operator_sets_a_password_and_turns_two_factor_on(page, nojs_page, live_server):
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/people"))
    page.get_by_label("E-mail").fill("olivia@skyline.example")
    page.get_by_label("Name").fill("Olivia Ops")
    page.get_by_role("button", name="Send invitation").click()
    page.locator("#bss-users", has_text="olivia@skyline.example").wait_for()

    link = _link(live_server, "olivia@skyline.example")
    assert link.startswith(live_server.url + "/bss/invitation/"), link
    nojs_page.goto(link)
    nojs_page.get_by_label("New password", exact=True).fill(PASSWORD)
    nojs_page.get_by_label("New password again").fill(PASSWORD)
    nojs_page.get_by_role("button", name="Set my password").click()
    nojs_page.wait_for_url(re.compile(r".*/bss/login$"))

    sign_in(nojs_page, live_server, "olivia@skyline.example", PASSWORD, bss=True)
    nojs_page.goto(live_server("/bss/two-factor"))
    qr = nojs_page.get_by_role("img", name="QR code of your two-factor key")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = nojs_page.locator("#totp-secret").inner_text()
    nojs_page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    nojs_page.get_by_role("button", name="Turn on two-factor sign-in").click()
    assert nojs_page.locator("#recovery-codes li").count() == 10
    screenshot(nojs_page, "issue14-recovery-codes")


def test_an_invitation_answer_does_not_stay_above_a_later_refusal(page, live_server):
    """Users of my account with htmx: "Invitation sent" shows in the users block and takes
    focus; a later refusal replaces it (it stayed above the error as a flash)."""
    from playwright.sync_api import expect

    from core import texts

    sign_in(page, live_server, "alice@acme.example")
    page.goto(live_server("/account/users"))
    page.get_by_label("E-mail").fill("dora@acme.example")
    page.get_by_label("Name").fill("Dora")
    page.get_by_role("button", name="Send invitation").click()
    sent = page.get_by_text(texts.USER_INVITED.format(email="dora@acme.example"))
    sent.wait_for()
    expect(sent).to_be_focused()
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_label("Name").fill("Eve")
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text(texts.FORM_HAS_ERRORS).wait_for()
    expect(sent).to_have_count(0)
    expect(page.get_by_label("E-mail")).to_be_focused()  # the first refused field
