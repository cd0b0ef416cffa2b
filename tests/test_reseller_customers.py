"""A standard reseller's customers (issue 14 C): the BSS manages them under the reseller; the
reseller sees them on the Storefront, read only, with the orders waiting for its approval."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.enums import AccountKind
from core.models import Account, Product, User
from core.services import accounts, checkout
from core.services import basket as basket_service
from core.services.errors import ValidationFailed
from tests.conftest import login, soup, text_of
from tests.test_accounts_service import admin, tenant, values
from tests.test_accounts_web import _form


def _account(session, name):
    return session.scalar(select(Account).where(Account.name == name))


def _pending_order_of_dave(session):
    dave = session.scalar(select(User).where(User.email == "dave@initech.example"))
    product = session.scalar(
        select(Product).where(Product.tenant_id == dave.tenant_id, Product.code == "PRIV-CLOUD")
    )
    basket_service.add_product(
        session, dave.tenant_id, dave, product.id, product.plans[0].id, 1, addons={}
    )
    order = checkout.start_checkout(session, dave.tenant_id, dave)
    checkout.place(session, dave.tenant_id, dave, order.id, when="now")
    return order


def test_the_bss_adds_a_customer_under_a_standard_reseller(client, demo, session):
    bluesky = _account(session, "BlueSky IT")
    login(client, "admin@skyline.example")
    form = soup(client.get(f"/bss/accounts/new?reseller={bluesky.id}"))
    picker = form.find("select", attrs={"name": "reseller_account_id"})
    chosen = picker.find("option", selected=True)
    assert chosen["value"] == str(bluesky.id)
    created = client.post(
        "/bss/accounts/new", data=_form(session, name="Hooli", reseller_account_id=bluesky.id)
    )
    assert created.status_code == 303
    assert _account(session, "Hooli").reseller_account_id == bluesky.id
    reseller_page = soup(client.get(f"/bss/accounts/{bluesky.id}"))
    assert "Hooli" in reseller_page.find(id="customers").get_text()
    listed = text_of(client.get(f"/bss/accounts?reseller={bluesky.id}"))
    assert "Customers of BlueSky IT" in listed and "Hooli" in listed and "Acme" not in listed


def test_only_an_end_customer_sits_under_a_standard_reseller(session, demo):
    t = tenant(session)
    acme = _account(session, "Acme Ltd")  # an end customer, not a reseller
    bluesky = _account(session, "BlueSky IT")
    with pytest.raises(ValidationFailed) as not_a_reseller:
        accounts.create_account(
            session, t.id, admin(session), values(session, reseller_account_id=acme.id)
        )
    assert "reseller_account_id" in not_a_reseller.value.errors
    made = accounts.create_account(
        session,
        t.id,
        admin(session),
        values(session, kind=AccountKind.STANDARD_RESELLER, reseller_account_id=bluesky.id),
    )
    assert made.reseller_account_id is None  # a reseller is under nobody


def test_a_reseller_with_customers_keeps_its_kind(session, demo):
    t = tenant(session)
    bluesky = _account(session, "BlueSky IT")
    current = accounts.input_from_account(bluesky)
    current["credit_limit"] = None
    with pytest.raises(ValidationFailed) as refused:
        accounts.update_account(
            session,
            t.id,
            admin(session),
            bluesky.id,
            values(session, **{**current, "kind": AccountKind.END_CUSTOMER}),
        )
    assert refused.value.errors["kind"]


def test_the_reseller_sees_its_customers_and_their_waiting_orders_read_only(client, demo, session):
    from core.services.reseller_approval import pending_orders

    bluesky = _account(session, "BlueSky IT")
    before = len(pending_orders(session, bluesky.tenant_id, bluesky.id))
    _pending_order_of_dave(session)
    login(client, "carol@bluesky.example", bss=False)
    page = client.get("/reseller/customers")
    assert page.status_code == 200
    rows = soup(page).select("#customers tbody tr")
    assert [r.find("td").get_text(strip=True) for r in rows] == ["Initech"]
    waiting = rows[0].find("a")
    assert waiting.get_text(strip=True) == str(before + 1)
    assert waiting["href"] == "/reseller/approvals"
    posts = [f for f in soup(page).find_all("form") if "logout" not in f.get("action", "")]
    assert posts == []  # read only


def test_a_customer_who_is_not_a_reseller_has_no_customers_page(client, demo):
    login(client, "alice@acme.example", bss=False)
    assert client.get("/reseller/customers").status_code == 403
