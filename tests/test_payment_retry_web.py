"""A declined card is no dead end (issue 13, point 9), through HTTP without JavaScript: the
confirmation says the payment failed, /orders and the order page flag it and offer Pay now, a
declined Pay now keeps the flag and says why, a good card executes the order once, and a BSS
user reads every attempt in the order's history."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core import texts
from core.models import Invoice, Order, Payment
from core.rules.pricing import format_money
from tests.conftest import login, soup, text_of
from tests.test_storefront_web import CARD, checkout

DECLINED = {**CARD, "card_number": "4000 0000 0000 0002"}
PAY_GOOD = {
    "card_holder": "Alice Acme",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": CARD["card_expiry"],
    "card_cvc": "123",
}


def declined_checkout(client, session):
    order_id, _review, placed = checkout(
        client, session, "alice@acme.example", "AZ-BACKUP", "1", DECLINED
    )
    assert placed.status_code == 303
    return order_id, placed.headers["Location"]


def pay(client, order_id, attempt, **card):
    return client.post(f"/orders/{order_id}/pay", data={**PAY_GOOD, **card, "attempt": attempt})


def payments(session, order_id) -> int:
    return session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order_id)
    )


def test_the_confirmation_of_a_declined_card_says_the_payment_failed_and_offers_pay_now(
    client, session, demo
):
    order_id, confirmation_url = declined_checkout(client, session)
    page = client.get(confirmation_url)
    html = soup(page)
    message = html.find(id="confirmation-message")
    assert message.get_text(" ", strip=True).startswith("Your payment failed:")
    assert "alert" in message["class"]
    steps = [li for li in html.select("ol.steps li")]
    assert steps[-1].get("data-state") == "failed"
    assert texts.PAYMENT_FAILED_TITLE in steps[-1].get_text()
    assert html.find("a", string=texts.PAY_NOW)["href"] == f"/orders/{order_id}#pay-now"


def test_orders_and_the_order_page_flag_the_failed_payment(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    listing = soup(client.get("/orders"))
    row = listing.find("a", href=f"/orders/{order_id}").find_parent("tr")
    assert texts.PAYMENT_FAILED_FLAG in row.get_text(" ")
    assert row.find("a", href=f"/orders/{order_id}#pay-now") is not None
    page = client.get(f"/orders/{order_id}")
    html = soup(page)
    section = html.find(id="pay-now")
    assert "Your card was declined." in section.get_text(" ")
    form = section.find("form")
    assert form["action"] == f"/orders/{order_id}/pay"
    assert form.find("input", attrs={"name": "attempt"})["value"] == "2"
    assert form.find(id="card_expiry") is not None
    # the button says what the card is charged: VAT included (Acme, Ireland: 23 %), as the
    # declined attempt listed above it, not the order's total before VAT
    total = session.get(Order, order_id).total
    gross = (total + (total * Decimal("0.23")).quantize(Decimal("0.01"))).quantize(Decimal("0.01"))
    assert gross > total
    declined = session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert declined.amount == gross
    assert form.find("button").get_text(strip=True) == f"Pay €{gross:,.2f}"


def test_the_pay_now_button_says_what_the_card_is_then_charged(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    button = soup(client.get(f"/orders/{order_id}")).select_one("#pay-now form button")
    assert pay(client, order_id, "2").status_code == 303
    session.expire_all()
    paid = session.scalar(
        select(Payment).where(Payment.order_id == order_id, Payment.status == "succeeded")
    )
    assert button.get_text(strip=True) == "Pay " + format_money(paid.amount, "EUR")
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert paid.amount == invoice.total


def test_pay_now_with_a_good_card_executes_the_order_once(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    first = pay(client, order_id, "2")
    again = pay(client, order_id, "2")  # double click / retried request
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == f"/orders/{order_id}"
    page = client.get(first.headers["Location"])
    text = text_of(page)
    assert texts.PAY_NOW_SUCCEEDED in text and "Executed" in text
    assert soup(page).find(id="pay-now") is None
    assert payments(session, order_id) == 2
    assert (
        session.scalar(
            select(func.count()).select_from(Invoice).where(Invoice.order_id == order_id)
        )
        == 1
    )
    listing = soup(client.get("/orders"))
    row = listing.find("a", href=f"/orders/{order_id}").find_parent("tr")
    assert texts.PAYMENT_FAILED_FLAG not in row.get_text(" ")


def test_a_declined_pay_now_keeps_the_flag_and_says_why(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    response = pay(client, order_id, "2", card_number="4000 0000 0000 0119")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order_id}#pay-now"
    page = client.get(f"/orders/{order_id}")
    text = text_of(page)
    assert texts.PAY_NOW_FAILED.format(reason="The payment could not be processed.") in text
    assert texts.PAYMENT_FAILED_FLAG in text
    assert soup(page).find("input", attrs={"name": "attempt"})["value"] == "3"
    session.expire_all()
    assert session.get(Order, order_id).status.mandatory_key == "submitted"


def test_an_invalid_card_is_refused_with_field_messages_and_not_echoed(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    response = pay(client, order_id, "2", card_number="4242 4242 4242 4241", card_expiry="13/99")
    assert response.status_code == 422
    html = soup(response)
    assert "Enter a valid card number." in html.get_text(" ")
    assert html.find(id="card_number")["aria-invalid"] == "true"
    assert html.find(id="card_expiry")["aria-invalid"] == "true"
    assert "4241" not in response.get_data(as_text=True)
    assert payments(session, order_id) == 1


def test_another_customer_cannot_pay_the_order(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    client.post("/logout")
    login(client, "bob@globex.example")
    assert pay(client, order_id, "2").status_code == 404
    assert payments(session, order_id) == 1


def test_a_bss_user_sees_the_failed_payment_and_the_retries_in_the_history(client, session, demo):
    order_id, _ = declined_checkout(client, session)
    pay(client, order_id, "2", card_number="4000 0000 0000 0002")
    pay(client, order_id, "3")
    client.post("/logout")
    login(client, "operator@skyline.example")
    text = text_of(client.get(f"/bss/orders/{order_id}"))
    for note in (
        "Card payment attempt 1 failed (card ending 0002): Your card was declined.",
        "Card payment attempt 2 failed (card ending 0002): Your card was declined.",
        "Card payment attempt 3 succeeded (card ending 4242)",
    ):
        assert note in text


def test_the_demo_has_an_order_to_pay_now(client, session, demo):
    login(client, "alice@acme.example")
    listing = soup(client.get("/orders"))
    link = listing.select_one("a[href$='#pay-now']")
    assert link.get_text(" ", strip=True).startswith(texts.PAY_NOW)
    order_id = int(link["href"].split("/")[2].split("#")[0])
    page = client.get(f"/orders/{order_id}")
    assert soup(page).find(id="pay-now") is not None
    assert (
        soup(page).select_one(".address").get_text()
        == "Accounts Payable\n3 Harbour Road\nCork T12 X2YZ\nIreland"
    )
    paid = pay(client, order_id, "2")
    assert paid.status_code == 303
    assert "Executed" in text_of(client.get(paid.headers["Location"]))
