"""A deactivated account takes no new order or offer (BSS and API), is left out of the new
order's and new offer's account pickers, and says so in the API; its existing orders keep
working."""

from __future__ import annotations

from sqlalchemy import func, select

from core import texts
from core.models import Account, Offer, OfferStatus, Order, User
from core.services import accounts
from tests.api_helpers import account_id, auth, make_key, product, tenant_id
from tests.conftest import login, soup, text_of
from tests.test_api_orders import _problem


def _deactivate(session, name: str) -> int:
    found = account_id(session, name)
    admin = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    accounts.set_active(session, admin.tenant_id, admin, found, False)
    return found


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_api_refuses_a_new_order_or_offer_for_a_deactivated_account(client, session, demo):
    headers = auth(make_key(session, "admin@skyline.example"))
    acme = account_id(session, "Acme Ltd")
    existing = client.post("/api/v1/orders", json={"account_id": acme}, headers=headers)
    assert existing.status_code == 201
    _deactivate(session, "Acme Ltd")
    orders_before, offers_before = _count(session, Order), _count(session, Offer)

    order = client.post("/api/v1/orders", json={"account_id": acme}, headers=headers)
    body = _problem(order, 422, "validation-failed")
    assert body["errors"]["account_id"] == [texts.ACCOUNT_INACTIVE_NO_ORDER]
    offer = client.post("/api/v1/offers", json={"account_id": acme}, headers=headers)
    body = _problem(offer, 422, "validation-failed")
    assert body["errors"]["account_id"] == [texts.ACCOUNT_INACTIVE_NO_ORDER]
    copied = client.post(f"/api/v1/orders/{existing.get_json()['id']}/copy", headers=headers)
    assert copied.status_code == 409
    assert copied.get_json()["detail"] == texts.ACCOUNT_INACTIVE_NO_ORDER
    assert (_count(session, Order), _count(session, Offer)) == (orders_before, offers_before)

    # the account says it is deactivated; its existing order still takes work
    shown = client.get(f"/api/v1/accounts/{acme}", headers=headers).get_json()
    assert shown["active"] is False
    listed = client.get("/api/v1/accounts?limit=100", headers=headers).get_json()["data"]
    assert {a["name"]: a["active"] for a in listed}["Globex Corp"] is True
    backup = product(session, "AZ-BACKUP")
    added = client.post(
        f"/api/v1/orders/{existing.get_json()['id']}/items",
        json={"product_id": backup.id, "plan_id": backup.plans[0].id, "quantity": 2},
        headers=headers,
    )
    assert added.status_code == 201, added.get_json()


def test_an_accepted_offer_of_a_deactivated_account_does_not_become_an_order(client, session, demo):
    headers = auth(make_key(session, "operator@skyline.example"))
    acme = account_id(session, "Acme Ltd")
    offer_id = client.post("/api/v1/offers", json={"account_id": acme}, headers=headers).get_json()[
        "id"
    ]
    plan = product(session, "M365-STD").plans[0]
    client.post(
        f"/api/v1/offers/{offer_id}/items",
        json={"plan_id": plan.id, "quantity": 1, "unit_price": "9.50"},
        headers=headers,
    )
    accepted = session.scalar(
        select(OfferStatus.id)
        .where(OfferStatus.type == "accepted", OfferStatus.tenant_id == tenant_id(session))
        .order_by(OfferStatus.number)
        .limit(1)
    )
    answer = client.patch(
        f"/api/v1/offers/{offer_id}", json={"status_id": accepted}, headers=headers
    )
    assert answer.status_code == 200
    _deactivate(session, "Acme Ltd")
    orders_before = _count(session, Order)
    refused = client.post(f"/api/v1/offers/{offer_id}/convert", headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == texts.ACCOUNT_INACTIVE_NO_ORDER
    assert _count(session, Order) == orders_before


def test_the_bss_pickers_leave_a_deactivated_account_out_and_refuse_it(client, session, demo):
    acme = _deactivate(session, "Acme Ltd")
    login(client, "admin@skyline.example")
    for url in ("/bss/orders/new", "/bss/offers/new"):
        page = client.get(url)
        names = [o.text for o in soup(page).select("select[name=account_id] option")]
        assert "Globex Corp" in names and "Acme Ltd" not in names, url
    before = (_count(session, Order), _count(session, Offer))
    for url in ("/bss/orders/new", "/bss/offers/new"):  # a page opened before deactivation
        posted = client.post(url, data={"account_id": acme, "name": ""})
        assert posted.status_code == 422, url
        assert texts.ACCOUNT_INACTIVE_NO_ORDER in text_of(posted), url
        assert soup(posted).find("select", attrs={"name": "account_id"})["aria-invalid"] == "true"
    assert (_count(session, Order), _count(session, Offer)) == before
    # the orders list still filters by it: its existing orders are found
    filtered = client.get(f"/bss/orders?account={acme}")
    assert filtered.status_code == 200 and "Acme Ltd" in text_of(filtered)
    assert session.get(Account, acme).active is False
