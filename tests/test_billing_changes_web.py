"""Changes mid-period (issue 17, point 3) through the Storefront: increases bill the prorated
rest of the period now (basket, review, order total, card charge, invoice line), decreases,
downgrades and cancellations wait for the period's (or term's) end and say so before the
customer confirms; auto-renew and the trial's continuation are toggles on My subscriptions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from core import texts
from core.db import write_transaction
from core.models import (
    Invoice,
    InvoiceLine,
    Order,
    Payment,
    ProductUpgrade,
    Subscription,
    SubscriptionChange,
    SubscriptionHistory,
)
from core.rules import proration
from core.services import subscription_changes as changes
from tests.billing_changes_helpers import account_of, billed, product, subscription, today
from tests.conftest import login, soup, text_of
from tests.test_storefront_web import CARD

M = Decimal


def money(amount) -> str:
    return f"€{Decimal(amount):,.2f}"


def checkout_basket(client, payment_method="card", card=None):
    start = client.post("/checkout")
    assert start.status_code == 303, start.get_data(as_text=True)[:300]
    billing_url = start.headers["Location"]
    order_id = int(billing_url.split("/")[2])
    billing = client.post(
        billing_url,
        data={
            "billing_name": "Acme Ltd",
            "billing_address": "1 Main St",
            "payment_method": payment_method,
        },
    )
    assert billing.status_code == 303, text_of(billing)[:500]
    review = client.get(billing.headers["Location"])
    assert review.status_code == 200
    placed = client.post(f"/checkout/{order_id}/place", data={"when": "now", **(card or CARD)})
    return order_id, review, placed


def test_buying_licenses_mid_period_bills_the_prorated_rest_now_and_the_new_quantity_next(
    client, session, demo
):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    day = today(session, sub.tenant_id)
    unit = sub.unit_price
    share = proration.prorate(unit * 5, period, day)
    assert 0 < share.amount <= unit * 5
    login(client, "alice@acme.example")
    response = client.post(f"/subscriptions/{sub.id}/licenses", data={"quantity": "5"})
    assert response.status_code == 303
    basket = text_of(client.get("/basket"))
    # 15 licenses and the add-on (5 × €2.00) from the next period
    then = money(unit * 15 + M("10.00"))
    assert f"{money(share.amount)} now for" in basket and "(prorated)" in basket
    assert f"then {then} per month from" in basket
    order_id, review, placed = checkout_basket(client)
    assert f"{money(share.amount)} now for" in text_of(review)
    assert soup(review).find(id="order-total").get_text(strip=True) == money(share.amount)
    assert placed.status_code == 303, text_of(placed)[:500]
    session.expire_all()
    order = session.get(Order, order_id)
    assert order.total == share.amount
    line = session.scalar(select(InvoiceLine).join(Invoice).where(Invoice.order_id == order_id))
    assert line.amount == share.amount  # net
    assert "prorated" in line.description
    assert (line.period_start, line.period_end) == (share.start, share.end)
    invoice = session.get(Invoice, line.invoice_id)
    assert invoice.net_total == share.amount
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.amount == invoice.total  # the card is charged the prorated amount with VAT
    assert session.get(Subscription, sub.id).quantity == 15


def test_an_upgrade_bills_the_price_difference_for_the_rest_of_the_period(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    account = account_of(session, "alice@acme.example")
    premium = product(session, sub.tenant_id, "M365-PREM")
    from tests.billing_changes_helpers import list_price

    new_price = list_price(session, account, premium.plans[0].id)
    diff = (new_price - sub.unit_price) * sub.quantity
    share = proration.prorate(diff, period, today(session, sub.tenant_id))
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/upgrade", data={"target_product_id": str(premium.id)})
    assert f"{money(share.amount)} now for" in text_of(client.get("/basket"))
    order_id, _review, placed = checkout_basket(client)
    assert placed.status_code == 303
    session.expire_all()
    assert session.get(Order, order_id).total == share.amount
    upgraded = session.get(Subscription, sub.id)
    assert upgraded.product_id == premium.id
    assert upgraded.unit_price == new_price  # the next period bills the new plan's price


def test_a_decrease_says_when_it_takes_effect_before_it_is_recorded(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    login(client, "alice@acme.example")
    listing = client.get("/subscriptions")
    assert "Reduce licenses" in text_of(listing)
    confirm = client.get(f"/subscriptions/{sub.id}/change/reduce-licenses?quantity=8")
    assert confirm.status_code == 200
    summary = soup(confirm).find(id="change-summary").get_text(" ", strip=True)
    assert summary == texts.CHANGE_TAKES_EFFECT.format(
        date=period.end.strftime("%-d %b %Y"), keeps="10 licenses"
    )
    assert (
        session.scalar(
            select(func.count(SubscriptionChange.id)).where(
                SubscriptionChange.subscription_id == sub.id
            )
        )
        == 0
    )  # nothing yet
    for _ in range(2):  # a double click schedules it once
        done = client.post(
            f"/subscriptions/{sub.id}/change/reduce-licenses", data={"quantity": "8"}
        )
        assert done.status_code == 303
    pending = session.scalars(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    ).all()
    assert [(c.kind, c.quantity, c.effective_on, c.status) for c in pending] == [
        ("reduce_licenses", 8, period.end, "pending")
    ]
    assert session.get(Subscription, sub.id).quantity == 10  # kept until then
    page = client.get("/subscriptions")
    assert soup(page).find(id=f"change-{pending[0].id}") is not None
    withdraw = client.post(f"/subscriptions/changes/{pending[0].id}/withdraw")
    assert withdraw.status_code == 303
    session.expire_all()
    assert session.get(SubscriptionChange, pending[0].id).status == "withdrawn"


def test_a_decrease_below_the_plan_minimum_is_refused_and_records_nothing(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    with write_transaction(session):
        session.get(Subscription, sub.id).plan.min_quantity = 8
    login(client, "alice@acme.example")
    confirm = client.get(f"/subscriptions/{sub.id}/change/reduce-licenses?quantity=5")
    assert confirm.status_code == 422
    assert "The minimum is 8." in text_of(confirm)
    posted = client.post(f"/subscriptions/{sub.id}/change/reduce-licenses", data={"quantity": "5"})
    assert posted.status_code == 303
    assert (
        session.scalar(
            select(func.count(SubscriptionChange.id)).where(
                SubscriptionChange.subscription_id == sub.id
            )
        )
        == 0
    )


def test_a_cancellation_during_a_commitment_takes_effect_at_the_term_end(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub, started_days_ago=90, commitment=12)
    term_end = session.get(Subscription, sub.id).term_end
    login(client, "alice@acme.example")
    confirm = client.get(f"/subscriptions/{sub.id}/change/cancel")
    page = text_of(confirm)
    assert f"Takes effect on {term_end.strftime('%-d %b %Y')}" in page
    assert texts.CHANGE_COMMITMENT_NOTE in page
    client.post(f"/subscriptions/{sub.id}/change/cancel", data={})
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    assert (change.kind, change.effective_on) == ("cancel", term_end)


def test_a_downgrade_to_a_cheaper_target_waits_for_the_period_end(client, session, demo):
    sub = subscription(session, "bob@globex.example", "M365-PREM")
    period = billed(session, sub)
    standard = product(session, sub.tenant_id, "M365-STD")
    with write_transaction(session):
        session.add(ProductUpgrade(from_product_id=sub.product_id, to_product_id=standard.id))
    login(client, "bob@globex.example")
    listing = soup(client.get("/subscriptions"))
    options = [o.get_text() for o in listing.select(f"#downgrade-{sub.id} option")]
    assert options and options[0].startswith("Microsoft 365 Business Standard")
    assert listing.find(id=f"upgrade-{sub.id}") is None  # the cheaper target is no upgrade
    url = f"/subscriptions/{sub.id}/change/downgrade"
    confirm = client.get(url, query_string={"target_product_id": standard.id})
    assert period.end.strftime("%-d %b %Y") in text_of(confirm)
    client.post(url, data={"target_product_id": str(standard.id)})
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    assert (change.kind, change.target_product_id, change.effective_on) == (
        "downgrade",
        standard.id,
        period.end,
    )
    changes.apply_due_for_tenant(session, sub.tenant_id, period.end)
    session.expire_all()
    moved = session.get(Subscription, sub.id)
    assert moved.product_id == standard.id and moved.unit_price == change.unit_price


def test_auto_renew_is_turned_off_and_on_with_history_and_shown_in_the_bss(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    login(client, "alice@acme.example")
    off = client.post(f"/subscriptions/{sub.id}/auto-renew", data={"value": "off"})
    assert off.status_code == 303
    session.expire_all()
    assert session.get(Subscription, sub.id).auto_renew is False
    listing = soup(client.get("/subscriptions"))
    card = listing.find(id=f"sub-{sub.id}").parent
    assert card.select_one(".sub-auto-renew").get_text(strip=True) == texts.SUB_AUTO_RENEW_OFF
    assert listing.find(id=f"auto-renew-{sub.id}").get_text(strip=True) == texts.AUTO_RENEW_TURN_ON
    client.post("/logout")
    login(client, "admin@skyline.example")
    bss = soup(client.get(f"/bss/subscriptions/{sub.id}"))
    assert bss.find(id="subscription-auto-renew").get_text(strip=True).startswith("Off")
    client.post("/bss/logout")
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/auto-renew", data={"value": "on"})
    client.post(f"/subscriptions/{sub.id}/auto-renew", data={"value": "on"})  # no second line
    history = session.scalars(
        select(SubscriptionHistory.change)
        .where(SubscriptionHistory.subscription_id == sub.id)
        .order_by(SubscriptionHistory.id)
    ).all()
    assert history[-2:] == ["auto_renew_off", "auto_renew_on"]
    session.expire_all()
    assert session.get(Subscription, sub.id).auto_renew is True


def test_the_trial_continuation_toggle_decides_what_happens_at_the_trial_end(client, session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    login(client, "alice@acme.example")
    page = text_of(client.get("/subscriptions"))
    assert f"{texts.TRIAL_CONTINUE_LABEL}: on" in page
    client.post(f"/subscriptions/{trial.id}/trial-continue", data={"value": "off"})
    session.expire_all()
    trial = session.get(Subscription, trial.id)
    assert trial.trial_converts is False
    assert f"{texts.TRIAL_CONTINUE_LABEL}: off" in text_of(client.get("/subscriptions"))
    assert changes.end_trials(session, trial.tenant_id, trial.trial_ends_on) == (0, 1)
    session.expire_all()
    assert session.get(Subscription, trial.id).status == "expired"


def test_another_customer_cannot_change_or_withdraw(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/change/cancel", data={})
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    client.post("/logout")
    login(client, "bob@globex.example")
    assert client.get(f"/subscriptions/{sub.id}/change/cancel").status_code == 404
    assert client.post(f"/subscriptions/{sub.id}/change/cancel", data={}).status_code == 404
    assert client.post(f"/subscriptions/changes/{change.id}/withdraw").status_code == 404
    assert (
        client.post(f"/subscriptions/{sub.id}/auto-renew", data={"value": "off"}).status_code == 404
    )
    session.expire_all()
    assert session.get(SubscriptionChange, change.id).status == "pending"
    assert session.get(Subscription, sub.id).auto_renew is True


def test_add_ons_bought_for_a_subscription_bill_the_prorated_rest_now(client, session, demo):
    from core.models import AddOnPrice, SubscriptionAddOn

    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    account = account_of(session, "alice@acme.example")
    owned = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
    )
    other = [a for a in sub.product.addons if a.id != owned.addon_id][0]

    def price(addon_id):
        return session.scalar(
            select(AddOnPrice.price).where(
                AddOnPrice.addon_id == addon_id,
                AddOnPrice.price_list_id == account.price_list_id,
            )
        )

    day = today(session, sub.tenant_id)
    new_now = proration.prorate(price(other.id) * 2, period, day).amount
    more_now = proration.prorate(price(owned.addon_id) * 3, period, day).amount
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/addon", data={"addon_id": other.id, "quantity": "2"})
    client.post(
        f"/subscriptions/{sub.id}/addon-quantity",
        data={"addon_id": owned.addon_id, "quantity": "3"},
    )
    basket = text_of(client.get("/basket"))
    assert f"{money(new_now)} now for" in basket and f"{money(more_now)} now for" in basket
    order_id, _review, placed = checkout_basket(client)
    assert placed.status_code == 303
    session.expire_all()
    assert session.get(Order, order_id).total == new_now + more_now
    amounts = sorted(
        session.scalars(
            select(InvoiceLine.amount).join(Invoice).where(Invoice.order_id == order_id)
        )
    )
    assert amounts == sorted([new_now, more_now])


def test_removing_an_add_on_is_confirmed_with_its_day_and_scheduled(client, session, demo):
    from core.models import SubscriptionAddOn

    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    owned = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
    )
    login(client, "alice@acme.example")
    url = f"/subscriptions/{sub.id}/change/remove-addon"
    confirm = client.get(url, query_string={"addon_id": owned.addon_id})
    assert soup(confirm).find(id="change-becomes").get_text(strip=True) == (
        f"without {owned.addon.name}"
    )
    assert period.end.strftime("%-d %b %Y") in text_of(confirm)
    client.post(url, data={"addon_id": str(owned.addon_id)})
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    assert (change.kind, change.addon_id, change.effective_on) == (
        "remove_addon",
        owned.addon_id,
        period.end,
    )


def test_my_subscriptions_next_billing_counts_the_pending_changes(client, session, demo):
    # a cancellation due at the period's end: nothing is billed again (the page went on
    # showing the next billing and its amount)
    from datetime import timedelta

    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/change/cancel", data={})
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    assert change.kind == "cancel"
    card = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    last_day = change.effective_on - timedelta(days=1)
    assert card.select_one(".sub-next").get_text(strip=True) == texts.SUB_NO_NEXT_BILLING.format(
        date=f"{last_day:%d/%m/%Y}"
    )


def test_cancelling_a_trial_says_nothing_is_billed_not_refunded(client, session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    assert trial.is_trial
    login(client, "alice@acme.example")
    confirm = text_of(client.get(f"/subscriptions/{trial.id}/change/cancel"))
    assert "nothing is billed" in confirm and "refunded" not in confirm
    done = client.post(f"/subscriptions/{trial.id}/change/cancel", data={}, follow_redirects=True)
    assert "nothing is billed" in text_of(done) and "refunded" not in text_of(done)
