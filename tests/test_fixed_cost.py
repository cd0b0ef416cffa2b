"""What every request pays for (issue 19, fourth pass): the limiter's hooks, the session
cookie's signing, the catalogue's cards rendered once per card's values. Each keeps its
behaviour: limits still limit once declared, cookies keep their format and checks, a card
shows the product as it is now."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import update

from core.db import write_transaction
from core.models import PlanPrice, Product
from tests.conftest import soup
from tests.test_storefront_web import reseller_product


def _cards(response) -> dict[str, str]:
    return {li.h2.get_text(strip=True): str(li) for li in soup(response).select("li.product-card")}


def test_a_catalogue_card_shows_the_product_as_it_is_now(app, client, session, demo):
    app.jinja_env.auto_reload = False  # production: the cards are kept (tests reload templates)
    before = _cards(client.get("/"))
    assert "Azure Backup" in before
    assert app.extensions["cloudshop_fragments"]  # kept for the next visitor
    assert _cards(app.test_client().get("/")) == before  # the same card, from memory
    product = reseller_product(session, "AZ-BACKUP")
    with write_transaction(session):
        session.execute(
            update(Product)
            .where(Product.id == product.id)
            .values(name="Azure Backup Plus", description="Now with more.")
        )
        session.execute(
            update(PlanPrice)
            .where(PlanPrice.plan_id.in_([plan.id for plan in product.plans]))
            .values(price=PlanPrice.price + 1)
        )
    after = _cards(client.get("/"))
    assert "Azure Backup" not in after
    card = after["Azure Backup Plus"]
    assert "Now with more." in card and card != before["Azure Backup"]
    assert {k: v for k, v in after.items() if k != "Azure Backup Plus"} == {
        k: v for k, v in before.items() if k != "Azure Backup"
    }


def test_an_empty_catalogue_search_says_so(client, demo):
    page = soup(client.get("/?q=no-such-product-anywhere"))
    assert not page.select("li.product-card")
    assert page.select_one("li.empty-state") is not None


def test_the_session_cookie_keeps_flasks_format_and_refuses_other_keys(app):
    ours = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is ours  # kept
    flask_own = SecureCookieSessionInterface().get_signing_serializer(app)
    assert flask_own.loads(ours.dumps({"a": 1})) == {"a": 1}
    assert ours.loads(flask_own.dumps({"b": 2})) == {"b": 2}
    other = Flask("other")
    other.secret_key = "another-secret"
    foreign = SecureCookieSessionInterface().get_signing_serializer(other).dumps({"c": 3})
    assert dict(app.session_interface.open_session(app, _request(app, foreign))) == {}
    genuine = ours.dumps({"c": 3})
    assert dict(app.session_interface.open_session(app, _request(app, genuine))) == {"c": 3}


def test_a_session_cookie_is_checked_once_and_still_expires(app, monkeypatch):
    """A cookie seen before is not verified again (issue 19, sixth pass), but its age is
    checked on every request, and each request gets session data of its own."""
    import time

    from itsdangerous import BadSignature, SignatureExpired

    from webapp.security import KeyMemoSigner

    ours = app.session_interface.get_signing_serializer(app)
    max_age = int(app.permanent_session_lifetime.total_seconds())
    cookie = ours.dumps({"_user_id": "1:1", "_flashes": [["info", "Saved."]]})
    first = ours.loads(cookie, max_age=max_age)

    def no_second_check(*args, **kwargs):
        raise AssertionError("the kept cookie was verified again")

    monkeypatch.setattr(KeyMemoSigner, "unsign", no_second_check)
    again = ours.loads(cookie, max_age=max_age)
    assert again == first
    again["_flashes"].append(["info", "Another."])  # flash() changes the list in place
    assert ours.loads(cookie, max_age=max_age)["_flashes"] == [["info", "Saved."]]
    monkeypatch.undo()
    with pytest.raises(BadSignature):
        ours.loads(cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1], max_age=max_age)
    later = time.time() + max_age + 5
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(SignatureExpired):
        ours.loads(cookie, max_age=max_age)
    assert dict(app.session_interface.open_session(app, _request(app, cookie))) == {}


def _request(app, cookie: str):
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(path="/", headers={"Cookie": f"session={cookie}"})
    return app.request_class(builder.get_environ())


def test_a_changed_secret_key_signs_with_the_new_key(app):
    old = app.session_interface.get_signing_serializer(app).dumps({"a": 1})
    previous = app.secret_key
    try:
        app.secret_key = "a-new-secret"
        fresh = app.session_interface.get_signing_serializer(app)
        assert fresh.loads(fresh.dumps({"b": 2})) == {"b": 2}
        assert _refused(fresh, old)
    finally:
        app.secret_key = previous


def _refused(serializer, value) -> bool:
    from itsdangerous import BadSignature

    try:
        serializer.loads(value)
    except BadSignature:
        return True
    return False


def test_the_limiter_hooks_run_as_soon_as_a_limit_is_declared(app, demo):
    """A blueprint's limit is checked by the limiter's before-request hook (a route's own
    limit is checked by its decorator): it holds as soon as it is declared."""
    from flask import Blueprint

    from webapp.extensions import _limits_declared, limiter

    assert not _limits_declared()  # the app's own state: no limit anywhere
    manager = limiter.limit_manager
    saved = dict(manager._blueprint_limits)
    limited = Blueprint("limited_for_the_test", __name__)
    limited.add_url_rule("/limited-for-the-test", "page", lambda: "ok")
    limiter.limit("2/minute")(limited)
    app.register_blueprint(limited)
    try:
        limiter.reset()
        client = app.test_client()
        codes = [client.get("/limited-for-the-test").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:  # the limiter is shared by every app of the test process
        manager._blueprint_limits.clear()
        manager._blueprint_limits.update(saved)
        limiter.reset()
    assert not _limits_declared()


# --- issue 19, seventh pass: the request hooks every request runs ------------------------------


def _security_headers_as_before(headers, development: bool) -> list[tuple[str, str]]:
    """What ``apply_security_headers`` did before the seventh pass: one ``setdefault`` each."""
    from werkzeug.datastructures import Headers

    from webapp.security import CSP

    headers = Headers(headers)
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if not development:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return list(headers.items())


@pytest.mark.parametrize(
    "own",
    [
        [],
        [("Content-Type", "text/html; charset=utf-8"), ("Vary", "HX-Request")],
        [("x-frame-options", "SAMEORIGIN")],  # a response's own header wins, in any case
        [("Content-Security-Policy", "default-src 'none'"), ("Referrer-Policy", "no-referrer")],
        [("Strict-Transport-Security", "max-age=60")],
    ],
)
def test_the_security_headers_in_one_pass_are_those_of_one_setdefault_each(app, own):
    from flask import Response

    from webapp.security import apply_security_headers

    for development in (True, False):
        app.config["DEVELOPMENT"], app.testing = development, development
        with app.test_request_context("/"):
            response = Response(b"", headers=own)
            expected = _security_headers_as_before(response.headers, development)
            assert list(apply_security_headers(response).headers.items()) == expected


def test_the_security_headers_are_listed_once_per_app_and_settings(app, client, demo):
    client.get("/login")
    kept = app.extensions["cloudshop_security_headers"]
    client.get("/static/css/app.css")
    assert app.extensions["cloudshop_security_headers"] is kept  # not worked out again
    app.config["DEVELOPMENT"], app.testing = False, False  # production: HSTS joins them
    assert "Strict-Transport-Security" in client.get("/login").headers
    assert app.extensions["cloudshop_security_headers"] is not kept


def test_a_request_without_query_string_or_form_is_not_parsed_for_control_characters(
    app, client, demo, monkeypatch
):
    from werkzeug.sansio.request import Request

    def parsed(_request):
        raise AssertionError("the query string was parsed")

    with monkeypatch.context() as patch:
        patch.setattr(Request, "args", property(parsed))
        assert client.get("/static/css/app.css").status_code == 200
    # a query string or a form is still checked, on static files as on pages
    assert client.get("/static/css/app.css?v=%01").status_code == 400
    assert client.get("/static/css/app.css?v=1").status_code == 200
    assert client.get("/login?next=%00").status_code == 400


def test_whether_an_endpoint_needs_the_tenant_is_worked_out_once(app, client, demo, monkeypatch):
    from webapp import tenancy

    needs = app.extensions["cloudshop_tenant_endpoints"]
    assert client.get("/login").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert needs == {"storefront.login": True, "storefront.static": False}

    def no_lookup(_host):
        raise AssertionError("the tenant was looked up")

    monkeypatch.setattr(tenancy, "_lookup", no_lookup)
    app.extensions["cloudshop_tenants"].clear()
    assert client.get("/static/css/app.css").status_code == 200  # static files: no tenant
    with pytest.raises(AssertionError, match="looked up"):
        client.get("/login")
