"""Setup › Order Status in Chromium (issue 13, point 16): saving one row keeps the unsaved edits
of the others; the badge preview follows the colour picker and warns of a pale colour; the
saved colour shows at once; without JavaScript a row still saves."""

from __future__ import annotations

from sqlalchemy import select

from core import texts
from core.models import OrderStatus, Tenant
from tests.browser.conftest import screenshot, sign_in


def _ids(live_server):
    from webapp.extensions import db

    with live_server.app.app_context():
        rows = db.session.execute(
            select(OrderStatus.mandatory_key, OrderStatus.id)
            .join(Tenant, Tenant.id == OrderStatus.tenant_id)
            .where(Tenant.slug == "reseller", OrderStatus.mandatory_key.in_(("submitted", "draft")))
        ).all()
        db.session.remove()
    return dict(rows)


def _color_of(live_server, status_id):
    from webapp.extensions import db

    with live_server.app.app_context():
        color = db.session.get(OrderStatus, status_id).color
        db.session.remove()
    return color


def _set_color(page, selector, value):
    # a native colour picker cannot be driven by typing: set it as the picker would, with events
    page.eval_on_selector(
        selector,
        """(input, value) => {
            input.value = value;
            input.dispatchEvent(new Event('input', {bubbles: true}));
            input.dispatchEvent(new Event('change', {bubbles: true}));
        }""",
        value,
    )


def test_saving_one_row_keeps_the_unsaved_edits_of_the_others(page, live_server):
    ids = _ids(live_server)
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/setup/order-statuses"))
    draft, submitted = f"#status-{ids['draft']}", f"#status-{ids['submitted']}"
    page.fill(f"{draft}-description", "Draft (typed, not saved)")
    _set_color(page, f"{submitted}-color", "#0f766e")
    page.click(f"#row-{ids['submitted']} button:has-text('Save')")
    page.wait_for_selector(
        f"#row-{ids['submitted']} [role=status]:has-text('{texts.STATUS_ROW_SAVED}')"
    )
    assert page.input_value(f"{draft}-description") == "Draft (typed, not saved)"
    assert _color_of(live_server, ids["submitted"]) == "#0f766e"
    # the saved colour shows at once on this page's badge (its class comes with the row)
    page.wait_for_function(
        """(id) => getComputedStyle(document.querySelector(id + ' .status-dot'))
                    .backgroundColor === 'rgb(15, 118, 110)'""",
        arg=f"{submitted}-preview",
    )
    screenshot(page, "setup-statuses-row-saved")


def test_adding_a_status_keeps_the_unsaved_edits_of_the_other_rows(page, live_server):
    ids = _ids(live_server)
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/setup/order-statuses"))
    page.fill(f"#status-{ids['draft']}-description", "Draft (typed, not saved)")
    page.fill("#new-number", "9")
    page.fill("#new-description", "Awaiting hardware")
    page.click("#row-new button[aria-label='Add status']")
    page.wait_for_selector("tr[id^=row-]:has(input[value='Awaiting hardware'])")
    assert page.input_value(f"#status-{ids['draft']}-description") == "Draft (typed, not saved)"
    assert page.input_value("#new-description") == ""  # ready for another one


def test_the_badge_preview_follows_the_picker_and_warns_of_a_pale_colour(page, live_server):
    ids = _ids(live_server)
    sign_in(page, live_server, "admin@skyline.example", bss=True)
    page.goto(live_server("/bss/setup/order-statuses"))
    row = f"#status-{ids['submitted']}"
    _set_color(page, f"{row}-color", "#7c2d12")
    dot = page.locator(f"{row}-preview .status-dot")
    assert dot.evaluate("d => getComputedStyle(d).backgroundColor") == "rgb(124, 45, 18)"
    assert page.text_content(f"{row}-pale") == ""
    _set_color(page, f"{row}-color", "#fde68a")
    assert page.text_content(f"{row}-pale") == texts.STATUS_COLOR_PREVIEW_PALE
    page.click(f"#row-{ids['submitted']} button:has-text('Save')")
    page.wait_for_selector(f"#row-{ids['submitted']}.row-error")
    assert "too pale" in page.text_content(f"#row-{ids['submitted']}")
    assert _color_of(live_server, ids["submitted"]) == "#b45309"
    screenshot(page, "setup-statuses-pale-refused")


def test_without_javascript_a_row_saves_with_a_plain_post(nojs_page, live_server):
    ids = _ids(live_server)
    sign_in(nojs_page, live_server, "admin@skyline.example", bss=True)
    nojs_page.goto(live_server("/bss/setup/order-statuses"))
    nojs_page.fill(f"#status-{ids['submitted']}-description", "Submitted (no JS)")
    nojs_page.click(f"#row-{ids['submitted']} button:has-text('Save')")
    nojs_page.wait_for_load_state("networkidle")
    assert texts.STATUS_SAVED in nojs_page.text_content("body")
    assert nojs_page.input_value(f"#status-{ids['submitted']}-description") == "Submitted (no JS)"
