"""Two-factor sign-in (issue 14 F): TOTP set up from a QR code with recovery codes, the code
step of a BSS sign-in (no replay, recovery codes used up), and the tenant setting that
requires it, down to the done-when walk-through: an admin invites an operator who must set up
two-factor sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from core.models import Tenant, User
from core.rules import two_factor as rules
from core.services import two_factor
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for, reset_throttling
from tests.test_people import GOOD_PASSWORD, _invite, _link_of, _path


@pytest.fixture(autouse=True)
def _fresh_throttling():
    reset_throttling()
    yield
    reset_throttling()


def test_who_must_use_two_factor_sign_in():
    assert not rules.required("off", "bss", "admin")
    assert rules.required("admins", "bss", "admin")
    assert not rules.required("admins", "bss", "operator")
    assert rules.required("all", "bss", "operator")
    assert not rules.required("all", "storefront", "customer")
    codes = rules.new_recovery_codes()
    assert len(set(codes)) == 10
    assert rules.hash_recovery_code(codes[0].upper()) == rules.hash_recovery_code(codes[0])


def _set_up(client) -> tuple[str, list[str]]:
    page = soup(client.get("/bss/two-factor"))
    assert page.find("img")["src"].startswith("data:image/svg+xml")
    secret = page.find(id="totp-secret").get_text()
    wrong = client.post("/bss/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422
    done = client.post("/bss/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = [c.get_text() for c in soup(done).select("#recovery-codes code")]
    assert len(codes) == 10
    return secret, codes


def _password_step(app, email="operator@skyline.example", password="demo-password"):
    client = client_for(app)
    step = client.post("/bss/login", data={"email": email, "password": password})
    assert step.status_code == 303 and step.headers["Location"] == "/bss/login/second-factor"
    return client


def test_a_bss_user_signs_in_with_a_code_once_or_a_recovery_code_once(app, demo, session):
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    secret, codes = _set_up(operator)

    client = _password_step(app)
    assert client.get("/bss/orders").status_code in (302, 303)  # not signed in yet
    wrong = client.post("/bss/login/second-factor", data={"code": "123456"})
    assert wrong.status_code == 401
    user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
    # a code of a later step than the one used to set it up (the clock moves on)
    later = datetime.now(UTC) + timedelta(seconds=30)
    code = pyotp.TOTP(secret).at(later)
    assert two_factor.check_second_factor(session, user.id, code, now=later)
    assert not two_factor.check_second_factor(session, user.id, code, now=later)  # replayed

    recovery = _password_step(app)
    assert recovery.post("/bss/login/second-factor", data={"code": codes[0]}).status_code == 303
    assert recovery.get("/bss/orders").status_code == 200
    again = _password_step(app)
    assert again.post("/bss/login/second-factor", data={"code": codes[0]}).status_code == 401


def test_the_code_step_without_a_right_password_is_the_login_page(app, demo):
    client = client_for(app)
    answer = client.post("/bss/login/second-factor", data={"code": "123456"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/bss/login"


def test_the_done_when_walk_through_an_invited_operator_must_set_up_two_factor(app, demo, session):
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    assert admin.post("/bss/setup/security", data={"policy": "all"}).status_code == 303
    # the admin, too, must now set it up before any other page
    assert admin.get("/bss/orders").headers["Location"] == "/bss/two-factor"
    _set_up(admin)
    assert _invite(admin, email="olivia@skyline.example").status_code == 303
    link = _path(_link_of(session, "olivia@skyline.example"))
    olivia = client_for(app)
    olivia.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    login(olivia, "olivia@skyline.example", GOOD_PASSWORD, bss=True)
    sent = olivia.get("/bss/orders")
    assert sent.status_code == 303 and sent.headers["Location"] == "/bss/two-factor"
    assert "requires two-factor sign-in" in text_of(olivia.get("/bss/two-factor"))
    _set_up(olivia)
    assert olivia.get("/bss/orders").status_code == 200
    session.rollback()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    assert tenant.two_factor_required == "all"


def test_only_admins_choose_who_must_use_it(client, demo):
    login(client, "operator@skyline.example")
    assert client.post("/bss/setup/security", data={"policy": "off"}).status_code == 403
    client.post("/bss/logout")
    login(client, "admin@skyline.example")
    assert client.post("/bss/setup/security", data={"policy": "sometimes"}).status_code == 422


def test_a_storefront_user_may_turn_two_factor_sign_in_on(app, demo, session):
    alice = client_for(app)
    login(alice, "alice@acme.example")
    page = soup(alice.get("/account/two-factor"))
    secret = page.find(id="totp-secret").get_text()
    done = alice.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and len(soup(done).select("#recovery-codes code")) == 10
    codes = [c.get_text() for c in soup(done).select("#recovery-codes code")]
    again = client_for(app)
    step = again.post("/login", data={"email": "alice@acme.example", "password": "demo-password"})
    assert step.status_code == 303 and step.headers["Location"] == "/login/second-factor"
    assert again.get("/orders").status_code in (302, 303)
    assert again.post("/login/second-factor", data={"code": codes[1]}).status_code == 303
    assert again.get("/orders").status_code == 200
    # not required of the others: Bob signs in with his password alone
    login(client_for(app), "bob@globex.example")


def test_an_admin_turns_a_lost_second_factor_off(app, demo, session):
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    _set_up(operator)
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    user_id = session.scalar(select(User.id).where(User.email == "operator@skyline.example"))
    assert admin.post(f"/bss/people/{user_id}/two-factor/reset").status_code == 303
    assert operator.get("/bss/orders").status_code in (302, 303)  # signed out
    login(client_for(app), "operator@skyline.example")  # the password alone again


def test_a_refused_security_form_saves_neither_setting(client, demo, session):
    """Found by the fuzzing test: the two-factor setting was saved before the registration
    setting was refused."""
    login(client, "admin@skyline.example")
    refused = client.post("/bss/setup/security", data={"policy": "all", "self_registration": "x"})
    assert refused.status_code == 422
    session.rollback()
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    assert (tenant.two_factor_required, tenant.self_registration) == ("off", "approval")


def test_a_user_turns_its_own_two_factor_sign_in_off_with_a_code(app, demo, session):
    alice = client_for(app)
    login(alice, "alice@acme.example")
    secret = soup(alice.get("/account/two-factor")).find(id="totp-secret").get_text()
    done = alice.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = [c.get_text() for c in soup(done).select("#recovery-codes code")]
    page = soup(alice.get("/account/two-factor"))
    assert page.find("form", action="/account/two-factor/off") is not None
    # a wrong code changes nothing, and says why
    refused = alice.post("/account/two-factor/off", data={"off_code": "000000"})
    assert refused.status_code == 422 and "not right" in text_of(refused)
    session.rollback()
    assert session.scalar(select(User.totp_secret).where(User.email == "alice@acme.example"))
    # a recovery code (the phone is gone) turns it off; the password alone signs in again
    off = alice.post("/account/two-factor/off", data={"off_code": codes[0]})
    assert off.status_code == 303 and off.headers["Location"] == "/account/two-factor"
    assert "Two-factor sign-in is off." in text_of(alice.get("/account/two-factor"))
    session.rollback()
    assert not session.scalar(select(User.totp_secret).where(User.email == "alice@acme.example"))
    assert alice.get("/orders").status_code == 200  # still signed in
    login(client_for(app), "alice@acme.example")
    # again: nothing to turn off, nothing changes
    assert alice.post("/account/two-factor/off", data={"off_code": "123456"}).status_code == 303


def test_a_bss_user_cannot_turn_off_what_the_tenant_requires(app, demo, session):
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    secret, _codes = _set_up(operator)
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    assert admin.post("/bss/setup/security", data={"policy": "all"}).status_code == 303
    page = soup(operator.get("/bss/two-factor"))
    assert page.find("form", action="/bss/two-factor/off") is None
    refused = operator.post("/bss/two-factor/off", data={"off_code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 409
    session.rollback()
    assert session.scalar(select(User.totp_secret).where(User.email == "operator@skyline.example"))
