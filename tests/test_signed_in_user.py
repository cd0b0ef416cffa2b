"""The signed-in user's load (issue 19, fifth pass): one row of plain columns; a ``lean_user``
view builds no ORM entity, any other view gets the entities a query would have loaded."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select, update

from core.db import write_transaction
from core.models import Account, Tenant, User
from tests.conftest import login, soup
from webapp.auth import LeanLoginUser, LoginUser, lean_user


def fresh(session) -> None:
    from flask import g

    session.remove()
    g.pop("_login_user", None)


def _alice(session) -> User:
    return session.scalar(select(User).where(User.email == "alice@acme.example"))


def _probe(app):
    """A lean view that reads the lean columns, and with ``?more=1`` what a lean view does
    not read (a column of the user's not among them, the account's billing name, the ORM
    tenant)."""

    @lean_user
    def probe():
        kind = type(current_user._get_current_object()).__name__
        parts = [kind, current_user.name, str(current_user.account.price_list_id)]
        parts.append(current_user.tenant.name)
        if request.args.get("more"):
            parts.append(current_user.password_hash[:7])
            parts.append(current_user.account.billing_name or "-")
            parts.append(current_user.user.tenant.slug)
        return "|".join(parts)

    app.add_url_rule("/_probe_signed_in", "probe_signed_in", probe)


def test_a_lean_view_reads_one_row_and_the_rest_with_one_statement_more(
    app, client, session, demo, count_queries
):
    _probe(app)
    login(client, "alice@acme.example")
    alice = _alice(session)
    account = session.get(Account, alice.account_id)
    tenant = session.get(Tenant, alice.tenant_id)
    expected = ["LeanLoginUser", alice.name, str(account.price_list_id), tenant.name]
    more = [alice.password_hash[:7], account.billing_name or "-", tenant.slug]
    fresh(session)
    with count_queries() as q:
        response = client.get("/_probe_signed_in")
    assert response.get_data(as_text=True) == "|".join(expected)
    assert q.count == 1
    assert "password_hash" not in q.statements[0]  # the lean columns only
    fresh(session)
    with count_queries() as q:
        response = client.get("/_probe_signed_in?more=1")
    assert response.get_data(as_text=True) == "|".join(expected + more)
    assert q.count == 2  # the user, its account and tenant as every other view loads them


def test_other_views_get_the_entities_a_query_loads_without_a_statement_more(app, session, demo):
    """The full load builds User, Account and Tenant from one row into the identity map:
    ``user.account``, ``user.tenant`` and ``session.get`` find them, nothing to flush."""
    from webapp.auth import load_user
    from webapp.extensions import db

    alice = _alice(session)
    user_id = f"{alice.id}:{alice.session_version}"
    values = {c.key: getattr(alice, c.key) for c in User.__table__.columns}
    account_name = alice.account.name
    fresh(session)
    with app.test_request_context("/orders"):  # a view not marked lean
        loaded = load_user(user_id)
        assert type(loaded) is LoginUser
        user = loaded.user
        assert {c.key: getattr(user, c.key) for c in User.__table__.columns} == values
        assert db.session.get(User, alice.id) is user
        assert db.session.get(Account, alice.account_id) is user.account
        assert db.session.get(Tenant, alice.tenant_id) is user.tenant
        assert user.account.name == account_name
        assert not db.session.dirty and not db.session.new
        # a change made through it is written as for a loaded user
        with write_transaction(db.session):
            user.name = "Alice Renamed"
    fresh(session)
    assert _alice(session).name == "Alice Renamed"


def test_a_change_to_the_user_or_its_account_shows_on_the_next_lean_request(client, session, demo):
    login(client, "alice@acme.example")
    alice = _alice(session)
    assert "Alice" in soup(client.get("/basket")).find("header").get_text()
    with write_transaction(session):
        session.execute(update(User).where(User.id == alice.id).values(name="Alicia Lean"))
    fresh(session)
    assert "Alicia Lean" in soup(client.get("/basket")).find("header").get_text()
    # a deactivated account ends its users' sessions at once (issue 14), lean views too
    with write_transaction(session):
        session.execute(update(Account).where(Account.id == alice.account_id).values(active=False))
    fresh(session)
    response = client.get("/basket")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_lean_user_keeps_the_interface_views_and_templates_read(app, session, demo):
    from webapp.auth import load_user

    alice = _alice(session)
    user_id = f"{alice.id}:{alice.session_version}"
    expected = {
        "id": alice.id,
        "tenant_id": alice.tenant_id,
        "kind": alice.kind,
        "role": alice.role,
        "account_id": alice.account_id,
        "email": alice.email,
        "name": alice.name,
        "timezone": alice.timezone,
        "is_active": True,
        "is_authenticated": True,
    }
    account_kind, currency = alice.account.kind, alice.tenant.currency
    fresh(session)
    with app.test_request_context("/basket"):
        loaded = load_user(user_id)
        assert isinstance(loaded, LeanLoginUser)
        assert {name: getattr(loaded, name) for name in expected} == expected
        assert loaded.get_id() == user_id
        assert loaded.account.kind == account_kind and loaded.tenant.currency == currency


def test_the_bss_dashboard_widget_and_orders_list_read_the_user_lean(
    app, client, session, demo, count_queries
):
    """Their views, the BSS layout and the two hooks every BSS request runs (the sharing
    rule's viewer, the two-factor check) read only the lean columns: one row, no entity."""
    login(client, "operator@skyline.example", bss=True)
    for path in ("/bss/", "/bss/dashboard/unexecuted-orders", "/bss/orders"):
        client.get(path)  # warm up (first-request work)
        fresh(session)
        with count_queries() as q:
            response = client.get(path)
        assert response.status_code == 200, path
        users = [s for s in q.statements if 'FROM "user"' in s or "FROM user" in s]
        assert len(users) == 1, path  # the signed-in user's row, no second load
        assert "password_hash" not in users[0], path  # the lean columns only
        assert "Operator" in soup(response).find("header").get_text(), path
