"""Offer writes through the API (issue 18): the BSS offer use cases, the same refusals.
Both engines."""

from __future__ import annotations

from sqlalchemy import func, select

from core import texts
from core.models import OfferStatus, Order
from tests.api_helpers import account_id, auth, make_key, product, tenant_id


def _offer_status(session, type_: str) -> int:
    return session.scalar(
        select(OfferStatus.id)
        .where(OfferStatus.type == type_, OfferStatus.tenant_id == tenant_id(session))
        .order_by(OfferStatus.number)
        .limit(1)
    )


def test_an_offer_made_through_the_api_is_accepted_and_converts_once(client, session, demo):
    headers = auth(make_key(session, "operator@skyline.example"))
    acme = account_id(session, "Acme Ltd")
    offer = client.post("/api/v1/offers", json={"account_id": acme, "name": "ERP"}, headers=headers)
    assert offer.status_code == 201, offer.get_json()
    offer_id = offer.get_json()["id"]
    plan = product(session, "M365-STD").plans[0]
    added = client.post(
        f"/api/v1/offers/{offer_id}/items",
        json={"plan_id": plan.id, "quantity": 10, "unit_price": "9.50"},
        headers=headers,
    )
    assert added.status_code == 201, added.get_json()
    [item] = added.get_json()["items"]
    assert (item["quantity"], item["unit_price"]) == (10, "9.50")
    changed = client.patch(
        f"/api/v1/offers/{offer_id}/items/{item['id']}",
        json={"quantity": 12, "unit_price": "9.00"},
        headers=headers,
    )
    assert changed.get_json()["items"][0]["quantity"] == 12
    accepted = client.patch(
        f"/api/v1/offers/{offer_id}",
        json={"status_id": _offer_status(session, "accepted")},
        headers=headers,
    )
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["name"] == "ERP"  # fields not sent are kept
    orders_before = session.scalar(select(func.count(Order.id)))
    once = auth(make_key(session, "operator@skyline.example"), **{"Idempotency-Key": "conv-1"})
    first = client.post(f"/api/v1/offers/{offer_id}/convert", headers=once)
    again = client.post(f"/api/v1/offers/{offer_id}/convert", headers=once)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["total"] == "108.00"  # the offered price, 12 x 9.00
    assert session.scalar(select(func.count(Order.id))) == orders_before + 1
    twice = client.post(f"/api/v1/offers/{offer_id}/convert", headers=headers)
    assert twice.status_code == 409 and twice.mimetype == "application/problem+json"
    locked = client.delete(f"/api/v1/offers/{offer_id}/items/{item['id']}", headers=headers)
    assert locked.status_code == 409
    assert locked.get_json()["detail"] == texts.OFFER_CONVERTED_LOCKED


def test_offer_input_is_checked_by_the_same_rules(client, session, demo):
    headers = auth(make_key(session, "admin@skyline.example"))
    acme = account_id(session, "Acme Ltd")
    offer_id = client.post("/api/v1/offers", json={"account_id": acme}, headers=headers).get_json()[
        "id"
    ]
    plan = product(session, "M365-STD").plans[0]
    bad = client.post(
        f"/api/v1/offers/{offer_id}/items",
        json={"plan_id": plan.id, "quantity": 1, "unit_price": "1.005"},
        headers=headers,
    )
    assert bad.status_code == 422 and "unit_price" in bad.get_json()["errors"]
    other = client.post("/api/v1/offers", json={"account_id": 999999}, headers=headers)
    assert other.status_code == 422 and "account_id" in other.get_json()["errors"]
