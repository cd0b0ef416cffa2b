"""Storefront people (issue 14 E): the BSS invites an account's users, an account's admin user
invites colleagues, password reset by e-mail (signed, single-use, expiring; the same answer
for any address; throttled)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.models import Account, Notification, User
from tests.conftest import login, text_of
from tests.security_helpers import client_for, reset_throttling
from tests.test_people import GOOD_PASSWORD, _path


@pytest.fixture(autouse=True)
def _fresh_throttling():
    reset_throttling()
    yield
    reset_throttling()


def _last_link(session, email, path):
    session.rollback()  # end the test's read snapshot: the requests ran in their own sessions
    note = session.scalar(
        select(Notification).where(Notification.recipient == email).order_by(Notification.id.desc())
    )
    assert note is not None, f"no e-mail to {email}"
    return re.search(rf"https?://\S+{path}\S+", note.body).group(0)


def _mails(session, email):
    session.rollback()
    return session.scalar(
        select(func.count()).select_from(Notification).where(Notification.recipient == email)
    )


def test_the_bss_invites_a_user_who_signs_in_on_the_storefront(app, demo, session):
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    sent = admin.post(
        f"/bss/accounts/{acme.id}/users/invite",
        data={"email": "Bea@Acme.example", "name": "Bea Buyer", "role": "customer"},
    )
    assert sent.status_code == 303
    link = _last_link(session, "bea@acme.example", "/invitation/")
    # the tenant's Storefront, on the deployment's scheme and port (PUBLIC_URL)
    port = urlsplit(app.config["PUBLIC_URL"]).port
    assert link.startswith(f"http://localhost{f':{port}' if port else ''}/invitation/"), link
    bea = client_for(app)
    assert bea.get(_path(link)).status_code == 200
    done = bea.post(_path(link), data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login")
    login(bea, "bea@acme.example", GOOD_PASSWORD, bss=False)
    assert bea.get("/orders").status_code == 200
    page = text_of(admin.get(f"/bss/accounts/{acme.id}"))
    assert "Bea Buyer" in page


def test_a_link_works_only_where_it_was_sent(app, demo, session):
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    admin.post(
        "/bss/people/invite",
        data={"email": "olga2@skyline.example", "name": "Olga", "role": "operator"},
    )
    bss_link = _path(_last_link(session, "olga2@skyline.example", "/bss/invitation/"))
    as_storefront = bss_link.replace("/bss/invitation/", "/invitation/")
    assert client_for(app).get(as_storefront).status_code == 404


def test_a_refused_invitation_says_why(app, demo, session):
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    acme = session.scalar(select(Account).where(Account.name == "Acme Ltd"))
    refused = admin.post(
        f"/bss/accounts/{acme.id}/users/invite",
        data={"email": "bob@globex.example", "name": "Bob", "role": "customer"},
    )
    assert refused.status_code == 422 and "already belongs" in text_of(refused)


def test_a_reset_answers_the_same_for_any_address_and_mails_only_a_real_one(app, demo, session):
    answers = []
    for email in ("alice@acme.example", "nobody@acme.example"):
        response = client_for(app).post("/password/forgot", data={"email": email})
        answers.append((response.status_code, response.headers.get("Location")))
    assert answers[0] == answers[1] == (303, "/password/forgot")
    assert _mails(session, "alice@acme.example") == 1
    assert _mails(session, "nobody@acme.example") == 0


def test_a_reset_link_sets_a_new_password_once_and_ends_old_sessions(app, demo, session):
    old_session = client_for(app)
    login(old_session, "alice@acme.example")
    client_for(app).post("/password/forgot", data={"email": "alice@acme.example"})
    link = _path(_last_link(session, "alice@acme.example", "/password/reset/"))
    alice = client_for(app)
    done = alice.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert done.status_code == 303
    assert old_session.get("/orders").status_code in (302, 303)  # signed out
    refused = alice.post(
        "/login", data={"email": "alice@acme.example", "password": "demo-password"}
    )
    assert refused.status_code == 401
    login(alice, "alice@acme.example", GOOD_PASSWORD, bss=False)
    reused = client_for(app).post(link, data={"password": "x" + GOOD_PASSWORD, "confirm": "x"})
    assert reused.status_code == 404


def test_reset_requests_are_throttled_per_address(app, demo, session):
    codes = [
        client_for(app).post("/password/forgot", data={"email": "alice@acme.example"}).status_code
        for _ in range(4)
    ]
    assert codes == [303, 303, 303, 429]
    assert _mails(session, "alice@acme.example") == 3


def test_an_account_admin_invites_a_colleague_and_a_plain_user_cannot(app, demo, session):
    alice = client_for(app)
    login(alice, "alice@acme.example")
    assert alice.get("/account/users").status_code == 200
    sent = alice.post(
        "/account/users/invite",
        data={"email": "carl@acme.example", "name": "Carl", "role": "customer"},
    )
    assert sent.status_code == 303
    session.rollback()
    carl = session.scalar(select(User).where(User.email == "carl@acme.example"))
    assert carl.account_id == session.scalar(
        select(User.account_id).where(User.email == "alice@acme.example")
    )
    assert _mails(session, "carl@acme.example") == 1
    bob = client_for(app)
    login(bob, "bob@globex.example")
    assert bob.get("/account/users").status_code == 403
    assert bob.post("/account/users/invite", data={"email": "x@globex.example"}).status_code == 403


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, demo):
    other = client_for(app)
    login(other, "alice@acme.example")
    alice = client_for(app)
    login(alice, "alice@acme.example")
    wrong = alice.post(
        "/account/password",
        data={"current": "nope", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert wrong.status_code == 422 and "not your current password" in text_of(wrong)
    done = alice.post(
        "/account/password",
        data={"current": "demo-password", "password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
    )
    assert done.status_code == 303
    assert alice.get("/orders").status_code == 200  # this session goes on
    assert other.get("/orders").status_code in (302, 303)  # the other one ended
    login(client_for(app), "alice@acme.example", GOOD_PASSWORD, bss=False)


def test_a_new_address_is_confirmed_from_a_link_sent_to_it(app, demo, session):
    alice = client_for(app)
    login(alice, "alice@acme.example")
    taken = alice.post(
        "/account/email", data={"email": "bob@globex.example", "current": "demo-password"}
    )
    assert taken.status_code == 422 and "already in use" in text_of(taken)
    asked = alice.post(
        "/account/email", data={"email": "alice.new@acme.example", "current": "demo-password"}
    )
    assert asked.status_code == 303
    assert _mails(session, "alice@acme.example") == 1  # the notice to the current address
    link = _path(_last_link(session, "alice.new@acme.example", "/account/email/confirm/"))
    page = client_for(app).get(link)
    assert page.status_code == 200 and "alice.new@acme.example" in text_of(page)
    session.rollback()
    assert session.scalar(select(User.email).where(User.email == "alice@acme.example"))
    for _ in range(2):  # a double click confirms once
        assert client_for(app).post(link).status_code == 303
    login(client_for(app), "alice.new@acme.example", bss=False)
    forged = client_for(app).get(link[:-4] + "abcd")
    assert forged.status_code == 404


def test_a_forged_host_header_never_reaches_a_link_in_an_e_mail(app, demo, session):
    # the Host header is the client's to write: an unknown host is served the default
    # tenant's Storefront, but a password-reset link built on it would hand the token to
    # whoever owns that host. Links go out on the tenant's own host or PUBLIC_URL.
    public = app.config["PUBLIC_URL"].rstrip("/")
    forger = client_for(app)
    sent = forger.post(
        "/password/forgot", data={"email": "alice@acme.example"}, base_url="http://evil.example"
    )
    assert sent.status_code == 303
    link = _last_link(session, "alice@acme.example", "/password/reset/")
    assert link.startswith(public + "/password/reset/"), link
    # the same on a BSS invitation sent from a forged host
    forged = "http://evil.example:8443"
    admin = client_for(app)
    signed_in = admin.post(
        "/bss/login",
        data={"email": "admin@skyline.example", "password": "demo-password"},
        base_url=forged,
    )
    assert signed_in.status_code == 303
    invited = admin.post(
        "/bss/people/invite",
        data={"email": "olga3@skyline.example", "name": "Olga", "role": "operator"},
        base_url=forged,
    )
    assert invited.status_code == 303
    link = _last_link(session, "olga3@skyline.example", "/bss/invitation/")
    assert link.startswith(public + "/bss/invitation/"), link
    # the tenant's own host (demo: localhost) is kept, on the deployment's scheme and port
    client_for(app).post("/password/forgot", data={"email": "bob@globex.example"})
    link = _last_link(session, "bob@globex.example", "/password/reset/")
    port = urlsplit(public).port
    assert link.startswith(f"http://localhost{f':{port}' if port else ''}/password/reset/"), link


def _htmx_invite(client, email, name="Someone"):
    return client.post(
        "/account/users/invite",
        data={"email": email, "name": name, "role": "customer"},
        headers={"HX-Request": "true", "HX-Target": "colleagues"},
    )


def test_an_account_admin_cannot_learn_which_addresses_other_companies_use(app, demo, session):
    """Inviting the address of another company's user answers as for any address (as
    registration and password reset do), and e-mails that user nothing."""
    from core import texts

    alice = client_for(app)
    login(alice, "alice@acme.example")
    before = _mails(session, "bob@globex.example")
    other = alice.post(
        "/account/users/invite",
        data={"email": "bob@globex.example", "name": "Bob", "role": "customer"},
    )
    unknown = alice.post(
        "/account/users/invite",
        data={"email": "nobody-yet@acme.example", "name": "Nobody", "role": "customer"},
    )
    assert other.status_code == unknown.status_code == 303
    page = text_of(alice.get("/account/users"))
    assert texts.USER_ALREADY_EXISTS not in page
    assert texts.USER_INVITED.format(email="bob@globex.example") in page
    assert _mails(session, "bob@globex.example") == before
    session.rollback()
    bob = session.scalar(select(User).where(User.email == "bob@globex.example"))
    assert bob.account_id != session.scalar(
        select(User.account_id).where(User.email == "alice@acme.example")
    )  # still Globex's user, not moved nor invited
    # an address of a user of alice's own account with a password is still refused: she
    # sees her account's users anyway
    own = _htmx_invite(alice, "alice@acme.example", "Alice")
    assert own.status_code == 422
    assert texts.USER_ALREADY_EXISTS in text_of(own)


def test_a_success_message_does_not_stay_above_a_later_error(app, demo, session):
    from core import texts
    from tests.conftest import soup

    alice = client_for(app)
    login(alice, "alice@acme.example")
    sent = _htmx_invite(alice, "dora@acme.example", "Dora")
    assert sent.status_code == 200
    box = soup(sent).find(id="colleagues")
    assert box is not None  # the block the form targets, with its answer inside
    assert texts.USER_INVITED.format(email="dora@acme.example") in box.get_text(" ")
    assert "dora@acme.example" in box.find("table").get_text(" ")
    refused = _htmx_invite(alice, "not an address", "Eve")
    assert refused.status_code == 422
    assert texts.USER_INVITED.format(email="dora@acme.example") not in text_of(refused)
