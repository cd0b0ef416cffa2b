"""Words users read, not codes (issue 13 point 17): order history, locked fields, offer
history, and the link from an order to the offer it was converted from."""

from sqlalchemy import select

from core import texts
from core.models import Offer, OfferStatus, Order, OrderEvent
from core.services import basket as basket_service
from core.services import checkout, offers
from tests.conftest import login, soup, text_of
from tests.test_bss_support import order_with, tenant, user


def _bss(client, email="operator@skyline.example"):
    login(client, email, bss=True)


def test_a_manual_checkout_puts_manual_execution_required_in_the_history(client, demo, session):
    alice = user(session, "alice@acme.example")
    fw = order_with(session, "MNG-FW").items[0]
    basket_service.add_product(session, alice.tenant_id, alice, fw.product_id, fw.plan_id, 1)
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id)
    notes = session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id)).all()
    assert "Hold placed: Manual execution required" in notes
    _bss(client)
    history = soup(client.get(f"/bss/orders/{order.id}")).find("table", id="history").get_text()
    assert "Manual execution required" in history
    assert "manual_execution" not in history


def test_locked_fields_of_an_executed_order_read_as_words(client, demo, session):
    _bss(client)
    order = order_with(session, "M365-PREM")
    assert order.payment_method == "card"
    page = soup(client.get(f"/bss/orders/{order.id}/edit"))
    locked = page.find(id="payment_method-locked").find_next_sibling("span")
    assert locked.get_text(strip=True) == "Credit card"
    detail = text_of(client.get(f"/bss/orders/{order.id}"))
    assert "Credit card" in detail and "Storefront" in detail


def test_the_edit_note_names_the_fields_in_words(client, demo, session):
    _bss(client)
    # Globex pays card or on account (Acme's card-only order is never put on account)
    order = order_with(session, "MNG-FW")
    assert order.payment_method == "on_account"
    response = client.post(
        f"/bss/orders/{order.id}/edit",
        data={"name": "Hosts", "payment_method": "card", "sales_rep": "Sam"},
    )
    assert response.status_code == 303
    notes = session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order.id)).all()
    assert "Edited: Name, Payment Method, Sales Rep" in notes


def _offer_status(session, key):
    return session.scalar(
        select(OfferStatus).where(
            OfferStatus.tenant_id == tenant(session).id, OfferStatus.default_key == key
        )
    )


def test_the_offer_history_says_from_which_status_to_which(client, demo, session):
    _bss(client)
    offer = session.scalar(select(Offer).where(Offer.name == "Modern Work 2027"))
    response = client.post(
        f"/bss/offers/{offer.id}/edit",
        data={"name": offer.name, "status_id": _offer_status(session, "lost").id},
    )
    assert response.status_code == 303
    history = soup(client.get(f"/bss/offers/{offer.id}")).find("ol", class_="history")
    lines = [li.get_text(" ", strip=True) for li in history.find_all("li")]
    assert any(
        texts.OFFER_EVENT_FROM_TO.format(
            note=texts.OFFER_EVENT_STATUS, from_status="In Progress", to_status="Lost"
        )
        in line
        for line in lines
    )


def test_the_order_page_of_a_converted_offer_links_to_the_offer(client, demo, session):
    _bss(client)
    offer = session.scalar(select(Offer).where(Offer.name == "Firewall refresh"))
    operator = user(session, "operator@skyline.example")
    order = offers.convert_offer(session, offer.tenant_id, operator, offer.id)
    page = soup(client.get(f"/bss/orders/{order.id}"))
    link = page.find("a", href=f"/bss/offers/{offer.id}")
    assert link is not None and offer.number in link.get_text()
    assert session.get(Order, order.id).offer_id == offer.id
