"""The designers' template preview (PRODUCT.md section 10): every state renders from fixture
data without a database, each at its own URL, and production has no preview at all."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from webapp import preview_fixtures as fx

TEMPLATES = Path(__file__).resolve().parents[1] / "webapp" / "templates"


@pytest.fixture(scope="module")
def preview_app(tmp_path_factory):
    """The app on an empty SQLite file without a single table: the preview must not need one."""
    from webapp import create_app

    empty = tmp_path_factory.mktemp("nodb") / "no-tables.sqlite3"
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{empty}", "SECRET_KEY": "t"}
    )


@pytest.fixture
def preview(preview_app):
    return preview_app.test_client()


def _url(state) -> str:
    return f"/_preview/{state.group}/{state.name}"


@pytest.mark.parametrize("key", sorted(fx.STATES), ids="/".join)
def test_every_preview_state_renders_without_a_database(preview, key):
    state = fx.STATES[key]
    response = preview.get(_url(state))
    assert response.status_code == 200, response.get_data(as_text=True)[-3000:]
    html = response.get_data(as_text=True)
    assert "<main" in html
    assert state.template in html  # the preview bar names the template to edit


def test_the_index_links_every_state_by_its_own_url(preview):
    html = preview.get("/_preview/").get_data(as_text=True)
    for state in fx.STATES.values():
        assert f'href="{_url(state)}"' in html, state.key


def test_the_required_states_exist():
    required = {
        ("setup", "product-type-precondition"),  # setup error message [seed 000]
        ("setup", "product-type-invalid"),  # form validation errors
        ("auth", "storefront-login-invalid"),
        ("setup", "order-statuses"),
        ("errors", "404"),
    }
    assert required <= set(fx.STATES)


def test_the_precondition_state_shows_the_seed_message_tied_to_its_field(preview):
    from core import texts
    from tests.conftest import soup

    page = soup(preview.get("/_preview/setup/product-type-precondition"))
    alert = page.find(id="non_automatic_execution-errors")
    assert texts.NON_AUTOMATIC_PRECONDITION in alert.get_text(" ")
    checkbox = page.find("input", attrs={"name": "non_automatic_execution"})
    assert checkbox["aria-describedby"] == "non_automatic_execution-errors"


def test_an_unknown_state_is_a_404(preview):
    assert preview.get("/_preview/storefront/no-such-state").status_code == 404


def test_the_status_colours_of_the_fixtures_come_as_css_classes(preview):
    css = preview.get("/_preview/status-colors.css").get_data(as_text=True)
    for status in fx.ORDER_STATUSES:
        assert f".status-color-{status.color[1:].lower()}" in css


def test_production_answers_404_for_the_preview(tmp_path):
    from webapp import create_app

    app = create_app(
        {
            "TESTING": False,
            "DEVELOPMENT": False,
            "APP_ENV": "production",
            "SECRET_KEY": "production-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        }
    )
    client = app.test_client()
    assert client.get("/_preview/").status_code == 404
    assert client.get("/_preview/setup/order-statuses").status_code == 404
    assert not any(rule.rule.startswith("/_preview") for rule in app.url_map.iter_rules())


def test_development_picks_up_a_changed_template_without_a_restart(tmp_path, monkeypatch):
    from webapp import create_app

    app = create_app(
        {
            "DEVELOPMENT": True,
            "TESTING": False,
            "SECRET_KEY": "dev",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        }
    )
    assert app.config["TEMPLATES_AUTO_RELOAD"] is True
    name = f"_reload_probe_{uuid.uuid4().hex[:8]}.html"
    probe = TEMPLATES / "preview" / name
    monkeypatch.setitem(
        fx.STATES,
        ("design", "reload-probe"),
        fx.State("design", "reload-probe", f"preview/{name}", "probe", dict, fx.ANONYMOUS),
    )
    client = app.test_client()
    try:
        probe.write_text('{% extends "layout/base.html" %}{% block content %}first{% endblock %}')
        assert "first" in client.get("/_preview/design/reload-probe").get_data(as_text=True)
        probe.write_text('{% extends "layout/base.html" %}{% block content %}second{% endblock %}')
        later = time.time() + 5  # a new mtime even on coarse file systems
        os.utime(probe, (later, later))
        assert "second" in client.get("/_preview/design/reload-probe").get_data(as_text=True)
    finally:
        probe.unlink(missing_ok=True)


def test_pages_are_served_under_a_csp_without_unsafe_inline(preview):
    response = preview.get("/_preview/storefront/basket-manual")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_htmx_indicator_styles_come_from_the_stylesheet_not_inline(preview):
    html = preview.get("/_preview/design/styleguide").get_data(as_text=True)
    assert '"includeIndicatorStyles": false' in html
    css = preview.get("/static/css/app.css").get_data(as_text=True)
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css


def test_design_tokens_live_in_one_place_and_the_bss_only_overrides_them(preview):
    css = preview.get("/static/css/app.css").get_data(as_text=True)
    root = css[css.index(":root {") : css.index("}", css.index(":root {"))]
    for token in (
        "--color-primary",
        "--color-info-bg",
        "--space-4",
        "--font-size-base",
        "--radius",
    ):
        assert token in root
    bss = css[css.index("body.bss {") : css.index("}", css.index("body.bss {"))]
    assert "--font-size-base" in bss and "--space-4" in bss  # denser, same names
