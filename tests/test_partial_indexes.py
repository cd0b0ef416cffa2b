"""Sub-orders, and the subscriptions an invoice suspended, are found through an index of the
rows that have one (issue 19, twelfth pass).

Almost every order is a primary one (no parent). ``ix_order_parent`` indexed them all, so
SQLite's statistics (ANALYZE) counted the primaries as one value shared by half the table:
"parent_order_id = ?" looked as unselective as the tenant, and the BSS order page's invoices
statement (the order's and its sub-orders') scanned the tenant's 200,000 orders through the
tenant's index: 44 ms of a 54 ms page at the benchmark's size. Indexing only the orders that
have a parent makes the statistics say what the column holds."""

from __future__ import annotations

from sqlalchemy import insert, inspect, select, text

from core.db import refresh_statistics, write_transaction
from core.models import Order, User
from tests.conftest import executed, login, sqlite_plan

# more primary orders than the demo's, so that the statistics describe a history
_PRIMARIES = 400


def _add_primary_orders(session, template: Order) -> None:
    columns = [c.key for c in Order.__table__.columns if c.key != "id"]
    row = {key: getattr(template, key) for key in columns}
    row.update(parent_order_id=None, idempotency_key=None, backorder_event_key=None)
    rows = [{**row, "number": f"HX{n:07d}"} for n in range(_PRIMARIES)]
    with write_transaction(session):
        session.execute(insert(Order), rows)


def test_the_order_pages_invoices_find_the_sub_orders_through_their_own_index(
    client, demo, session
):
    from webapp.extensions import db

    bind = session.get_bind()
    indexes = {i["name"]: i for i in inspect(bind).get_indexes("order")}
    assert "ix_order_parent" in indexes
    admin = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    order = session.scalars(
        select(Order).where(Order.tenant_id == admin.tenant_id).order_by(Order.id)
    ).first()
    order_id = order.id
    _add_primary_orders(session, order)
    session.commit()
    login(client, "admin@skyline.example", bss=True)
    with executed(db.engine, lambda s: "FROM invoice" in s and "parent_order_id" in s) as sent:
        assert client.get(f"/bss/orders/{order_id}").status_code == 200
    assert len(sent) == 1
    if bind.dialect.name != "sqlite":
        # PostgreSQL's statistics count NULLs apart; the index holds the sub-orders alone
        definition = session.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_order_parent'")
        )
        assert "WHERE (parent_order_id IS NOT NULL)" in definition, definition
        return
    refresh_statistics(session)
    statement, parameters = sent[0]
    plan = sqlite_plan(db.engine, statement, parameters)
    assert "ix_order_parent" in plan, plan
    assert "ix_order_tenant" not in plan, plan


def test_the_subscriptions_an_invoice_suspended_are_found_through_their_own_index(session, demo):
    """Issue 19, twelfth pass: an invoice's payments page, and every payment that settles an
    invoice, asked for the subscriptions the invoice suspended by a column no index held: a
    scan of every subscription ever sold (19 ms on SQLite at the benchmark's 190,000, growing
    with them). A partial index holds the suspended ones alone."""
    from core.services import dunning
    from webapp.extensions import db

    bind = session.get_bind()
    with executed(db.engine, lambda s: "suspended_invoice_id =" in s) as sent:
        assert dunning.suspended_by(session, 1) == []
    assert len(sent) == 1
    if bind.dialect.name != "sqlite":
        definition = session.scalar(
            text(
                "SELECT indexdef FROM pg_indexes"
                " WHERE indexname = 'ix_subscription_suspended_invoice'"
            )
        )
        assert definition is not None
        assert "WHERE (suspended_invoice_id IS NOT NULL)" in definition, definition
        return
    statement, parameters = sent[0]
    plan = sqlite_plan(db.engine, statement, parameters)
    assert "USING INDEX ix_subscription_suspended_invoice" in plan, plan
