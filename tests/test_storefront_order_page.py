"""The customer's order page explains a waiting or refused order (tester's findings): why it
waits (its open holds, in customer words), the reason a reseller gave for rejecting it, who it
is billed to, and that a cancelled order's items will not be delivered."""

from datetime import timedelta

from sqlalchemy import select

from core import texts
from core.db import utcnow
from core.models import Account, Order
from core.services import reseller_approval
from tests.conftest import login, soup, text_of
from tests.helpers_issue5 import pending_approval_order, tenant, user
from tests.test_storefront_web import CARD, checkout


def _explanation(page) -> str:
    box = soup(page).find(id="order-explanation")
    assert box is not None, text_of(page)[:2000]
    return box.get_text(" ", strip=True)


def test_an_order_over_the_credit_limit_says_it_waits_for_a_credit_review(client, session, demo):
    order_id, _review, _placed = checkout(client, session, "bob@globex.example", "M365-PREM", "30")
    page = client.get(f"/orders/{order_id}")
    assert texts.ORDER_WAITS["credit_limit"] in _explanation(page)


def test_a_manual_order_says_it_waits_for_manual_delivery(client, session, demo):
    order_id, _review, _placed = checkout(client, session, "alice@acme.example", "MNG-FW")
    page = client.get(f"/orders/{order_id}")
    assert texts.ORDER_WAITS["manual_execution"] in _explanation(page)


def test_a_scheduled_order_says_it_waits_for_its_date_once(client, session, demo):
    day = (utcnow() + timedelta(days=5)).date()
    order_id, _review, _placed = checkout(
        client,
        session,
        "alice@acme.example",
        "AZ-BACKUP",
        "1",
        CARD,
        when="scheduled",
        schedule_on=day.isoformat(),
    )
    page = client.get(f"/orders/{order_id}")
    # the scheduled execution box says it (and offers to reschedule); no second explanation
    assert texts.SCHEDULE_INFO.split("{")[0] in text_of(page)
    assert soup(page).find(id="order-explanation") is None


def test_a_rejected_order_shows_the_resellers_reason_and_who_it_is_billed_to(client, session, demo):
    order_id = pending_approval_order(session)  # no billing details typed (as the demo's)
    login(client, "dave@initech.example")
    waiting = client.get(f"/orders/{order_id}")
    assert texts.ORDER_WAITS["reseller_approval"] in _explanation(waiting)
    carol = user(session, "carol@bluesky.example")
    reseller_approval.reject(
        session,
        tenant(session).id,
        carol.account_id,
        order_id,
        actor=carol,
        reason="Not budgeted this quarter",
    )
    page = client.get(f"/orders/{order_id}")
    explanation = _explanation(page)
    assert texts.ORDER_REJECTED_BY_RESELLER.format(reason="Not budgeted this quarter") in (
        explanation
    )
    assert texts.ORDER_WAITS["reseller_approval"] not in explanation
    initech = session.scalar(select(Account).where(Account.name == "Initech"))
    bill_to = soup(page).find("dt", string="Bill to").find_next_sibling("dd").get_text(" ")
    assert (initech.billing_name or initech.name) in bill_to
    assert "rue de la Paix" in bill_to
    # cancelled: its items will not be delivered
    assert texts.DELIVERY_CANCELED in text_of(page)
    assert texts.DELIVERY_PENDING not in text_of(page)


def test_a_cancelled_orders_items_read_not_delivered(client, session, demo):
    order_id, _review, _placed = checkout(client, session, "alice@acme.example", "MNG-FW")
    assert client.post(f"/orders/{order_id}/cancel").status_code == 303
    page = client.get(f"/orders/{order_id}")
    cells = [
        td.get_text(" ", strip=True) for td in soup(page).select('td[data-label="Delivery status"]')
    ]
    assert cells and all(c == texts.DELIVERY_CANCELED for c in cells)
    assert soup(page).find(id="order-explanation") is None or (
        texts.ORDER_WAITS["manual_execution"] not in _explanation(page)
    )
    session.expire_all()
    assert session.get(Order, order_id).status.type == "cancelled"
