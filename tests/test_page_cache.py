"""The anonymous catalogue and product pages shared for a second per process (issue 19,
eighth pass; webapp/page_cache.py): who gets a shared page, who never does, what is never
kept, how long a change in the BSS can stay unseen."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import write_transaction
from core.models import Product, Tenant
from tests.conftest import QueryCounter, app_config, login, soup
from webapp.page_cache import PageCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def cached_app(db_url, app):
    """The test app's database, served by an app whose page cache is on, on a clock of ours."""
    from webapp import create_app

    served = create_app(app_config(db_url, PAGE_CACHE_SECONDS=1.0, PAGE_CACHE_ENTRIES=5))
    assert isinstance(served.wsgi_app, PageCache)
    served.wsgi_app.clock = Clock()
    yield served
    from webapp.extensions import db

    with served.app_context():
        db.session.remove()
        db.engine.dispose()


def _cache(app) -> PageCache:
    return app.wsgi_app


def _product(session, code="AZ-BACKUP") -> Product:
    reseller = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    return session.scalar(
        select(Product).where(Product.tenant_id == reseller.id, Product.code == code)
    )


def _rename(session, product_id: int, name: str) -> None:
    with write_transaction(session):
        session.get(Product, product_id).name = name


def _statements(app, send):
    from webapp.extensions import db

    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as counter:
        response = send()
    return response, len(counter.statements)


def test_a_visitor_without_a_session_gets_the_page_kept_without_a_query(cached_app, session, demo):
    product = _product(session)
    visitor = cached_app.test_client()
    first = visitor.get(f"/products/{product.id}")
    assert first.status_code == 200
    assert "Set-Cookie" not in first.headers
    assert "Age" not in first.headers
    again, statements = _statements(cached_app, lambda: visitor.get(f"/products/{product.id}"))
    assert again.status_code == 200
    assert again.headers["Age"] == "0"
    assert statements == 0
    assert again.get_data() == first.get_data()
    # the security headers are the page's own
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert again.headers["X-Frame-Options"] == "DENY"


def test_a_shared_page_holds_no_csrf_token_and_sets_no_cookie(cached_app, session, demo):
    for path in ("/", f"/products/{_product(session).id}", "/?q=backup"):
        response = cached_app.test_client().get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path
        page = soup(response)
        assert page.body.get("hx-headers") is None, path
        assert page.find("input", attrs={"name": "csrf_token"}) is None, path


def test_a_change_in_the_bss_shows_after_at_most_the_settings_seconds(cached_app, session, demo):
    product = _product(session)
    path = f"/products/{product.id}"
    visitor = cached_app.test_client()
    assert product.name in visitor.get(path).get_data(as_text=True)
    assert product.name in visitor.get("/").get_data(as_text=True)
    _rename(session, product.id, "Backup renamed in the BSS")
    clock = _cache(cached_app).clock
    clock.now += 0.9
    assert "Backup renamed in the BSS" not in visitor.get(path).get_data(as_text=True)
    assert "Backup renamed in the BSS" not in visitor.get("/").get_data(as_text=True)
    clock.now += 0.2  # 1.1 s after it was kept
    assert "Backup renamed in the BSS" in visitor.get(path).get_data(as_text=True)
    assert "Backup renamed in the BSS" in visitor.get("/").get_data(as_text=True)


def test_a_reload_gets_a_fresh_page_and_keeps_it_for_the_next_visitors(cached_app, session, demo):
    product = _product(session)
    path = f"/products/{product.id}"
    visitor = cached_app.test_client()
    visitor.get(path)
    _rename(session, product.id, "Fresh name")
    reloaded = visitor.get(path, headers={"Cache-Control": "no-cache"})
    assert "Fresh name" in reloaded.get_data(as_text=True)
    assert "Age" not in reloaded.headers
    assert "Fresh name" in cached_app.test_client().get(path).get_data(as_text=True)
    _rename(session, product.id, "Fresher name")
    pragma = visitor.get(path, headers={"Pragma": "no-cache"})
    assert "Fresher name" in pragma.get_data(as_text=True)
    _rename(session, product.id, "Freshest name")  # a browser's plain reload (F5)
    reload = visitor.get(path, headers={"Cache-Control": "max-age=0"})
    assert "Freshest name" in reload.get_data(as_text=True)


def test_a_signed_in_customer_never_gets_nor_leaves_a_shared_page(cached_app, session, demo):
    product = _product(session)
    path = f"/products/{product.id}"
    customer = cached_app.test_client()
    login(customer, "alice@acme.example")
    own = customer.get(path)
    own_html = own.get_data(as_text=True)
    assert "Age" not in own.headers
    assert "Sign out" in own_html and soup(own).body.get("hx-headers")
    # the customer's page was not kept: a visitor gets a page of its own, without her name
    visitor_html = cached_app.test_client().get(path).get_data(as_text=True)
    assert "Sign out" not in visitor_html
    # and a page kept for visitors is never given to her
    again = customer.get(path)
    assert "Age" not in again.headers
    assert "Sign out" in again.get_data(as_text=True)
    assert len(_cache(cached_app)) == 1


def test_who_is_never_answered_from_the_cache(cached_app, session, demo):
    product = _product(session)
    path = f"/products/{product.id}"
    cached_app.test_client().get(path)  # kept
    assert len(_cache(cached_app)) == 1
    bypass = {
        "htmx": {"HX-Request": "true"},
        "an API key": {"Authorization": "Bearer x"},
        "a session cookie": {"Cookie": "session=forged"},
        "a remember-me cookie": {"Cookie": "other=1; remember_token=forged"},
        "a session cookie among others": {"Cookie": "consent=yes;session=forged"},
    }
    for reason, headers in bypass.items():
        client = cached_app.test_client(use_cookies=False)
        response = client.get(path, headers=headers)
        assert "Age" not in response.headers, reason
    head = cached_app.test_client().head(path)
    assert "Age" not in head.headers
    # a cookie the app does not read (a consent banner's) does not stop sharing
    consent = cached_app.test_client(use_cookies=False).get(path, headers={"Cookie": "consent=yes"})
    assert consent.headers.get("Age") == "0"


def test_what_is_never_kept(cached_app, session, demo):
    cache = _cache(cached_app)
    visitor = cached_app.test_client()
    assert visitor.get("/products/999999").status_code == 404
    assert visitor.get("/login").status_code == 200  # a page that does not share itself
    assert visitor.get("/basket").status_code in (302, 303)
    assert len(cache) == 0
    # a page that would set a cookie is not kept, even if the view shared it
    with cached_app.test_request_context():
        assert cache._storable("200 OK", [("Set-Cookie", "session=x")]) is False
        assert cache._storable("200 OK", [("Cache-Control", "private")]) is False
        assert cache._storable("200 OK", [("Content-Type", "text/html")]) is True


def test_each_host_and_query_is_its_own_page_and_the_cache_stays_bounded(cached_app, session, demo):
    cache = _cache(cached_app)
    visitor = cached_app.test_client()
    backup = visitor.get("/?q=backup").get_data(as_text=True)
    other = visitor.get("/?q=zzz-nothing").get_data(as_text=True)
    assert backup != other
    assert visitor.get("/?q=backup").headers["Age"] == "0"
    visitor.get("/", base_url="http://other.example")
    assert len(cache) == 3
    for n in range(20):  # random query strings cannot grow it past PAGE_CACHE_ENTRIES
        visitor.get(f"/?q=x{n}")
    assert len(cache) == 5


def test_the_setting(monkeypatch, tmp_path):
    from webapp.config import load_config

    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.delenv("PAGE_CACHE_SECONDS", raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert load_config(str(tmp_path))["PAGE_CACHE_SECONDS"] == 1.0
    monkeypatch.setenv("APP_ENV", "development")
    assert load_config(str(tmp_path))["PAGE_CACHE_SECONDS"] == 0.0
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "2.5")
    assert load_config(str(tmp_path))["PAGE_CACHE_SECONDS"] == 2.5
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "soon")
    with pytest.raises(RuntimeError, match="PAGE_CACHE_SECONDS"):
        load_config(str(tmp_path))


def test_off_by_default_in_tests_and_development(app):
    assert not isinstance(app.wsgi_app, PageCache)
