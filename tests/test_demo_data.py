"""The demo data set agrees with itself: what a tester reads on one page is what another says."""

from sqlalchemy import func, select

from core.models import Account, Order, OrderEvent


def test_every_placed_demo_orders_history_begins_when_the_order_is_dated(session, demo):
    first = (
        select(OrderEvent.order_id, func.min(OrderEvent.id).label("event_id"))
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    rows = session.execute(
        select(Order.number, Order.order_date, OrderEvent.at)
        .join(first, first.c.order_id == Order.id)
        .join(OrderEvent, OrderEvent.id == first.c.event_id)
        .where(Order.parent_order_id.is_(None))  # placed orders (a sub-order is made later)
    ).all()
    assert rows
    assert [(n, d) for n, d, at in rows if at != d] == []


def test_demo_orders_bill_to_their_accounts_country(session, demo):
    """An Irish customer's order is not billed to an address in Greece at Irish VAT."""
    rows = session.execute(
        select(Order.number, Order.billing_address, Account.country)
        .join(Account, Account.id == Order.account_id)
        .where(Order.billing_address.is_not(None))
    ).all()
    names = {"IE": "Ireland", "DE": "Germany", "FR": "France"}
    wrong = [(n, a) for n, a, country in rows if names[country] not in a]
    assert wrong == []
