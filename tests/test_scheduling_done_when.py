"""Issue 5 "done when", end to end on the demo: a customer schedules an order for tomorrow and
the worker run with the clock moved a day executes it once; a standard reseller's customer
orders, the reseller approves it and it executes; an accepted offer becomes an order."""

from datetime import timedelta

from sqlalchemy import func, select

from core.db import utcnow
from core.models import Invoice, Offer, Order, OrderStatus
from core.rules.statuses import OrderStatusType
from core.services import scheduling
from tests.conftest import login, text_of
from tests.helpers_issue5 import product, tenant

CARD = {
    "card_holder": "Card Holder",
    "card_number": "4242 4242 4242 4242",
    "card_expiry": "12/35",
    "card_cvc": "123",
}


def _checkout(client, session, code, quantity, **place):
    item = product(session, code)
    added = client.post(
        f"/products/{item.id}/add", data={"plan_id": item.plans[0].id, "quantity": str(quantity)}
    )
    assert added.status_code in (303, 204), text_of(added)
    started = client.post("/checkout")
    order_id = int(started.headers["Location"].rstrip("/").split("/")[-2])
    client.post(
        f"/checkout/{order_id}/billing",
        data={"billing_name": "Buyer", "billing_address": "1 Main St", "payment_method": "card"},
    )
    placed = client.post(f"/checkout/{order_id}/place", data={**CARD, **place})
    assert placed.status_code == 303, text_of(placed)
    return order_id


def _order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def _invoices(session, order_id) -> int:
    return session.scalar(select(func.count()).where(Invoice.order_id == order_id))


def test_a_customer_schedules_for_tomorrow_and_the_worker_executes_it_once(client, demo, session):
    login(client, "alice@acme.example", bss=False)
    tomorrow = utcnow().date() + timedelta(days=1)
    order_id = _checkout(
        client, session, "M365-PREM", 2, when="scheduled", schedule_on=tomorrow.isoformat()
    )
    order = _order(session, order_id)
    assert order.status.type == OrderStatusType.SCHEDULED and order.scheduled_for == tomorrow
    page = client.get(f"/orders/{order_id}")
    assert "Reschedule" in text_of(page) and "Cancel scheduled order" in text_of(page)

    assert order.number not in scheduling.run_due(session, now=utcnow()).executed
    run = scheduling.run_due(session, now=utcnow() + timedelta(days=1))
    assert order.number in run.executed
    assert _order(session, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    again = scheduling.run_due(session, now=utcnow() + timedelta(days=1, hours=1))
    assert order.number not in again.executed
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert _invoices(session, order_id) == 1 and invoice.paid


def test_a_resellers_customer_orders_the_reseller_approves_and_it_executes(client, demo, session):
    login(client, "dave@initech.example", bss=False)
    order_id = _checkout(client, session, "M365-STD", 3, when="now")
    order = _order(session, order_id)
    assert order.status.mandatory_key == "pending_reseller_approval"
    assert _invoices(session, order_id) == 0
    client.post("/logout")

    login(client, "carol@bluesky.example", bss=False)
    assert order.number in text_of(client.get("/reseller/approvals"))
    approved = client.post(
        f"/reseller/approvals/{order_id}/approve", data={"reason": "Within budget"}
    )
    assert approved.status_code == 303
    assert _order(session, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert _invoices(session, order_id) == 1


def test_the_demo_shows_offers_an_approval_and_a_schedule(client, demo, session):
    t = tenant(session)
    offers = session.scalars(select(Offer).where(Offer.tenant_id == t.id)).all()
    assert sorted(o.status.default_key for o in offers) == ["accepted", "in_progress"]
    waiting = session.scalars(
        select(Order)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(Order.tenant_id == t.id, OrderStatus.type == OrderStatusType.SCHEDULED)
    ).all()
    assert [o.scheduled_for for o in waiting] == [utcnow().date() + timedelta(days=1)]
    login(client, "carol@bluesky.example", bss=False)
    assert "Initech" in text_of(client.get("/reseller/approvals"))


def test_the_demos_scheduled_order_runs_with_the_cron_command_and_a_moved_clock(app, demo, session):
    t = tenant(session)
    scheduled = session.scalar(
        select(Order)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(Order.tenant_id == t.id, OrderStatus.type == OrderStatusType.SCHEDULED)
    )
    moved = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = app.test_cli_runner().invoke(args=["orders", "run-due", "--now", moved])
    assert f"executed 1 ({scheduled.number})" in result.output, result.output
    assert _order(session, scheduled.id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert _invoices(session, scheduled.id) == 1


def test_the_demos_accepted_offer_becomes_an_order(client, demo, session):
    t = tenant(session)
    accepted = next(
        o
        for o in session.scalars(select(Offer).where(Offer.tenant_id == t.id))
        if o.status.default_key == "accepted"
    )
    login(client, "operator@skyline.example", bss=True)
    response = client.post(f"/bss/offers/{accepted.id}/convert")
    assert response.status_code == 303
    order = session.scalar(select(Order).where(Order.offer_id == accepted.id))
    assert order.status.mandatory_key == "submitted"
    assert [i.unit_price for i in order.items] == [i.unit_price for i in accepted.items]
    page = client.get(f"/bss/orders/{order.id}")
    assert page.status_code == 200 and order.number in text_of(page)
