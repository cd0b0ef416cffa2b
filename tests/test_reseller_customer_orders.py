"""The customer of a standard reseller follows their own order from the moment it is placed:
statuses of Storefront Type *Pending approval* (Pending Reseller Approval, Canceled by
Reseller) show on the confirmation, in /orders and on the order page, on both engines."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.models import Order, Product, User
from core.rules import statuses as rules
from core.services import basket as basket_service
from core.services import billing
from tests.conftest import login, soup, text_of

CARD = {
    "card_holder": "Dave Initech",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": f"12/{(date.today().year + 2) % 100:02d}",
    "card_cvc": "123",
}


def test_every_storefront_type_but_draft_is_shown_to_the_customer():
    S = rules.StorefrontType
    assert rules.visible_to_customer(S.PENDING_APPROVAL)
    assert rules.visible_to_customer(S.VIEWABLE) and rules.visible_to_customer(S.SUBMITTED)
    assert rules.visible_to_customer(S.NOT_VIEWABLE)  # deprecated: read as Viewable
    assert not rules.visible_to_customer(S.DRAFT)


def _place_as_dave(client, session) -> tuple[int, str]:
    login(client, "dave@initech.example")
    dave = session.scalar(select(User).where(User.email == "dave@initech.example"))
    prem = session.scalar(
        select(Product).where(Product.tenant_id == dave.tenant_id, Product.code == "M365-PREM")
    )
    basket_service.add_product(session, dave.tenant_id, dave, prem.id, prem.plans[0].id, 1)
    billing_url = client.post("/checkout").headers["Location"]
    order_id = int(billing_url.split("/")[2])
    data = {"billing_name": "Initech", "billing_address": "1 Main St", "payment_method": "card"}
    assert client.post(billing_url, data=data).status_code == 303
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now", **CARD})
    assert placed.status_code == 303, text_of(placed)[:300]
    return order_id, placed.headers["Location"]


def _row(client, number: str):
    link = soup(client.get("/orders")).find("a", string=number)
    return link.find_parent("tr").get_text(" ") if link else None


def test_the_customer_sees_the_order_pending_approval_then_canceled_by_the_reseller(
    client, session, demo
):
    order_id, confirmation_url = _place_as_dave(client, session)
    number = session.get(Order, order_id).number
    confirmation = text_of(client.get(confirmation_url))
    assert "Pending Reseller Approval" in confirmation and "Draft" not in confirmation
    assert "Pending Reseller Approval" in _row(client, number)
    detail = client.get(f"/orders/{order_id}")
    assert detail.status_code == 200 and "Pending Reseller Approval" in text_of(detail)

    client.post("/logout")
    login(client, "carol@bluesky.example")
    rejected = client.post(f"/reseller/approvals/{order_id}/reject", data={"reason": "No budget"})
    assert rejected.status_code == 303
    client.post("/logout")

    login(client, "dave@initech.example")
    assert "Canceled by Reseller" in _row(client, number)
    assert "Canceled by Reseller" in text_of(client.get(f"/orders/{order_id}"))


def test_the_demo_order_waiting_for_bluesky_is_in_initechs_orders(session, demo):
    dave = session.scalar(select(User).where(User.email == "dave@initech.example"))
    page = billing.list_orders(session, dave.tenant_id, dave.account_id)
    shown = {o.storefront_status.description for o in page.orders}
    assert "Pending Reseller Approval" in shown
