"""Response headers, inline-free pages and error pages (issue 8, points 4 and 6)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from tests.authz_matrix import MATRIX, OK
from tests.conftest import login
from tests.security_helpers import client_for, make_world, url_of


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_the_content_security_policy_allows_no_inline_script_plugin_base_or_framing(client, demo):
    response = client.get("/login")
    csp = csp_directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    for name, values in csp.items():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, name
        assert "*" not in values and "data:" not in values or name == "img-src", name


def test_every_page_of_every_role_carries_the_security_headers_and_no_inline_code(
    app, session, demo
):
    """Every GET route of the matrix, as each role allowed on it: the headers are there, and the
    HTML has no inline <script>, no style= attribute and no on* event handler (CSP would block
    them in the browser)."""
    world = make_world(app, session)
    pages = 0
    for key, (policy, _params) in MATRIX.items():
        if not key.startswith("GET "):
            continue
        url = url_of(session, key)
        for role, client in world["clients"].items():
            if policy[role] != OK:
                continue
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(url, headers=headers)
                h = response.headers
                assert "'unsafe-inline'" not in h["Content-Security-Policy"], url
                assert h["X-Content-Type-Options"] == "nosniff", url
                assert h["Referrer-Policy"] == "same-origin", url
                assert h["X-Frame-Options"] == "DENY", url
                if "html" in response.content_type:
                    assert_no_inline_code(response.get_data(as_text=True), url)
                    pages += 1
    print(f"\nheaders and inline code: {pages} HTML responses checked")
    assert pages > 50


def assert_no_inline_code(html: str, where: str) -> None:
    document = BeautifulSoup(html, "html.parser")
    for script in document.find_all("script"):
        assert script.get("src"), f"inline <script> in {where}"
    for element in document.find_all(True):
        for attribute in element.attrs:
            assert attribute != "style", f"style= on <{element.name}> in {where}"
            assert not re.fullmatch(r"on[a-z]+", attribute), f"{attribute}= in {where}"
        for attribute in ("href", "action", "formaction", "src"):
            value = str(element.get(attribute) or "").strip().lower()
            assert not value.startswith("javascript:"), f"javascript: URL in {where}"


def test_error_pages_carry_the_headers_too(client, demo):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_secure_cookies_and_no_preview_in_production(production_app, demo):
    client = client_for(production_app)
    response = client.get("/login")
    hsts = response.headers["Strict-Transport-Security"]
    assert int(re.search(r"max-age=(\d+)", hsts).group(1)) >= 31536000
    assert "includeSubDomains" in hsts
    assert production_app.config["SESSION_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    # the designers' preview does not exist in production
    assert client.get("/_preview/").status_code == 404
    assert not [r for r in production_app.url_map.iter_rules() if r.rule.startswith("/_preview")]


def test_no_hsts_in_development_so_localhost_keeps_working(client, demo):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_a_server_error_outside_development_shows_no_stack_trace_and_rolls_back(
    production_app, demo
):
    from sqlalchemy import func, select

    from core.models import AuditEntry
    from webapp.extensions import db

    @production_app.route("/_boom")
    def boom():
        db.session.add(
            AuditEntry(tenant_id=1, actor_label="x", entity="test", action="boom", detail="x")
        )
        db.session.flush()
        raise RuntimeError("secret internals: password=hunter2")

    client = client_for(production_app)
    response = client.get("/_boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "hunter2" not in body and "RuntimeError" not in body
    assert "Content-Security-Policy" in response.headers
    with production_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_control_characters_in_a_form_or_query_are_refused_with_a_message(app, session, demo):
    """PostgreSQL refuses NUL in text: without this guard such a form would be a server error."""
    from core import texts
    from tests.security_helpers import changed_tables, row_counts, sign_in

    admin = sign_in(app, "admin")
    before = row_counts(session)
    for value in ("\x00", "Type\x00", "bell\x07", "esc\x1b[31m"):
        response = admin.post("/bss/setup/product-types/new", data={"name": value})
        assert response.status_code == 400, repr(value)
        assert texts.INPUT_NOT_ALLOWED in response.get_data(as_text=True)
    assert admin.get("/bss/orders?q=%00").status_code == 400
    assert changed_tables(before, row_counts(session)) == {}
    # tabs and line breaks are ordinary text
    assert admin.post("/bss/setup/product-types/new", data={"name": "Tab\tType"}).status_code == 303


def test_a_number_beyond_what_the_database_holds_is_a_400_with_a_message(app, session, demo):
    from core import texts
    from tests.security_helpers import add_world_objects, changed_tables, row_counts, sign_in

    add_world_objects(session)
    offer_id = session.scalar(select_offer_id())
    admin = sign_in(app, "admin")
    before = row_counts(session)
    response = admin.post(
        f"/bss/offers/{offer_id}/items", data={"plan_id": str(2**70), "quantity": "1"}
    )
    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert texts.INPUT_OUT_OF_RANGE in response.get_data(as_text=True)
    assert changed_tables(before, row_counts(session)) == {}


def select_offer_id():
    from sqlalchemy import select

    from core.models import Offer

    return select(Offer.id).order_by(Offer.id).limit(1)


def test_a_storefronts_error_pages_carry_its_providers_name(client, demo):
    """A page no route matches is still the provider's Storefront: its name in the title and
    the header, as on a 404 of a route that matched (it said "Cloudshop", the platform's)."""
    from bs4 import BeautifulSoup

    from core.models import Tenant
    from webapp.extensions import db

    name = db.session.query(Tenant.name).filter(Tenant.slug == "reseller").scalar()
    for path in ("/no-such-page", "/bss/no-such-page"):
        response = client.get(path)
        assert response.status_code == 404
        if path.startswith("/bss"):  # the back office's header says BSS, its title the name
            assert "Cloudshop" not in BeautifulSoup(response.data, "html.parser").get_text()
            continue
        page = BeautifulSoup(response.data, "html.parser")
        assert page.title.get_text().strip() == f"404 · {name}", path
        assert page.select_one(".brand").get_text().strip() == name, path
        assert "Cloudshop" not in page.get_text()


def test_a_json_body_a_form_cannot_read_is_a_400_not_a_500(app, session, demo):
    # the forms take a JSON object as their fields (as Flask-WTF does); nesting deeper than
    # the interpreter's limit, or JSON that is no object, made a server error
    from core import texts
    from tests.security_helpers import changed_tables, row_counts, sign_in

    alice = sign_in(app, "customer_a")
    before = row_counts(session)
    for body in ("[" * 50_000 + "]" * 50_000, "[1, 2]", '"text"', "5", "1" * 5_000, "{"):
        for path in ("/account/password", "/password/forgot", "/basket/items/1/quantity"):
            response = alice.post(path, data=body, content_type="application/json")
            assert response.status_code == 400, (path, body[:20], response.status_code)
            assert texts.JSON_BODY_UNREADABLE in response.get_data(as_text=True)
    assert changed_tables(before, row_counts(session)) == {}
    # a JSON object is still taken as the form's fields
    answered = alice.post(
        "/password/forgot", json={"email": "alice@acme.example"}, follow_redirects=False
    )
    assert answered.status_code == 303


def test_a_signed_in_page_is_never_kept_by_a_browser_or_a_proxy(app, demo):
    # after signing out (or on a shared computer) the back button must not show the last
    # customer's orders or the BSS from the browser's cache
    alice = client_for(app)
    login(alice, "alice@acme.example")
    for path in ("/orders", "/invoices", "/basket"):
        assert alice.get(path).headers.get("Cache-Control") == "private, no-store", path
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    assert admin.get("/bss/orders").headers.get("Cache-Control") == "private, no-store"
    # a page anyone may see keeps what it had (the shared anonymous pages, issue 19)
    assert "no-store" not in (client_for(app).get("/").headers.get("Cache-Control") or "")
