"""The BSS dashboard's self-refresh in Chromium (issue 13, point 15): it replaces the rows, not
the widget; it pauses while keyboard focus is inside the widget (focus stays where it was) or
while the tab is hidden; each row says why the order waits and for how long."""

from __future__ import annotations

import re

from core import texts
from tests.browser.conftest import screenshot, sign_in

POLL = "/bss/dashboard/unexecuted-orders"
WAIT_MS = 6_500  # longer than the 5 s poll


def _polls(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if POLL in request.url else None)
    return seen


def test_the_refresh_replaces_the_rows_and_keeps_the_widget(page, live_server):
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/"))
    polls = _polls(page)
    # mark the widget and a row: after a refresh the widget is the same node, the row a new one
    page.evaluate(
        """() => {
            document.getElementById('unexecuted-orders').dataset.marked = 'yes';
            document.querySelector('#unexecuted-rows tr').dataset.marked = 'yes';
        }"""
    )
    page.locator("h1").click()  # focus outside the widget
    page.wait_for_timeout(WAIT_MS)
    assert polls, "the rows were not refreshed"
    assert page.get_attribute("#unexecuted-orders", "data-marked") == "yes"
    assert page.locator("#unexecuted-rows tr[data-marked]").count() == 0
    row = page.locator("#unexecuted-rows tr").first.inner_text()
    assert re.search(r"waiting \d+ (min|h|d)", row)
    assert any(reason in row for reason in texts.WAIT_REASONS.values())
    screenshot(page, "dashboard-waiting-reasons")


def test_keyboard_focus_inside_the_widget_stays_where_it_was(page, live_server):
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/"))
    polls = _polls(page)
    link = page.locator("#unexecuted-rows tr a").nth(1)
    number = link.inner_text()
    link.focus()
    page.keyboard.press("Shift+Tab")  # move with the keyboard, as a keyboard user would
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == number
    page.wait_for_timeout(WAIT_MS)
    assert polls == []  # paused while focus is inside
    assert page.evaluate("() => document.activeElement.textContent") == number
    assert page.evaluate(
        "() => document.getElementById('unexecuted-rows').contains(document.activeElement)"
    )
    # focus leaves the widget: the refresh resumes
    page.locator("h1").click()
    page.wait_for_timeout(WAIT_MS)
    assert polls


def test_a_hidden_tab_does_not_refresh(page, live_server):
    sign_in(page, live_server, "operator@skyline.example", bss=True)
    page.goto(live_server("/bss/"))
    page.locator("h1").click()
    page.evaluate(
        """() => {
            Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    polls = _polls(page)
    page.wait_for_timeout(WAIT_MS)
    assert polls == []
