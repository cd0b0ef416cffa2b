"""Template hygiene: djLint passes, and nothing stands in the way of a strict
Content-Security-Policy (no inline styles, inline scripts or on* handlers); internal links
come from url_for."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIRS = [
    ROOT / "webapp" / "templates",
    ROOT / "storefront" / "templates",
    ROOT / "bss_admin" / "templates",
]
# (test_preview.py writes a short-lived _reload_probe_*.html while it checks auto-reload)
TEMPLATES = sorted(
    p for d in TEMPLATE_DIRS for p in d.rglob("*.html") if not p.name.startswith("_reload_probe_")
)

STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\shx-on[:-]|\shx-vars\s*=|\bjs:", re.IGNORECASE)
# an internal URL written out instead of built with url_for
HARD_CODED_URL = re.compile(
    r"""\s(href|action|src|hx-get|hx-post|hx-put|hx-patch|hx-delete|formaction)\s*=\s*["']/""",
    re.IGNORECASE,
)


def _offences(pattern: re.Pattern) -> list[str]:
    found = []
    for path in TEMPLATES:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 10


def test_djlint_finds_nothing_in_any_template():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "djlint",
            *map(str, TEMPLATE_DIRS),
            "--lint",
            "--extend-exclude",
            ".*_reload_probe_.*",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    "pattern",
    [STYLE_ATTRIBUTE, STYLE_ELEMENT, INLINE_SCRIPT, EVENT_HANDLER, JS_URL, HTMX_EVAL],
    ids=["style-attribute", "style-element", "inline-script", "on-handler", "js-url", "htmx-eval"],
)
def test_no_template_needs_unsafe_inline_in_the_csp(pattern):
    assert _offences(pattern) == []


MESSAGE_ELEMENT = re.compile(
    r"""<[a-z]+[^>]*class=["'][^"']*\b(banner|ribbon|alert|flash)\b[^>]*>"""
)


def test_banners_ribbons_and_alerts_are_announced():
    unannounced = []
    for path in TEMPLATES:
        for match in MESSAGE_ELEMENT.finditer(path.read_text()):
            if "role=" not in match.group(0):
                unannounced.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert unannounced == []


def test_internal_links_are_built_with_url_for():
    assert _offences(HARD_CODED_URL) == []


# a date shown as 2026-12-17 where every other date reads in the viewer's format (localdate);
# an <input type="date">'s min, max and value are ISO by definition
ISO_DATE_SHOWN = re.compile(r"\.isoformat\(\)")
ISO_DATE_ATTRIBUTE = re.compile(r"""(min|max|value)\s*=\s*"[^"]*\.isoformat\(\)""")


def test_dates_are_shown_in_the_viewers_format():
    offences = [
        line
        for line in _offences(ISO_DATE_SHOWN)
        if ISO_DATE_SHOWN.search(ISO_DATE_ATTRIBUTE.sub("", line.split(": ", 1)[1]))
    ]
    assert offences == []


def test_the_checks_catch_what_they_look_for():
    assert STYLE_ATTRIBUTE.search('<p class="x" style="color: red">')
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search("<script src=\"{{ url_for('x') }}\" defer></script>")
    assert EVENT_HANDLER.search('<button onclick="go()">')
    assert not EVENT_HANDLER.search('<button hx-confirm="Delete?">')
    assert HARD_CODED_URL.search('<a href="/basket">')
    assert not HARD_CODED_URL.search("<a href=\"{{ url_for('storefront.basket') }}\">")
    assert not HARD_CODED_URL.search('<a href="#main">')
    assert MESSAGE_ELEMENT.search('<p class="ribbon ribbon-credit">')
    assert not MESSAGE_ELEMENT.search('<p class="alerts-list">')
