"""An upgrade and the add-ons the subscription holds: those the new product offers too (same
name) carry over to its add-on with their quantity; the others end, and the review says so
before the customer pays. Buying an add-on it holds adds to its quantity (one line)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.db import write_transaction
from core.models import (
    AddOn,
    Invoice,
    Subscription,
    SubscriptionAddOn,
    SubscriptionChange,
)
from core.rules import subscription_changes as rules
from core.services import billing_run
from tests.billing_changes_helpers import billed, product, subscription
from tests.conftest import login, soup, text_of
from tests.test_billing_changes_web import checkout_basket


def test_carry_over_matches_add_ons_by_name_and_ends_the_others():
    plan = rules.carry_over_addons(
        {1: "Extra Storage 100 GB", 2: "Advanced Threat Protection"},
        {7: "extra storage  100 gb", 8: "Device Management"},
    )
    assert plan.carried == {1: 7}
    assert plan.ended == (2,)


def _standard_with_two_addons(session):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    atp = next(a for a in sub.product.addons if a.name == "Advanced Threat Protection")
    with write_transaction(session):
        session.add(
            SubscriptionAddOn(
                subscription_id=sub.id, addon_id=atp.id, quantity=4, unit_price=Decimal("2.50")
            )
        )
    return sub, atp.id


def test_an_upgrade_carries_the_offered_add_ons_and_ends_the_others(client, session, demo):
    sub, atp = _standard_with_two_addons(session)
    premium = product(session, sub.tenant_id, "M365-PREM")
    storage = next(a for a in premium.addons if a.name == "Extra Storage 100 GB")
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/upgrade", data={"target_product_id": str(premium.id)})
    _order_id, review, placed = checkout_basket(client)
    assert (
        "Advanced Threat Protection ends: not offered with Microsoft 365 Business Premium"
        in text_of(review)
    )
    assert placed.status_code == 303
    session.expire_all()
    owned = session.scalars(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
    ).all()
    assert [(a.addon_id, a.quantity) for a in owned] == [(storage.id, 5)]
    listing = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    assert "Extra Storage 100 GB × 5" in listing.get_text(" ", strip=True)
    assert "Advanced Threat Protection" not in listing.get_text(" ", strip=True)
    buy = listing.find(id=f"addon-{sub.id}")  # Premium's only add-on is held already
    assert buy is None

    # more of it: one line of 7, and the renewal bills one Extra Storage line, no ATP
    client.post(
        f"/subscriptions/{sub.id}/addon-quantity", data={"addon_id": storage.id, "quantity": "2"}
    )
    checkout_basket(client)
    session.expire_all()
    owned = session.scalars(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
    ).all()
    assert [(a.addon_id, a.quantity) for a in owned] == [(storage.id, 7)]
    renewal_day = session.get(Subscription, sub.id).next_billing_date
    billing_run.run(session, renewal_day, tenant_id=sub.tenant_id)
    invoice = session.scalars(
        select(Invoice).where(Invoice.account_id == sub.account_id).order_by(Invoice.id.desc())
    ).first()
    lines = [line.description for line in invoice.lines]
    assert sum("Extra Storage" in d for d in lines) == 1, lines
    assert not any("Advanced Threat" in d for d in lines), lines
    assert session.get(AddOn, atp) is not None  # the catalogue is untouched


def test_a_pending_add_on_reduction_follows_the_add_on_to_the_new_product(client, session, demo):
    sub, atp = _standard_with_two_addons(session)
    old_storage = next(a for a in sub.product.addons if a.name == "Extra Storage 100 GB")
    premium = product(session, sub.tenant_id, "M365-PREM")
    storage = next(a for a in premium.addons if a.name == "Extra Storage 100 GB")
    login(client, "alice@acme.example")
    client.post(
        f"/subscriptions/{sub.id}/change/reduce-addon",
        data={"addon_id": str(old_storage.id), "quantity": "3"},
    )
    client.post(
        f"/subscriptions/{sub.id}/change/reduce-addon",
        data={"addon_id": str(atp), "quantity": "2"},
    )
    client.post(f"/subscriptions/{sub.id}/upgrade", data={"target_product_id": str(premium.id)})
    checkout_basket(client)
    session.expire_all()
    changes = {
        (c.kind, c.addon_id, c.status)
        for c in session.scalars(
            select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
        )
    }
    assert ("reduce_addon", storage.id, "pending") in changes
    assert ("reduce_addon", atp, "superseded") in changes
