"""CSRF (issue 8, point 2): every POST route refuses a missing or a foreign token, and takes the
token htmx sends in the X-CSRFToken header. Runs with WTF_CSRF_ENABLED (the test app turns it
off for the other tests)."""

from __future__ import annotations

import pytest

from core import texts
from tests.authz_matrix import LOGIN, MATRIX, OK, ROLES
from tests.security_helpers import (
    changed_tables,
    client_for,
    csrf_token_of,
    form_data,
    make_world,
    row_counts,
    url_of,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def csrf_world(app, session, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    return make_world(app, session)


def refused_for_csrf(response) -> bool:
    return response.status_code == 400 and texts.CSRF_FAILED in response.get_data(as_text=True)


# routes called by machines, not browsers: no session cookie rides along, so there is nothing
# for a forged request to borrow; an HMAC signature of the body authenticates them instead
# (job queue, issue 16), checked by test_signed_callbacks_refuse_an_unsigned_request below
SIGNED_NOT_SESSION = {"POST /provisioning/callback/<int:task_id>"}


def write_routes():
    """(key, role allowed to use it) for every POST/PUT/PATCH/DELETE route."""
    for key, (policy, _params) in MATRIX.items():
        if key.startswith("GET ") or key in SIGNED_NOT_SESSION:
            continue
        allowed = [r for r in ROLES if policy[r] == OK] or [r for r in ROLES if policy[r] == LOGIN]
        yield key, allowed[0]


def token(client, url: str = "/login") -> str:
    value = csrf_token_of(client.get(url))
    assert value
    return value


def test_every_write_route_refuses_a_missing_or_a_foreign_token_and_changes_nothing(csrf_world):
    app, session, clients = csrf_world["app"], csrf_world["session"], csrf_world["clients"]
    stranger = client_for(app)
    foreign = token(stranger)  # valid, but for another browser's session
    before = row_counts(session)
    checked = 0
    for key, role in write_routes():
        method, _rule = key.split(" ", 1)
        url = url_of(session, key)
        client = clients[role]
        data = form_data(csrf_world, url)
        attempts = {
            "no token": client.open(url, method=method, data=data),
            "no token (htmx)": client.open(url, method=method, data=data, headers=HTMX),
            "foreign token": client.open(url, method=method, data={**data, "csrf_token": foreign}),
            "foreign header": client.open(
                url, method=method, data=data, headers={**HTMX, "X-CSRFToken": foreign}
            ),
            "garbage header": client.open(
                url, method=method, data=data, headers={**HTMX, "X-CSRFToken": "x" * 40}
            ),
        }
        for what, response in attempts.items():
            assert refused_for_csrf(response), (key, role, what, response.status_code)
        checked += 1
    print(f"\nCSRF: {checked} write routes x 5 forged requests refused")
    assert checked == sum(1 for _ in write_routes())
    assert changed_tables(before, row_counts(session)) == {}
    # and every client is still signed in: nothing was done in their name
    assert clients["admin"].get("/bss/").status_code == 200


def test_every_write_route_takes_the_token_htmx_sends_in_its_header(csrf_world):
    session, clients = csrf_world["session"], csrf_world["clients"]
    accepted = 0
    for key, role in sorted(write_routes(), key=lambda kr: "logout" in kr[0]):
        method, _rule = key.split(" ", 1)
        url = url_of(session, key)
        client = clients[role]
        header_token = token(client, "/bss/login" if url.startswith("/bss") else "/login")
        response = client.open(
            url,
            method=method,
            data=form_data(csrf_world, url),
            headers={**HTMX, "X-CSRFToken": header_token},
        )
        assert not refused_for_csrf(response), (key, role, response.status_code)
        assert response.status_code < 500, (key, role)
        accepted += 1
    print(f"\nCSRF: {accepted} write routes accept the htmx header token")


def test_a_real_htmx_write_with_the_page_token_goes_through(csrf_world):
    admin = csrf_world["clients"]["admin"]
    page = admin.get("/bss/setup/product-types/new")
    response = admin.post(
        "/bss/setup/product-types/new",
        data={"name": "CSRF-checked type"},
        headers={**HTMX, "X-CSRFToken": csrf_token_of(page)},
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"]
    assert "CSRF-checked type" in admin.get("/bss/setup/product-types").get_data(as_text=True)


def test_over_https_the_same_origin_referer_passes_and_a_foreign_one_is_refused(csrf_world):
    """Referrer-Policy: same-origin keeps the Referer Flask-WTF checks on HTTPS."""
    app = csrf_world["app"]
    client = client_for(app)
    base = "https://localhost/"
    page = client.get("/login", base_url=base)
    assert page.headers["Referrer-Policy"] == "same-origin"
    form = {"email": "alice@acme.example", "password": "demo-password"}
    form["csrf_token"] = csrf_token_of(page)
    missing = client.post("/login", data=form, base_url=base)
    assert missing.status_code == 400
    foreign = client.post(
        "/login", data=form, base_url=base, headers={"Referer": "https://evil.example/login"}
    )
    assert foreign.status_code == 400
    same = client.post(
        "/login", data=form, base_url=base, headers={"Referer": "https://localhost/login"}
    )
    assert same.status_code == 303


def test_signed_callbacks_refuse_an_unsigned_request_and_change_nothing(csrf_world):
    app, session, clients = csrf_world["app"], csrf_world["session"], csrf_world["clients"]
    before = row_counts(session)
    for key in SIGNED_NOT_SESSION:
        url = url_of(session, key)
        for client in (client_for(app), clients["admin"]):
            response = client.post(url, data=b'{"status": "active"}')
            assert response.status_code == 400, (key, response.status_code)
            assert texts.PROVISIONING_BAD_SIGNATURE in response.get_data(as_text=True)
    assert changed_tables(before, row_counts(session)) == {}
