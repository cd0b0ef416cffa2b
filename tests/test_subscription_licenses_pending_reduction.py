"""Buying licenses while a reduction is pending: the licenses bought are kept after the
reduction (its target grows by them), and the review says what the next periods bill."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Subscription, SubscriptionChange
from core.rules import subscription_changes as rules
from tests.billing_changes_helpers import billed, subscription
from tests.conftest import login, soup, text_of
from tests.test_billing_changes_web import checkout_basket, money


def test_a_pending_reduction_keeps_the_licenses_bought_after_it():
    assert rules.reduction_after_purchase(3, 1) == 4
    assert rules.reduction_after_purchase(3, 5) == 8


def test_buying_licenses_while_a_reduction_is_pending(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)  # 10 licenses, Extra Storage × 5 at €2.00
    unit = session.get(Subscription, sub.id).unit_price
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/change/reduce-licenses", data={"quantity": "3"})
    client.post(f"/subscriptions/{sub.id}/licenses", data={"quantity": "1"})
    then = money(unit * 4 + Decimal("10.00"))
    assert f"then {then} per month from" in text_of(client.get("/basket"))
    _order_id, review, placed = checkout_basket(client)
    assert f"then {then} per month from" in text_of(review)
    assert placed.status_code == 303
    session.expire_all()
    assert session.get(Subscription, sub.id).quantity == 11
    pending = session.scalars(
        select(SubscriptionChange).where(
            SubscriptionChange.subscription_id == sub.id, SubscriptionChange.status == "pending"
        )
    ).all()
    assert [(c.kind, c.quantity) for c in pending] == [("reduce_licenses", 4)]
    card = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    assert then in card.select_one(".sub-next").get_text(strip=True)
