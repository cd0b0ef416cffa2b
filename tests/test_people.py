"""BSS people (issue 14 D): invitations by e-mail with a signed, single-use, expiring link that
sets the password; roles defined in one place; teams; deactivation ending sessions at once."""

from __future__ import annotations

import logging
import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from core.models import Notification, Team, User
from core.rules import roles
from core.services import tokens
from tests.conftest import login, soup, text_of
from tests.security_helpers import client_for

GOOD_PASSWORD = "violet-harbour-lantern-42"


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _invite(client, email="olivia@skyline.example", role="operator", **extra):
    return client.post(
        "/bss/people/invite",
        data={"email": email, "name": "Olivia Ops", "role": role, "team_id": "", **extra},
    )


def _link_of(session, email) -> str:
    note = session.scalar(
        select(Notification).where(Notification.recipient == email).order_by(Notification.id.desc())
    )
    return re.search(r"https?://\S+/bss/invitation/\S+", note.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def test_roles_and_what_they_may_do_live_in_one_table():
    assert roles.may("admin", roles.PEOPLE) and roles.may("admin", roles.SETUP)
    assert roles.may("operator", roles.ORDERS) and not roles.may("operator", roles.PEOPLE)
    assert roles.may("finance", roles.ACCOUNTS_VIEW) and not roles.may("finance", roles.ORDERS)
    assert roles.may("catalogue_manager", roles.CATALOGUE)
    assert not roles.may("catalogue_manager", roles.ORDERS)
    assert roles.roles_with(roles.ORDERS) == ("admin", "operator")
    assert set(roles.PERMISSIONS) == set(roles.BSS_ROLES) == set(roles.ROLE_LABELS)


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_an_invited_operator_sets_a_password_from_the_link_once(app, client, demo, session):
    login(client, "admin@skyline.example")
    logged, log = _Lines(), logging.getLogger("cloudshop.notifications")
    level, disabled = log.level, log.disabled
    log.setLevel(logging.DEBUG)
    log.disabled = False
    log.addHandler(logged)
    try:
        assert _invite(client).status_code == 303
    finally:
        log.removeHandler(logged)
        log.setLevel(level)
        log.disabled = disabled
    link = _link_of(session, "olivia@skyline.example")
    # the HTML part's link can be clicked (it was a paragraph of text)
    html = session.scalar(
        select(Notification.html_body).where(Notification.recipient == "olivia@skyline.example")
    )
    assert soup_of(html).find("a", href=link) is not None, html
    assert any("olivia@skyline.example" in line for line in logged.lines)
    assert not any("/invitation/" in line for line in logged.lines)  # never a link in a log
    invited = session.scalar(select(User).where(User.email == "olivia@skyline.example"))
    assert invited.role == "operator" and invited.password_hash == "!invited"

    olivia = client_for(app)
    refused_login = olivia.post(
        "/bss/login", data={"email": "olivia@skyline.example", "password": "!invited"}
    )
    assert refused_login.status_code == 401
    form = olivia.get(_path(link))
    assert form.status_code == 200 and "olivia@skyline.example" in text_of(form)
    for bad, message in (
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("olivia-secret-1", "name of your e-mail address"),  # made from the address
    ):
        answer = olivia.post(_path(link), data={"password": bad, "confirm": bad})
        assert answer.status_code == 422 and message in text_of(answer), bad
    differ = olivia.post(
        _path(link), data={"password": GOOD_PASSWORD, "confirm": "x" + GOOD_PASSWORD}
    )
    assert differ.status_code == 422 and "not the same" in text_of(differ)
    done = olivia.post(_path(link), data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"].endswith("/bss/login")
    login(olivia, "olivia@skyline.example", GOOD_PASSWORD, bss=True)
    assert olivia.get("/bss/orders").status_code == 200
    again = client_for(app).post(
        _path(link),
        data={"password": "another-" + GOOD_PASSWORD, "confirm": "another-" + GOOD_PASSWORD},
    )
    assert again.status_code == 404 and "not valid any more" in text_of(again)


def test_an_expired_or_forged_link_is_refused(app, client, demo, session, monkeypatch):
    login(client, "admin@skyline.example")
    _invite(client)
    link = _path(_link_of(session, "olivia@skyline.example"))
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client_for(app).get(forged).status_code == 404
    other_purpose = tokens.make_token(
        app.secret_key,
        tokens.PASSWORD_RESET,
        session.scalar(select(User).where(User.email == "olivia@skyline.example")),
    )
    assert client_for(app).get(f"/bss/invitation/{other_purpose}").status_code == 404
    monkeypatch.setitem(tokens.MAX_AGE, tokens.INVITATION, -1)
    expired = client_for(app).post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD})
    assert expired.status_code == 404
    session.expire_all()
    user = session.scalar(select(User).where(User.email == "olivia@skyline.example"))
    assert user.password_hash == "!invited"


def test_inviting_again_resends_and_an_existing_user_is_refused(client, demo, session):
    login(client, "admin@skyline.example")
    assert _invite(client).status_code == 303
    assert _invite(client, role="finance").status_code == 303
    users = session.scalars(select(User).where(User.email == "olivia@skyline.example")).all()
    assert len(users) == 1 and users[0].role == "finance"
    sent = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.recipient == "olivia@skyline.example")
    )
    assert sent == 2
    taken = _invite(client, email="operator@skyline.example")
    assert taken.status_code == 422 and "already belongs" in text_of(taken)
    bad = _invite(client, email="nobody", role="emperor")
    assert bad.status_code == 422
    assert soup(bad).find("input", attrs={"name": "email"})["aria-invalid"] == "true"


def test_deactivating_a_bss_user_ends_their_sessions_at_once(app, demo, session):
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    assert operator.get("/bss/orders").status_code == 200
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    user_id = session.scalar(select(User.id).where(User.email == "operator@skyline.example"))
    assert admin.post(f"/bss/people/{user_id}/deactivate").status_code == 303
    gone = operator.get("/bss/orders")
    assert gone.status_code in (302, 303) and "/bss/login" in gone.headers["Location"]
    refused = operator.post(
        "/bss/login", data={"email": "operator@skyline.example", "password": "demo-password"}
    )
    assert refused.status_code == 401
    assert admin.post(f"/bss/people/{user_id}/reactivate").status_code == 303
    login(operator, "operator@skyline.example")


def test_an_admin_cannot_deactivate_themselves_nor_demote_the_last_admin(client, demo, session):
    login(client, "admin@skyline.example")
    me = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    refused = client.post(f"/bss/people/{me.id}/deactivate")
    assert refused.status_code == 303
    assert "cannot deactivate yourself" in text_of(client.get(refused.headers["Location"]))
    demoted = client.post(
        f"/bss/people/{me.id}", data={"name": me.name, "role": "operator", "team_id": ""}
    )
    assert demoted.status_code == 422 and "last active admin" in text_of(demoted)
    session.expire_all()
    assert session.get(User, me.id).active and session.get(User, me.id).role == "admin"


def test_a_role_change_ends_the_users_sessions_and_new_roles_are_gated(app, demo, session):
    operator = client_for(app)
    login(operator, "operator@skyline.example")
    admin = client_for(app)
    login(admin, "admin@skyline.example")
    user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
    changed = admin.post(
        f"/bss/people/{user.id}", data={"name": user.name, "role": "finance", "team_id": ""}
    )
    assert changed.status_code == 303
    assert operator.get("/bss/orders").status_code in (302, 303)  # signed out
    login(operator, "operator@skyline.example")
    assert operator.get("/bss/orders").status_code == 403  # finance does not work orders
    assert operator.get("/bss/accounts").status_code == 200  # but sees accounts
    assert operator.get("/bss/accounts/new").status_code == 403


def test_teams_are_added_once_and_given_to_users(client, demo, session):
    login(client, "admin@skyline.example")
    for _ in range(2):
        assert client.post("/bss/people/teams", data={"name": "Ops Athens"}).status_code == 303
    teams = session.scalars(select(Team).where(Team.name == "Ops Athens")).all()
    assert len(teams) == 1
    user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
    client.post(
        f"/bss/people/{user.id}",
        data={"name": user.name, "role": "operator", "team_id": str(teams[0].id)},
    )
    session.expire_all()
    assert session.get(User, user.id).team_id == teams[0].id
    assert "Ops Athens" in soup(client.get("/bss/people")).find(id="bss-users").get_text()
    empty = client.post("/bss/people/teams", data={"name": "  "})
    assert empty.status_code == 422


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_only_admins_manage_people(client, demo, role):
    login(client, f"{role}@skyline.example")
    assert client.get("/bss/people").status_code == (200 if role == "admin" else 403)


def _bss_user_with_role(session, role: str) -> str:
    """Give the demo operator ``role``; returns the e-mail to sign in with."""
    from core.db import write_transaction

    with write_transaction(session):
        user = session.scalar(select(User).where(User.email == "operator@skyline.example"))
        user.role = role
    return user.email


def test_a_catalogue_manager_manages_the_catalogue_and_nothing_else(client, demo, session):
    email = _bss_user_with_role(session, roles.CATALOGUE_MANAGER)
    login(client, email, bss=True)
    assert client.get("/bss/catalogue/products").status_code == 200
    home = client.get("/bss/")
    assert home.status_code == 303 and home.headers["Location"].endswith("/bss/catalogue/products")
    assert client.get("/bss/orders").status_code == 403
    assert client.get("/bss/people").status_code == 403


def test_finance_lands_on_the_accounts_and_stays_out_of_the_catalogue(client, demo, session):
    email = _bss_user_with_role(session, roles.FINANCE)
    login(client, email, bss=True)
    home = client.get("/bss/")
    assert home.status_code == 303 and home.headers["Location"].endswith("/bss/accounts")
    assert client.get("/bss/accounts").status_code == 200
    assert client.get("/bss/catalogue/products").status_code == 403
    assert client.get("/bss/orders").status_code == 403


def test_an_invitation_is_delivered_by_the_job_queue_into_the_development_mailbox(
    app, client, demo, session
):
    """Issues 14 and 16 together: the invitation written by the use case is an outbox item that a
    worker delivers (here the development mailbox), with its link, exactly once."""
    from core.models import OutboxItem
    from webapp import tasks

    login(client, "admin@skyline.example")
    assert _invite(client).status_code == 303
    note = session.scalar(
        select(Notification).where(Notification.recipient == "olivia@skyline.example")
    )
    item = session.scalar(
        select(OutboxItem).where(OutboxItem.kind == "email", OutboxItem.ref_id == note.id)
    )
    assert item is not None
    session.rollback()
    tasks.run_queued()
    tasks.run_queued()
    session.expire_all()
    assert session.get(OutboxItem, item.id).status == "done"
    listing = text_of(client.get("/bss/mailbox"))
    assert listing.count(note.subject) == 1
    page = text_of(client.get(f"/bss/mailbox/{note.id}"))
    assert "/bss/invitation/" in page


# --- a BSS user's address names their tenant: it is unique across all tenants' BSS users ---


def _sent_to(session, email) -> int:
    query = select(func.count()).select_from(Notification).where(Notification.recipient == email)
    return session.scalar(query)


def test_another_tenants_bss_address_is_refused_and_that_user_still_signs_in(
    app, client, demo, session
):
    sent_before = _sent_to(session, "admin@nimbus.example")
    login(client, "admin@skyline.example")
    for address in ("admin@nimbus.example", " Admin@NIMBUS.example "):
        refused = _invite(client, email=address, role="admin")
        assert refused.status_code == 422, address
        message = text_of(refused)
        assert "in use by another BSS user" in message
        assert "Nimbus" not in message and "distributor" not in message.lower()
        assert soup(refused).find("input", attrs={"name": "email"})["aria-invalid"] == "true"
    users = session.scalars(select(User).where(User.email == "admin@nimbus.example")).all()
    assert len(users) == 1 and users[0].password_hash != "!invited"
    assert _sent_to(session, "admin@nimbus.example") == sent_before
    login(client_for(app), "admin@nimbus.example", bss=True)


def test_an_invited_address_of_another_tenant_is_refused_too(app, client, demo, session):
    dana = client_for(app)
    login(dana, "admin@nimbus.example")
    assert _invite(dana, email="pat@partner.example").status_code == 303
    login(client, "admin@skyline.example")
    refused = _invite(client, email="pat@partner.example")
    assert refused.status_code == 422 and "in use by another BSS user" in text_of(refused)
    tenants = session.scalars(select(User.tenant_id).where(User.email == "pat@partner.example"))
    assert len(tenants.all()) == 1


def test_a_customers_address_may_also_be_a_bss_user_and_both_sign_ins_work(
    app, client, demo, session
):
    """The Storefront and the BSS sign-ins are apart (a Storefront finds its own tenant's
    customers, the BSS finds BSS users): a customer of the shop may also work in its BSS."""
    login(client, "admin@skyline.example")
    assert _invite(client, email="alice@acme.example").status_code == 303
    link = _path(_link_of(session, "alice@acme.example"))
    staff = client_for(app)
    assert (
        staff.post(link, data={"password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD}).status_code
        == 303
    )
    login(staff, "alice@acme.example", GOOD_PASSWORD, bss=True)
    assert staff.get("/bss/orders").status_code == 200
    login(client_for(app), "alice@acme.example", bss=False)  # her Storefront password


def test_a_new_tenants_first_admin_cannot_take_a_bss_users_address(app, demo, session):
    from core.services.errors import ValidationFailed
    from core.services.tenants import open_tenant

    with pytest.raises(ValidationFailed) as refused:
        open_tenant(
            session,
            name="Stratus",
            slug="stratus",
            host="stratus.example",
            admin_email="ADMIN@nimbus.example",
            admin_name="Someone",
        )
    assert "in use by another BSS user" in refused.value.errors["admin_email"][0]
    assert (
        session.scalar(
            select(func.count()).select_from(User).where(User.email == "admin@nimbus.example")
        )
        == 1
    )
    login(client_for(app), "admin@nimbus.example", bss=True)


def test_an_admin_still_invited_does_not_count_as_another_admin(client, demo, session):
    login(client, "admin@skyline.example")
    assert _invite(client, email="ann@skyline.example", role="admin").status_code == 303
    me = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    demoted = client.post(
        f"/bss/people/{me.id}", data={"name": me.name, "role": "operator", "team_id": ""}
    )
    assert demoted.status_code == 422 and "last active admin" in text_of(demoted)
    session.expire_all()
    assert session.get(User, me.id).role == "admin"


def test_deactivating_the_last_admin_who_can_sign_in_is_refused(app, client, demo, session):
    from core.services import people
    from core.services.errors import Conflict

    login(client, "admin@skyline.example")
    assert _invite(client, email="ann@skyline.example", role="admin").status_code == 303
    me = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    with pytest.raises(Conflict):
        people.set_bss_user_active(session, me.tenant_id, None, me.id, False)
    session.expire_all()
    assert session.get(User, me.id).active
    # the invited admin may be demoted or deactivated: Sam still signs in
    ann = session.scalar(select(User).where(User.email == "ann@skyline.example"))
    assert people.set_bss_user_active(session, me.tenant_id, me, ann.id, False).active is False
    login(client_for(app), "admin@skyline.example")


def test_the_database_keeps_one_bss_user_per_address_across_tenants(session, demo):
    """Beside the invitation's check: two tenants inviting one address at the same moment."""
    from sqlalchemy.exc import IntegrityError

    from core.db import utcnow
    from core.models import Tenant

    nimbus = session.scalar(select(Tenant).where(Tenant.slug == "distributor"))
    reseller = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))

    def add(tenant, email, kind="bss"):
        session.add(
            User(
                tenant_id=tenant.id,
                kind=kind,
                role="operator" if kind == "bss" else "customer",
                email=email,
                name="Twin",
                password_hash="!invited",
                active=True,
                created_at=utcnow(),
            )
        )
        session.flush()

    with pytest.raises(IntegrityError):
        add(nimbus, "ADMIN@skyline.example")
    session.rollback()
    # a Storefront user may have a BSS user's address, in any tenant
    add(nimbus, "admin@skyline.example", kind="storefront")
    add(reseller, "admin@skyline.example", kind="storefront")
    session.rollback()
