"""The checkout pages (issue 13, point 14), through HTTP on both engines: the card on one row
in the payment step, the button saying what is charged now, the execution date in one format in
the field, its hint and its messages, the billing address with its line breaks, no card wording
for an on-account customer, and a confirmation that names every hold."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core import texts
from core.db import utcnow
from core.models import Account, Order, User
from core.rules import scheduling_window
from tests.conftest import login, soup, text_of
from tests.test_storefront_web import CARD, add

ADDRESS = "12 Harbour Street\nPiraeus 185 31\nGreece"


def start(client, session, email, code, method, address="1 Main St"):
    """Basket -> billing step saved; returns the order id and the review page."""
    login(client, email)
    add(client, session, code)
    billing_url = client.post("/checkout").headers["Location"]
    order_id = int(billing_url.split("/")[2])
    saved = client.post(
        billing_url,
        data={"billing_name": "Acme Ltd", "billing_address": address, "payment_method": method},
    )
    assert saved.status_code == 303, text_of(saved)[:300]
    return order_id, client.get(saved.headers["Location"])


def submit_button(response) -> str:
    return soup(response).select_one("#place-form button[type=submit]").get_text(strip=True)


def test_the_card_is_one_row_and_the_button_says_the_amount_charged_now(client, session, demo):
    order_id, review = start(client, session, "alice@acme.example", "AZ-BACKUP", "card")
    html = soup(review)
    row = html.select_one(".card-fields .card-row")
    assert [i["name"] for i in row.select("input")] == ["card_number", "card_expiry", "card_cvc"]
    assert html.find(id="card_expiry_month") is None
    # issue 17: the card is charged VAT included (Acme, Ireland: 23 %), the invoice's gross
    total = session.get(Order, order_id).total
    gross = (total + (total * Decimal("0.23")).quantize(Decimal("0.01"))).quantize(Decimal("0.01"))
    assert submit_button(review) == f"Pay €{gross:,.2f}"
    steps = [li.get_text(strip=True) for li in html.select("ol.steps li")]
    assert steps == ["Basket", "Billing details", "Review and pay", "Confirmation"]


def test_the_card_fields_of_a_fresh_review_are_rendered_once_and_a_refusal_keeps_its_values(
    app, client, session, demo
):
    """Issue 19, seventh pass: the card fields as first shown are the same HTML on every
    review page, rendered once (kept with the app's fragments) and the same as the include
    renders; a refused card re-renders them with what was typed and the messages."""
    from flask import render_template_string

    from storefront.checkout_views import CARD_FIELDS
    from storefront.forms import PlaceOrderForm

    app.jinja_env.auto_reload = False  # production: the fields are kept (tests reload templates)
    order_id, review = start(client, session, "alice@acme.example", "AZ-BACKUP", "card")
    kept = [k for k in app.extensions.get("cloudshop_fragments", {}) if k[0] == CARD_FIELDS]
    assert len(kept) == 1
    again = client.get(f"/checkout/{order_id}/review")
    fieldset = str(soup(review).select_one("fieldset.card-fields"))
    assert str(soup(again).select_one("fieldset.card-fields")) == fieldset
    with app.test_request_context(f"/checkout/{order_id}/review"):
        included = render_template_string(
            '{% include "' + CARD_FIELDS + '" %}', form=PlaceOrderForm(), errors={}
        )
    assert app.extensions["cloudshop_fragments"][kept[0]] == included
    refused = client.post(
        f"/checkout/{order_id}/place",
        data={"when": "now", **CARD, "card_holder": "Alice Typed", "card_expiry": "13/99"},
    )
    assert refused.status_code == 422
    html = soup(refused)
    assert html.find(id="card_holder")["value"] == "Alice Typed"
    assert html.find(id="card_expiry")["aria-invalid"] == "true"
    assert html.find(id="card_number").get("value", "") == ""  # never echoed back


def test_nothing_charged_now_says_place_order(client, session, demo):
    _order_id, review = start(client, session, "alice@acme.example", "MNG-FW", "card")
    assert submit_button(review) == texts.PLACE_ORDER_BUTTON
    assert soup(review).find(id="card_number") is None


def test_the_execution_date_reads_the_same_in_the_field_its_hint_and_the_messages(
    client, session, demo
):
    order_id, review = start(client, session, "alice@acme.example", "AZ-BACKUP", "card")
    alice = session.scalar(select(User).where(User.email == "alice@acme.example"))
    fmt = alice.date_format
    first, last = scheduling_window.window(utcnow(), alice.timezone)
    html = soup(review)
    field = html.find(id="schedule_on")
    assert field["value"] == first.strftime(fmt)
    assert field.find_parent(class_="schedule-date") is not None  # what checkout.js toggles
    hint = html.find(id="schedule_on-hint").get_text(" ", strip=True)
    assert first.strftime(fmt) in hint and last.strftime(fmt) in hint
    too_late = (last + timedelta(days=1)).strftime(fmt)
    refused = client.post(
        f"/checkout/{order_id}/place",
        data={"when": "scheduled", "schedule_on": too_late, **CARD},
    )
    assert refused.status_code == 422
    message = texts.SCHEDULE_DATE_INVALID.format(first=first.strftime(fmt), last=last.strftime(fmt))
    assert message in text_of(refused)
    assert soup(refused).find(id="schedule_on")["value"] == too_late
    day = first + timedelta(days=2)
    placed = client.post(
        f"/checkout/{order_id}/place",
        data={"when": "scheduled", "schedule_on": day.strftime(fmt), **CARD},
    )
    assert placed.status_code == 303
    session.expire_all()
    assert session.get(Order, order_id).scheduled_for == day
    assert day.strftime(fmt) in text_of(client.get(placed.headers["Location"]))


def test_the_billing_address_keeps_its_line_breaks(client, session, demo):
    order_id, review = start(
        client, session, "alice@acme.example", "MNG-FW", "card", address=ADDRESS
    )
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now"})
    pages = {
        "review": review,
        "confirmation": client.get(placed.headers["Location"]),
        "order": client.get(f"/orders/{order_id}"),
    }
    client.post("/logout")
    login(client, "operator@skyline.example")
    pages["print-out"] = client.get(f"/bss/orders/{order_id}/print")
    for name, response in pages.items():
        address = soup(response).select_one(".address")
        assert address is not None, name
        assert address.get_text() == ADDRESS, name


def test_an_on_account_customer_never_reads_about_a_card(client, session, demo):
    order_id, review = start(client, session, "bob@globex.example", "MNG-FW", "on_account")
    add(client, session, "MNG-FW")  # the basket again, for the basket page
    pages = [review, client.get(f"/checkout/{order_id}/billing"), client.get("/basket")]
    for response in pages:
        assert texts.MANUAL_BASKET_BANNER in text_of(response)
        assert "card will not be charged" not in text_of(response).lower()


def test_a_confirmation_with_two_holds_says_both(client, session, demo):
    bob = session.scalar(select(User).where(User.email == "bob@globex.example"))
    session.get(Account, bob.account_id).credit_limit = Decimal("1.00")
    session.commit()
    order_id, _review = start(client, session, "bob@globex.example", "MNG-FW", "on_account")
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now"})
    page = text_of(client.get(placed.headers["Location"]))
    assert texts.MANUAL_ORDER_CONFIRMATION in page
    assert texts.CREDIT_REVIEW_CONFIRMATION in page


def _footer(review) -> dict[str, str]:
    """The review's totals: label -> amount, as the lines table's footer reads."""
    rows = soup(review).select("table.lines tfoot tr")
    return {r.th.get_text(" ", strip=True): r.td.get_text(strip=True) for r in rows}


def test_the_review_shows_the_vat_and_the_total_to_pay_the_button_charges(client, session, demo):
    """Acme, Ireland, 23 %: the lines' total before VAT, the VAT and the total to pay (what the
    invoice will say, and what the button charges)."""
    order_id, review = start(client, session, "alice@acme.example", "AZ-BACKUP", "card")
    total = session.get(Order, order_id).total
    vat = (total * Decimal("0.23")).quantize(Decimal("0.01"))
    footer = _footer(review)
    assert footer[texts.REVIEW_VAT.format(rate="23")] == f"€{vat:,.2f}"
    assert footer[texts.REVIEW_TOTAL_TO_PAY] == f"€{total + vat:,.2f}"
    assert soup(review).find(id="order-gross").get_text(strip=True) == f"€{total + vat:,.2f}"
    assert submit_button(review) == f"Pay €{total + vat:,.2f}"


def test_a_review_without_vat_says_why(client, session, demo):
    """Globex, a German business with a VAT number: reverse charge, VAT 0, the invoice's note;
    nothing charged now (manual, on account) and still the VAT the invoice will carry."""
    order_id, review = start(client, session, "bob@globex.example", "MNG-FW", "on_account")
    total = session.get(Order, order_id).total
    footer = _footer(review)
    assert footer[texts.REVIEW_VAT.format(rate="0")] == "€0.00"
    assert footer[texts.REVIEW_TOTAL_TO_PAY] == f"€{total:,.2f}"
    assert "Reverse charge" in soup(review).find(id="order-tax-note").get_text()
    _order_id, alice = start(client, session, "alice@acme.example", "MNG-FW", "card")
    assert texts.REVIEW_VAT.format(rate="23") in _footer(alice)


def test_a_when_that_is_neither_now_nor_scheduled_is_refused_and_charges_nothing(
    client, session, demo
):
    from sqlalchemy import func

    from core.models import Payment

    order_id, _review = start(client, session, "alice@acme.example", "AZ-BACKUP", "card")
    for when in ("later", "", "NOW", "Scheduled"):
        refused = client.post(f"/checkout/{order_id}/place", data={"when": when, **CARD})
        assert refused.status_code == 422, (when, text_of(refused)[:300])
        assert texts.CHECKOUT_WHEN_INVALID in text_of(refused)
        assert (
            session.scalar(select(func.count(Payment.id)).where(Payment.order_id == order_id)) == 0
        )
        session.expire_all()
        assert session.get(Order, order_id).status.storefront_type == "draft"
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now", **CARD})
    assert placed.status_code == 303


def test_a_scheduled_order_on_account_says_schedule_and_invoiced_not_charged(client, session, demo):
    # on account nothing is charged: the button says what it does once a date is picked
    # (as the card's does), and the confirmation speaks of the invoice, not a charge
    from datetime import timedelta

    from core.db import utcnow

    order_id, review = start(client, session, "bob@globex.example", "AZ-BACKUP", "on_account")
    button = soup(review).select_one("#place-form button[type=submit]")
    assert button.get_text(strip=True) == texts.PLACE_ORDER_BUTTON
    assert button.get("data-label-scheduled") == texts.SCHEDULE_ORDER_BUTTON
    day = utcnow().date() + timedelta(days=3)
    placed = client.post(
        f"/checkout/{order_id}/place",
        data={"when": "scheduled", "schedule_on": day.isoformat()},
    )
    assert placed.status_code == 303, text_of(placed)[:300]
    page = text_of(client.get(placed.headers["Location"]))
    assert "invoiced on that day" in page and "charged" not in page


def test_a_billing_name_or_address_too_long_is_refused_and_nothing_saved(client, session, demo):
    login(client, "alice@acme.example")
    add(client, session, "MNG-FW")
    billing_url = client.post("/checkout").headers["Location"]
    order_id = int(billing_url.split("/")[2])
    refused = client.post(
        billing_url,
        data={
            "billing_name": "n" * 100_000,
            "billing_address": "a" * 100_000,
            "payment_method": "card",
        },
    )
    assert refused.status_code == 422
    page = text_of(refused)
    assert texts.ACCOUNT_FIELD_TOO_LONG.format(max=200) in page
    assert texts.ACCOUNT_FIELD_TOO_LONG.format(max=2000) in page
    session.expire_all()
    order = session.get(Order, order_id)
    assert len(order.billing_name or "") <= 200 and len(order.billing_address or "") <= 2000
