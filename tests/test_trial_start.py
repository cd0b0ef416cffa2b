"""A free trial's start: its €0.00 invoice owes nothing (issued Paid, never Open or overdue),
and My subscriptions says what the trial's end bills."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from core.models import Invoice, Order, Subscription
from core.rules import invoicing
from tests.billing_changes_helpers import account_of, list_price, product
from tests.conftest import login, soup, text_of
from tests.test_billing_changes_web import checkout_basket, money


def test_an_invoice_of_nothing_is_issued_paid():
    assert invoicing.initial_status("invoice", False, Decimal("0.00")) == "paid"
    assert invoicing.initial_status("invoice", False, Decimal("0.01")) == "open"
    assert invoicing.initial_status("credit_note", False, Decimal("0.00")) == "issued"


def test_a_trial_start_owes_nothing_and_says_what_its_end_bills(client, session, demo):
    account = account_of(session, "alice@acme.example")
    backup = product(session, account.tenant_id, "AZ-BACKUP")
    plan_id = backup.plans[0].id
    price = list_price(session, account, plan_id)
    login(client, "alice@acme.example")
    added = client.post(
        f"/products/{backup.id}/add", data={"plan_id": plan_id, "quantity": "3", "trial": "y"}
    )
    assert added.status_code == 303, text_of(added)[:300]
    order_id, review, placed = checkout_basket(client)
    then = soup(review).select_one(".trial-then").get_text(" ", strip=True)
    assert f"then {money(price * 3)} per month from" in then, then
    assert placed.status_code == 303, text_of(placed)[:400]
    session.expire_all()
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert invoice is not None and invoice.total == Decimal("0.00")
    assert invoice.status == "paid"
    listing = text_of(client.get("/invoices"))
    assert invoice.number in listing
    order = session.get(Order, order_id)
    sub = session.scalar(
        select(Subscription).where(Subscription.order_id == order.id, Subscription.is_trial)
    )
    card = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    assert money(price * 3) in card.select_one(".sub-next").get_text(strip=True)


def test_a_converted_trial_keeps_its_start_day_on_my_subscriptions(client, session, demo):
    from core.services import subscription_changes as changes

    account = account_of(session, "alice@acme.example")
    backup = product(session, account.tenant_id, "AZ-BACKUP")
    login(client, "alice@acme.example")
    client.post(
        f"/products/{backup.id}/add",
        data={"plan_id": backup.plans[0].id, "quantity": "3", "trial": "y"},
    )
    order_id, _review, _placed = checkout_basket(client)
    session.expire_all()
    sub = session.scalar(select(Subscription).where(Subscription.order_id == order_id))
    started, ends = sub.start_date, sub.trial_ends_on
    changes.end_trials(session, account.tenant_id, ends)  # kept: paid from its end
    session.expire_all()
    converted = session.get(Subscription, sub.id)
    assert not converted.is_trial
    card = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    assert card.select_one(".sub-since").get_text(strip=True) == f"{started:%d/%m/%Y}"
