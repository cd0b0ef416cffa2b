"""Whether a status colour can be seen on its badge: WCAG 2.x relative luminance and contrast
ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio), standard library only.

A status badge shows its colour as a dot on the badge's background; a dot that is not at least
3:1 against that background (WCAG 1.4.11, non-text contrast) is too pale to be seen."""

from __future__ import annotations

import re

# the status badge's background: --color-neutral-bg in storefront/static/css/app.css
BADGE_BACKGROUND = "#eef1f5"
MIN_BADGE_CONTRAST = 3.0

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def is_hex_color(value: str) -> bool:
    return bool(_HEX.match(value or ""))


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour, from 0 (black) to 1 (white)."""
    if not is_hex_color(color):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def badge_contrast(color: str) -> float:
    return contrast_ratio(color, BADGE_BACKGROUND)


def too_pale_for_badge(color: str) -> bool:
    """True for a valid colour under 3:1 against the badge (an invalid one is another error)."""
    return is_hex_color(color) and badge_contrast(color) < MIN_BADGE_CONTRAST
