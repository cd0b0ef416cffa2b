"""Status colours must be visible on the badge (issue 13, point 16): WCAG contrast, pure rule."""

import re
from dataclasses import replace
from pathlib import Path

import pytest

from core.rules import colors
from core.rules import statuses as rules
from core.rules.statuses import StatusRow


def test_the_wcag_formula_gives_the_known_ratios():
    assert colors.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert colors.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    # WebAIM's contrast checker: #777777 on white is 4.48:1
    assert colors.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert colors.contrast_ratio("#ffffff", "#777777") == colors.contrast_ratio(
        "#777777", "#ffffff"
    )
    assert colors.relative_luminance("#FFFFFF") == pytest.approx(1.0)


def test_pale_colours_are_too_pale_for_the_badge_and_the_defaults_are_not():
    for pale in ("#ffffff", "#fde68a", "#e5e7eb", "#d1d5db", "#eef1f5"):
        assert colors.too_pale_for_badge(pale), pale
    for default in rules.DEFAULT_ORDER_STATUSES:
        assert not colors.too_pale_for_badge(default[5]), default
    for default in rules.DEFAULT_OFFER_STATUSES:
        assert not colors.too_pale_for_badge(default[4]), default
    assert not colors.too_pale_for_badge("not a colour")  # reported as invalid instead


def test_the_badge_background_is_the_stylesheets():
    css = (Path(__file__).resolve().parents[1] / "storefront/static/css/app.css").read_text()
    token = re.search(r"--color-neutral-bg:\s*(#[0-9a-fA-F]{6})", css).group(1)
    assert token.lower() == colors.BADGE_BACKGROUND


def _row(key="1", color="#b45309", **kw):
    return StatusRow(
        key=key,
        number=10,
        description="Custom",
        type="in_progress",
        storefront_type="viewable",
        color=color,
        **kw,
    )


def test_a_pale_colour_is_refused_for_a_new_or_changed_status_but_an_old_one_may_stay():
    from core import texts

    base = [
        StatusRow(
            key=str(i),
            number=n,
            description=d,
            type=t,
            storefront_type=s,
            color=c,
            mandatory_key=k,
        )
        for i, (k, n, d, t, s, c) in enumerate(rules.DEFAULT_ORDER_STATUSES, start=1)
    ]
    legacy = _row(key="99", color="#fafafa")  # saved before the rule existed
    before = base + [legacy]
    new = replace(_row(key="new", color="#fde68a"), description="Pale yellow")
    errors = rules.validate_order_status_table(before, before + [new])
    assert errors["new"] == [texts.STATUS_COLOR_TOO_PALE.format(ratio="1.0")]
    changed = [r if r.key != "1" else replace(r, color="#ffffff") for r in before]
    assert "1" in rules.validate_order_status_table(before, changed)
    renamed = [r if r.key != "99" else replace(r, number=11) for r in before]
    assert rules.validate_order_status_table(before, renamed) == {}


def test_offer_statuses_follow_the_same_colour_rule():
    before = [
        StatusRow(key=str(i), number=n, description=d, type=t, color=c, mandatory_key=k)
        for i, (k, n, d, t, c) in enumerate(rules.DEFAULT_OFFER_STATUSES, start=1)
    ]
    new = StatusRow(key="new", number=9, description="Pale", type="accepted", color="#ffffff")
    assert "new" in rules.validate_offer_status_table(before, before + [new])
