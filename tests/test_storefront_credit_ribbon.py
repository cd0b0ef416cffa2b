"""The credit ribbon of an on-account customer with a credit limit, and the demo's credit-limit
customer: Bob (Globex, €1,500.00 limit, €900.00 used by the demo's open firewall order and its
unpaid invoice) buys something small within the limit and is held over it for a bigger basket.
On both engines."""

from __future__ import annotations

from sqlalchemy import select

from core import texts
from core.enums import HoldReason
from core.models import Invoice, Order, OrderHold, Product, Tenant
from core.rules.statuses import StatusKey
from tests.conftest import login, soup, text_of


def _add(client, session, code, quantity):
    tenant = session.scalar(select(Tenant).where(Tenant.slug == "reseller"))
    product = session.scalar(
        select(Product).where(Product.tenant_id == tenant.id, Product.code == code)
    )
    data = {"plan_id": str(product.plans[0].id), "quantity": quantity}
    assert client.post(f"/products/{product.id}/add", data=data).status_code == 303


def _ribbon(response):
    return soup(response).select_one(".credit-ribbon, .ribbon-credit")


def _place_on_account(client) -> int:
    billing_url = client.post("/checkout").headers["Location"]
    order_id = int(billing_url.split("/")[2])
    data = {
        "billing_name": "Globex",
        "billing_address": "1 Main St",
        "payment_method": "on_account",
    }
    assert client.post(billing_url, data=data).status_code == 303
    review = client.get(f"/checkout/{order_id}/review")
    assert _ribbon(review) is not None  # the review repeats the ribbon
    assert client.post(f"/checkout/{order_id}/place", data={"when": "now"}).status_code == 303
    return order_id


def test_an_empty_basket_shows_no_credit_ribbon(client, demo):
    login(client, "bob@globex.example")
    assert _ribbon(client.get("/basket")) is None


def test_a_customer_without_a_credit_limit_sees_no_credit_ribbon(client, session, demo):
    login(client, "alice@acme.example")
    _add(client, session, "AZ-BACKUP", "1")
    assert _ribbon(client.get("/basket")) is None


def test_a_small_basket_is_within_the_limit_and_executes(client, session, demo):
    login(client, "bob@globex.example")
    _add(client, session, "AZ-BACKUP", "1")
    ribbon = _ribbon(client.get("/basket"))
    expected = texts.CREDIT_RIBBON_FIGURES.format(
        limit="€1,500.00", used="€900.00", available="€600.00", total="€9.00"
    )
    assert expected in ribbon.get_text(" ")
    assert texts.CREDIT_RIBBON_WITHIN in ribbon.get_text(" ")
    assert "ribbon-credit" not in ribbon["class"]  # not the warning style
    order_id = _place_on_account(client)
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == StatusKey.EXECUTED
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert invoice is not None and not invoice.paid


def test_a_bigger_basket_is_over_the_limit_and_held_for_credit_review(client, session, demo):
    login(client, "bob@globex.example")
    _add(client, session, "M365-PREM", "30")  # 30 × €20.60
    ribbon = _ribbon(client.get("/basket"))
    text = ribbon.get_text(" ")
    assert "€618.00" in text and "€600.00" in text
    assert texts.CREDIT_LIMIT_EXCEEDED_RIBBON.format(amount="€18.00") in text
    assert "ribbon-credit" in ribbon["class"]  # the warning style
    order_id = _place_on_account(client)
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == StatusKey.SUBMITTED
    hold = session.scalar(select(OrderHold).where(OrderHold.order_id == order_id))
    assert hold.reason == HoldReason.CREDIT_LIMIT
    assert texts.CREDIT_REVIEW_CONFIRMATION in text_of(
        client.get(f"/orders/{order_id}/confirmation")
    )
