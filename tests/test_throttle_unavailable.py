"""When the throttles' shared storage (Redis) does not answer, sign-in, password-reset e-mails
and API calls are refused with a 503 that says so: never a 500, never unthrottled, nothing
changed."""

from __future__ import annotations

import pytest
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import func, select

from core import texts
from core.models import OutboxItem
from tests.api_helpers import auth, make_key
from tests.security_helpers import client_for


@pytest.fixture
def redis_down(app, monkeypatch):
    """The limiter's storage on a port where nothing listens (connection refused at once)."""
    from webapp.extensions import limiter

    dead = MovingWindowRateLimiter(storage_from_string("redis://127.0.0.1:1/0"))
    monkeypatch.setattr(limiter, "_limiter", dead)
    monkeypatch.setattr(limiter, "_storage_dead", False)
    assert limiter.enabled


@pytest.mark.parametrize("path", ["/login", "/bss/login"])
def test_sign_in_answers_503_with_a_message_and_signs_nobody_in(app, demo, redis_down, path):
    client = client_for(app)
    email = "alice@acme.example" if path == "/login" else "admin@skyline.example"
    response = client.post(path, data={"email": email, "password": "demo-password"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert texts.THROTTLE_UNAVAILABLE in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    follow = client.get("/orders" if path == "/login" else "/bss/")
    assert follow.status_code == 302  # still signed out


def test_password_reset_answers_503_and_sends_nothing(app, demo, session, redis_down):
    before = session.scalar(select(func.count()).select_from(OutboxItem))
    response = client_for(app).post("/password/forgot", data={"email": "alice@acme.example"})
    assert response.status_code == 503
    assert texts.THROTTLE_UNAVAILABLE in response.get_data(as_text=True)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(OutboxItem)) == before


def test_an_api_call_answers_problem_json_503(app, client, demo, session, redis_down):
    token = make_key(session, "admin@skyline.example")
    response = client.get("/api/v1/orders", headers=auth(token))
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"].endswith("#problem-service-unavailable")
    assert body["status"] == 503 and body["detail"] == texts.THROTTLE_UNAVAILABLE
    assert response.headers["Retry-After"] == "30"
