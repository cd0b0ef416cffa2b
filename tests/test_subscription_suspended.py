"""A suspended subscription (dunning) offers only what lifts the suspension: paying the unpaid
invoice. Its status is shown once, and the services refuse its changes too, not only the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db import write_transaction
from core.models import BasketItem, Invoice, Subscription, User
from core.services import subscription_changes as changes
from core.services.errors import Conflict
from tests.billing_changes_helpers import billed, subscription, today
from tests.conftest import login, soup
from tests.dunning_helpers import renewal_invoice


def _suspend(session, sub_id):
    invoice_id = renewal_invoice(session, "Acme Ltd", today(session, 1))
    with write_transaction(session):
        sub = session.get(Subscription, sub_id)
        sub.status, sub.suspended_invoice_id = "suspended", invoice_id
        sub.suspended_on = today(session, sub.tenant_id)
    return session.get(Invoice, invoice_id)


def test_a_suspended_subscription_offers_only_to_pay_its_invoice(client, session, demo):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    invoice = _suspend(session, sub.id)
    login(client, "alice@acme.example")
    card = soup(client.get("/subscriptions")).find(id=f"sub-{sub.id}").parent
    words = card.get_text(" ", strip=True)
    assert words.count("Suspended") == 1, words
    buttons = [b.get_text(strip=True) for b in card.find_all("button")]
    assert buttons == [], buttons
    pay = card.find("a", href=f"/invoices/{invoice.id}")
    assert pay is not None and invoice.number in pay.get_text()
    assert "Provisioning" not in words or "Active" not in words


@pytest.mark.parametrize("action", ["licenses", "addon-quantity", "upgrade"])
def test_the_services_refuse_changes_of_a_suspended_subscription(client, session, demo, action):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    _suspend(session, sub.id)
    sub = session.get(Subscription, sub.id)
    addon_id = sub.addons[0].addon_id
    login(client, "alice@acme.example")
    data = {"quantity": "1", "addon_id": str(addon_id), "target_product_id": "0"}
    response = client.post(f"/subscriptions/{sub.id}/{action}", data=data)
    assert response.status_code == 409
    assert session.scalar(select(BasketItem.id).where(BasketItem.subscription_id == sub.id)) is None
    user = session.scalar(select(User).where(User.email == "alice@acme.example"))
    with pytest.raises(Conflict) as refused:
        changes.plan_change(
            session, sub.tenant_id, user.account_id, sub.id, "cancel", today=today(session, 1)
        )
    assert refused.value.message.startswith("This subscription is suspended")
    with pytest.raises(Conflict):
        changes.set_auto_renew(session, sub.tenant_id, user, sub.id, False)


def test_a_change_put_in_the_basket_before_the_suspension_is_not_placed(client, session, demo):
    from tests.test_billing_changes_web import checkout_basket

    sub = subscription(session, "alice@acme.example", "M365-STD")
    billed(session, sub)
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub.id}/licenses", data={"quantity": "1"})
    _suspend(session, sub.id)
    _order_id, _review, placed = checkout_basket(client)
    assert placed.status_code == 303 and placed.headers["Location"].endswith("/basket")
    basket = client.get("/basket").get_data(as_text=True)
    assert "This subscription is suspended until invoice" in basket
    session.expire_all()
    assert session.get(Subscription, sub.id).quantity == 10
