"""Sessions and sign-in (issue 8, point 3), each request in its own context as in production
(tests/security_helpers.IsolatedClient), so nothing carries over between requests but the cookie.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core import texts
from core.models import User
from tests.security_helpers import client_for, csrf_token_of, reset_throttling, sign_in


@pytest.fixture(autouse=True)
def _fresh_throttling():
    reset_throttling()
    yield
    reset_throttling()


def post_login(client, email, password="demo-password", bss=False, **kwargs):
    return client.post(
        "/bss/login" if bss else "/login", data={"email": email, "password": password}, **kwargs
    )


def test_signing_in_starts_a_new_session_nothing_planted_before_survives(app, session, demo):
    alice = session.scalar(select(User.id).where(User.email == "alice@acme.example"))
    client = client_for(app)
    client.get("/login")
    with client.session_transaction() as planted:
        planted["planted_by_attacker"] = "fixation"
        planted["_user_id"] = "1:1"  # a forged identity must not survive either
    before = client.get_cookie("session").value
    assert post_login(client, "alice@acme.example").status_code == 303
    after = client.get_cookie("session").value
    assert after != before
    with client.session_transaction() as current:
        assert "planted_by_attacker" not in current
        assert current["_user_id"].split(":")[0] == str(alice)
    assert client.get("/orders").status_code == 200


def test_the_old_session_cookie_works_until_logout_and_never_after(app, demo):
    client = sign_in(app, "admin")
    stolen = client.get_cookie("session").value
    replay = client_for(app)
    replay.set_cookie("session", stolen, domain="localhost")
    assert replay.get("/bss/").status_code == 200  # control: the copy works while signed in
    assert client.post("/bss/logout").status_code == 303
    for target in ("/bss/", "/bss/orders", "/bss/setup/order-statuses"):
        response = replay.get(target)
        assert response.status_code == 302, target
        assert response.headers["Location"].startswith("/bss/login")


def test_logging_out_ends_every_session_of_that_user_but_not_of_others(app, demo):
    laptop, phone = sign_in(app, "customer_a"), sign_in(app, "customer_a")
    other = sign_in(app, "customer_b")
    laptop.post("/logout")
    assert phone.get("/orders").status_code == 302
    assert other.get("/orders").status_code == 200


def test_a_deactivated_user_is_signed_out_at_the_next_request(app, session, demo):
    from core.db import write_transaction

    client = sign_in(app, "operator")
    assert client.get("/bss/").status_code == 200
    with write_transaction(session):
        user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
        user.active = False
    assert client.get("/bss/").status_code == 302


def test_a_forged_or_tampered_cookie_is_ignored(app, demo):
    client = sign_in(app, "customer_a")
    value = client.get_cookie("session").value
    forged = client_for(app)
    forged.set_cookie("session", value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB"))
    assert forged.get("/orders").status_code == 302


def test_failed_sign_ins_are_throttled_per_address_across_accounts_with_a_clear_message(app, demo):
    client = client_for(app)
    emails = [f"nobody{i}@acme.example" for i in range(20)]
    for email in emails:  # 20 different accounts: the per-account limit never trips
        assert post_login(client, email, "wrong").status_code == 401
    blocked = post_login(client, "alice@acme.example")
    assert blocked.status_code == 429
    assert texts.LOGIN_THROTTLED in blocked.get_data(as_text=True)
    # another address is not blocked by this one's failures
    elsewhere = client_for(app)
    response = post_login(elsewhere, "alice@acme.example", environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 303


def test_the_per_account_limit_holds_whatever_the_address(app, demo):
    for i in range(5):
        client = client_for(app)
        address = {"REMOTE_ADDR": f"10.0.0.{i + 1}"}
        assert (
            post_login(client, "bob@globex.example", "wrong", environ_base=address).status_code
            == 401
        )
    last = post_login(
        client_for(app), "bob@globex.example", environ_base={"REMOTE_ADDR": "10.0.0.99"}
    )
    assert last.status_code == 429
    assert texts.LOGIN_THROTTLED in last.get_data(as_text=True)


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(app, demo):
    unknown = post_login(client_for(app), "nobody@acme.example", "whatever")
    wrong = post_login(client_for(app), "alice@acme.example", "whatever")
    assert unknown.status_code == wrong.status_code == 401
    assert texts.LOGIN_FAILED in unknown.get_data(as_text=True)
    assert texts.LOGIN_FAILED in wrong.get_data(as_text=True)


def test_production_cookies_are_secure_http_only_and_same_site_lax(monkeypatch, db_url, app, demo):
    from webapp import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")  # one process: no Redis needed here
    monkeypatch.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    monkeypatch.setenv("DATABASE_URL", db_url)
    prod = create_app({"PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    client = client_for(prod)
    base = "https://localhost/"
    token = csrf_token_of(client.get("/login", base_url=base))
    response = client.post(
        "/login",
        data={"email": "alice@acme.example", "password": "demo-password", "csrf_token": token},
        base_url=base,
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with prod.app_context():
        from webapp.extensions import db

        db.engine.dispose()


def test_passwords_are_stored_with_pbkdf2_sha256_at_600000_iterations_by_default(app):
    from webapp.auth import verify_password
    from webapp.config import load_config

    assert load_config(app.instance_path)["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:600000"
    from werkzeug.security import generate_password_hash

    stored = generate_password_hash("s3cret", method="pbkdf2:sha256:600000")
    assert stored.startswith("pbkdf2:sha256:600000$")
    user = User(password_hash=stored)
    assert verify_password(user, "s3cret") and not verify_password(user, "S3cret")


def test_throttling_storage_is_shared_storage_when_configured(monkeypatch, app):
    from webapp.config import load_config

    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"
    monkeypatch.delenv("RATELIMIT_STORAGE_URI")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_counts_failed_sign_ins_in_redis_by_default(monkeypatch, app):
    from webapp.config import PerProcessThrottling, load_config

    for name in ("RATELIMIT_STORAGE_URI", "REDIS_URL", "RATELIMIT_ALLOW_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-test-secret")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/2")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == (
        "redis://cache.internal:6379/2"
    )
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://limits.internal:6379/0")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == (
        "redis://limits.internal:6379/0"
    )
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(PerProcessThrottling, match="RATELIMIT_ALLOW_MEMORY=1"):
        load_config(app.instance_path)
    monkeypatch.setenv("RATELIMIT_ALLOW_MEMORY", "1")
    assert load_config(app.instance_path)["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_right_password_gives_the_account_its_attempts_back(app, demo):
    for _ in range(4):
        assert post_login(client_for(app), "bob@globex.example", "wrong").status_code == 401
    assert post_login(client_for(app), "bob@globex.example").status_code == 303
    for _ in range(5):
        assert post_login(client_for(app), "bob@globex.example", "wrong").status_code == 401
    assert post_login(client_for(app), "bob@globex.example", "wrong").status_code == 429


def test_an_anonymous_visitors_session_is_not_rewritten_on_every_page(app, demo):
    """Flask-Login's "strong" protection treated every session without a signed-in identity
    (an anonymous visitor's, holding only its CSRF token) as stolen: it emptied the login keys
    and sent the session cookie again, with a remember-me cookie's deletion, on every page."""
    client = client_for(app)
    assert client.get("/").headers.getlist("Set-Cookie") == []  # a shared page: no token
    first = client.get("/login")
    assert "session=" in " ".join(first.headers.getlist("Set-Cookie"))  # its CSRF token
    kept = client.get_cookie("session").value
    for path in ("/", "/login", "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], path
    assert client.get_cookie("session").value == kept


def test_a_signed_in_session_shown_by_another_browser_is_still_signed_out(app, demo):
    """The strong protection still holds where there is an identity to protect: the session of
    a signed-in customer presented with another User-Agent is emptied."""
    client = sign_in(app, "customer_a")
    assert client.get("/orders").status_code == 200
    stolen = client.get_cookie("session").value
    thief = client_for(app)
    thief.set_cookie("session", stolen, domain="localhost")
    response = thief.get("/orders", headers={"User-Agent": "another browser"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
