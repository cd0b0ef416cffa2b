"""What orders and offers may contain: a retired product is never sold again by a Copy or an
offer's conversion, an offer never mixes automatic and manual delivery, an add-on line keeps
its add-on's quantity limits, a subscription of a product no longer sold offers no way to buy
more of it, and an offer's print-out and CSV carry the VAT its order's invoice would."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import write_transaction
from core.models import Offer, OfferItem, OfferStatus, Order
from core.services import catalogue_admin, offers
from core.services.errors import Conflict, ValidationFailed
from tests.api_helpers import auth, make_key
from tests.conftest import login, text_of
from tests.helpers_issue5 import account, product, tenant
from tests.test_bss_support import order_with


def _retire(session, code):
    catalogue_admin.retire_product(session, tenant(session).id, None, product(session, code).id)


def _accepted(session, offer_id):
    t = tenant(session)
    accepted = session.scalar(
        select(OfferStatus).where(
            OfferStatus.tenant_id == t.id, OfferStatus.default_key == "accepted"
        )
    )
    offer = offers.get_offer(session, t.id, offer_id)
    offers.update_offer(
        session, t.id, None, offer_id, name=offer.name, status_id=accepted.id, valid_until=None
    )


def _offer(session, account_name="Acme Ltd", lines=(("M365-STD", 10, None),)):
    t = tenant(session)
    offer = offers.create_offer(session, t.id, None, account_id=account(session, account_name).id)
    for code, quantity, price in lines:
        plan = product(session, code).plans[0]
        offers.add_item(
            session, t.id, None, offer.id, plan_id=plan.id, quantity=quantity, unit_price=price
        )
    return offer.id


# --- 1. a retired product is not sold again by a Copy or a conversion --------------------------


def test_copying_an_order_holding_a_retired_product_is_refused_and_names_it(client, demo, session):
    done = order_with(session, "M365-PREM")
    _retire(session, "M365-PREM")
    login(client, "operator@skyline.example", bss=True)
    refused = client.post(f"/bss/orders/{done.id}/copy")
    assert refused.status_code == 409
    message = texts.ORDER_COPY_RETIRED.format(products="Microsoft 365 Business Premium")
    assert message in text_of(refused)
    assert session.scalar(select(func.count()).where(Order.copied_from_id == done.id)) == 0
    api = client.post(
        f"/api/v1/orders/{done.id}/copy", headers=auth(make_key(session, "admin@skyline.example"))
    )
    assert api.status_code == 409
    assert api.get_json()["detail"] == message
    assert session.scalar(select(func.count()).where(Order.copied_from_id == done.id)) == 0


def test_an_offer_whose_product_was_retired_since_does_not_convert(session, demo):
    offer_id = _offer(session, lines=(("M365-STD", 10, None), ("M365-PREM", 2, None)))
    _accepted(session, offer_id)
    _retire(session, "M365-PREM")
    with pytest.raises(Conflict) as refused:
        offers.convert_offer(session, tenant(session).id, None, offer_id)
    assert refused.value.message == texts.OFFER_CONVERT_RETIRED.format(
        products="Microsoft 365 Business Premium"
    )
    assert session.scalar(select(func.count()).where(Order.offer_id == offer_id)) == 0


def test_a_retired_products_plan_cannot_be_added_to_an_offer(session, demo):
    offer_id = _offer(session)
    _retire(session, "M365-PREM")
    plan = product(session, "M365-PREM").plans[0]
    with pytest.raises(ValidationFailed) as refused:
        offers.add_item(session, tenant(session).id, None, offer_id, plan_id=plan.id, quantity=1)
    assert refused.value.errors == {"plan_id": [texts.OFFER_PRODUCT_INVALID]}


# --- 2. an offer never mixes automatic and manual delivery -------------------------------------


def test_an_offer_refuses_a_manual_item_beside_an_automatic_one(client, demo, session):
    offer_id = _offer(session)
    firewall = product(session, "MNG-FW").plans[0]
    with pytest.raises(ValidationFailed) as refused:
        offers.add_item(
            session, tenant(session).id, None, offer_id, plan_id=firewall.id, quantity=1
        )
    assert refused.value.errors == {"plan_id": [texts.ORDER_MIXED_EXECUTION_TYPES]}
    login(client, "operator@skyline.example", bss=True)
    page = client.post(
        f"/bss/offers/{offer_id}/items", data={"plan_id": firewall.id, "quantity": 1}
    )
    assert page.status_code == 422
    assert texts.ORDER_MIXED_EXECUTION_TYPES in text_of(page)
    session.expire_all()
    assert len(session.get(Offer, offer_id).items) == 1


def test_an_offer_stored_with_mixed_items_does_not_convert(session, demo):
    offer_id = _offer(session)
    firewall = product(session, "MNG-FW")
    with write_transaction(session):  # an offer stored before the rule
        session.add(
            OfferItem(
                offer_id=offer_id,
                product_id=firewall.id,
                plan_id=firewall.plans[0].id,
                description="Managed Firewall Setup (One-off)",
                quantity=1,
                unit_price=Decimal("399.00"),
            )
        )
    _accepted(session, offer_id)
    with pytest.raises(Conflict) as refused:
        offers.convert_offer(session, tenant(session).id, None, offer_id)
    assert refused.value.message == texts.OFFER_MIXED_NOT_CONVERTED
    assert session.scalar(select(func.count()).where(Order.offer_id == offer_id)) == 0


def test_a_manual_offer_converts_to_a_manual_order_waiting_for_operations(session, demo):
    offer_id = session.scalar(select(Offer.id).where(Offer.name == "Firewall refresh"))
    order = offers.convert_offer(session, tenant(session).id, None, offer_id)
    session.expire_all()
    order = session.get(Order, order.id)
    assert order.execution_type == "manual"
    assert [h.reason for h in order.holds] == ["manual_execution"]
