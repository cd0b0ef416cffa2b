"""What orders and offers may contain: a retired product is never sold again by a Copy or an
offer's conversion, an offer never mixes automatic and manual delivery, an add-on line keeps
its add-on's quantity limits, a subscription of a product no longer sold offers no way to buy
more of it, and an offer's print-out and CSV carry the VAT its order's invoice would."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import texts
from core.db import write_transaction
from core.models import AddOn, Offer, OfferItem, OfferStatus, Order, Subscription
from core.services import catalogue_admin, invoicing, offers, orders
from core.services.errors import Conflict, ValidationFailed
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook
from tests.api_helpers import auth, make_key
from tests.billing_changes_helpers import subscription
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import account, item_spec, product, tenant, user
from tests.test_billing_changes_web import checkout_basket
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


# --- 3. an add-on line keeps its add-on's quantity limits -------------------------------------


def _order_with_addon(session):
    t = tenant(session)
    cloud = product(session, "PRIV-CLOUD")
    vcpu = next(a for a in cloud.addons if a.name == "Extra vCPU")
    with write_transaction(session):
        session.get(AddOn, vcpu.id).min_quantity = 1
        session.get(AddOn, vcpu.id).max_quantity = 300
        plan_line = item_spec(session, "PRIV-CLOUD", 2, "120.00")
        addon_line = ItemSpec(
            product_id=cloud.id,
            addon_id=vcpu.id,
            kind="addon_new",
            description="Extra vCPU (add-on for Dedicated Private Cloud)",
            quantity=4,
            unit_price=Decimal("15.00"),
            execution_type=plan_line.execution_type,
            parent_index=0,
        )
        order = build_order(
            session,
            tenant_id=t.id,
            account=account(session, "Acme Ltd"),
            status=StatusBook.load(session, t.id).submitted(),
            items=[plan_line, addon_line],
            source="bss",
        )
    return order.id, order.items[1].id


def test_updating_an_add_on_line_keeps_to_the_add_ons_limits(client, demo, session):
    order_id, addon_item = _order_with_addon(session)
    t = tenant(session)
    operator = user(session, "operator@skyline.example")
    message = texts.QUANTITY_INVALID.format(min=1, max=300)
    with pytest.raises(ValidationFailed) as refused:
        orders.update_quantities(session, t.id, order_id, operator, {addon_item: 100000})
    assert refused.value.errors == {str(addon_item): [message]}
    login(client, "operator@skyline.example", bss=True)
    page = client.post(
        f"/bss/orders/{order_id}/items/update", data={f"quantity-{addon_item}": "100000"}
    )
    assert page.status_code == 422, page.status_code
    assert message in text_of(page)
    api = client.patch(
        f"/api/v1/orders/{order_id}/items",
        json={"items": [{"item_id": addon_item, "quantity": 100000}]},
        headers=auth(make_key(session, "admin@skyline.example")),
    )
    assert api.status_code == 422
    session.expire_all()
    order = session.get(Order, order_id)
    assert [i.quantity for i in order.items] == [2, 4]
    assert order.total == Decimal("300.00")
    orders.update_quantities(session, t.id, order_id, operator, {addon_item: 300})
    session.expire_all()
    assert session.get(Order, order_id).items[1].quantity == 300


def test_an_offer_item_keeps_to_its_plans_limits(session, demo):
    offer_id = _offer(session)
    t = tenant(session)
    plan = product(session, "M365-STD").plans[0]
    message = texts.QUANTITY_INVALID.format(min=plan.min_quantity, max=plan.max_quantity)
    item = offers.get_offer(session, t.id, offer_id).items[0]
    with pytest.raises(ValidationFailed) as refused:
        offers.update_item(
            session, t.id, None, offer_id, item.id, quantity=plan.max_quantity + 1, unit_price="1"
        )
    assert refused.value.errors == {"quantity": [message]}
    with pytest.raises(ValidationFailed):
        offers.add_item(
            session, t.id, None, offer_id, plan_id=plan.id, quantity=plan.max_quantity + 1
        )


# --- 4. a subscription of a product no longer sold offers no way to buy more of it ------------


def test_a_retired_products_subscription_offers_no_licenses_nor_add_ons(client, demo, session):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    _retire(session, "M365-STD")
    login(client, "alice@acme.example")
    page = client.get("/subscriptions")
    card = soup(page).find("section", attrs={"aria-labelledby": f"sub-{sub.id}"})
    buttons = [b.get_text(strip=True) for b in card.find_all("button")]
    assert "Buy licenses" not in buttons and "Buy add-on" not in buttons
    assert texts.SUBSCRIPTION_NOT_SOLD in card.get_text(" ")
    for action, data in (
        ("licenses", {"quantity": "1"}),
        ("addon", {"addon_id": str(sub.product.addons[0].id), "quantity": "1"}),
    ):
        refused = client.post(f"/subscriptions/{sub.id}/{action}", data=data)
        assert refused.status_code == 409
        assert texts.SUBSCRIPTION_NOT_SOLD_REFUSED.format(
            product="Microsoft 365 Business Standard"
        ) in text_of(refused)
    basket = client.get("/basket")
    assert texts.BASKET_PRODUCT_UNAVAILABLE not in text_of(basket)


def test_a_retired_products_subscription_may_still_move_to_a_product_on_sale(client, demo, session):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    _retire(session, "M365-STD")
    premium = product(session, "M365-PREM")
    login(client, "alice@acme.example")
    added = client.post(
        f"/subscriptions/{sub.id}/upgrade", data={"target_product_id": str(premium.id)}
    )
    assert added.status_code == 303
    assert texts.BASKET_PRODUCT_UNAVAILABLE not in text_of(client.get("/basket"))
    _order_id, _review, placed = checkout_basket(client)
    assert placed.status_code == 303, text_of(placed)[:400]
    session.expire_all()
    assert session.get(Subscription, sub.id).product_id == premium.id


# --- 5. the offer's print-out and CSV carry its VAT -----------------------------------------


@pytest.mark.parametrize(
    ("account_name", "note"),
    [("Acme Ltd", None), ("Globex Corp", texts.REVERSE_CHARGE_NOTE)],
)
def test_the_offers_print_out_and_csv_carry_the_vat_of_its_orders_invoice(
    client, demo, session, account_name, note
):
    offer_id = _offer(
        session, account_name, lines=(("M365-STD", 7, "11.33"), ("M365-PREM", 3, "20.61"))
    )
    login(client, "operator@skyline.example", bss=True)
    printed = client.get(f"/bss/offers/{offer_id}/print")
    exported = client.get(f"/bss/offers/{offer_id}/export.csv").get_data(as_text=True)
    _accepted(session, offer_id)
    order = offers.convert_offer(session, tenant(session).id, None, offer_id)
    tax = invoicing.order_tax(session, session.get(Order, order.id))
    rows = {r[0]: r for r in csv.reader(io.StringIO(exported)) if r}
    assert rows["Total"][-1] == f"{tax.net:.2f}"
    assert rows[texts.OFFER_VAT.format(rate=f"{float(tax.rate):g}")][-1] == f"{tax.tax:.2f}"
    assert rows[texts.OFFER_TOTAL_WITH_VAT][-1] == f"{tax.gross:.2f}"
    page = soup(printed)
    assert page.find(id="offer-tax").get_text(strip=True) == f"€{tax.tax:,.2f}"
    assert page.find(id="offer-gross").get_text(strip=True) == f"€{tax.gross:,.2f}"
    if note:
        assert page.find(id="offer-tax-note").get_text(strip=True) == note
        assert [note] in list(csv.reader(io.StringIO(exported)))
    else:
        assert tax.tax > 0 and page.find(id="offer-tax-note") is None
