"""Never twice (PRODUCT.md 6.3): concurrent executions of the same order, with real threads,
each with its own database session, on SQLite and PostgreSQL."""

import threading

from sqlalchemy import func, select

from core.models import Invoice, InvoiceLine, Order, OrderItem, Subscription
from core.services import execution, orders
from core.services.errors import Conflict, ValidationFailed
from tests.test_bss_support import manual_order, tenant, user

THREADS = 10


def _race(app, work):
    """Run ``work(session)`` in THREADS threads at once; return (successes, refusals, errors)."""
    from webapp.extensions import db

    barrier = threading.Barrier(THREADS)
    results = {"ok": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                work(db.session)
            except (Conflict, ValidationFailed):
                with lock:
                    results["refused"] += 1
            except Exception as error:  # anything else is a defect
                with lock:
                    results["errors"].append(repr(error))
            else:
                with lock:
                    results["ok"] += 1
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _ids(session):
    order = manual_order(session)
    return (
        order.id,
        order.items[0].id,
        tenant(session).id,
        user(session, "operator@skyline.example").id,
    )


def test_ten_concurrent_executions_of_an_order_produce_one_invoice(app, demo, session):
    order_id, item_id, tenant_id, user_id = _ids(session)
    session.remove()

    def work(s):
        from core.models import User

        orders.execute(s, tenant_id, order_id, s.get(User, user_id))

    results = _race(app, work)
    assert results["errors"] == []
    assert results["ok"] == 1
    assert results["refused"] == THREADS - 1
    from webapp.extensions import db

    s = db.session
    assert (
        s.scalar(select(func.count()).select_from(Invoice).where(Invoice.order_id == order_id)) == 1
    )
    item = s.get(OrderItem, item_id)
    assert item.executed_quantity == item.quantity == 5
    subscription = s.get(Subscription, item.subscription_id)
    assert subscription.quantity == 5
    assert s.get(Order, order_id).status.description == "Executed"


def test_concurrent_partial_executions_never_exceed_the_ordered_quantity(app, demo, session):
    order_id, item_id, tenant_id, user_id = _ids(session)
    session.remove()

    def work(s):
        # each thread executes 1 of the 5 licences: exactly five may succeed
        execution.execute_order(s, tenant_id, order_id, {item_id: 1}, actor_name="worker")

    results = _race(app, work)
    assert results["errors"] == []
    assert results["ok"] == 5
    assert results["refused"] == THREADS - 5
    from webapp.extensions import db

    s = db.session
    item = s.get(OrderItem, item_id)
    assert item.executed_quantity == 5
    subs = s.scalars(select(Order).where(Order.parent_order_id == order_id)).all()
    assert len(subs) == 5
    assert len({o.number for o in subs}) == 5
    invoiced = s.scalar(
        select(func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.order_id.in_([o.id for o in subs]))
    )
    assert invoiced == 5
    assert s.get(Subscription, item.subscription_id).quantity == 5
    assert s.get(Order, order_id).status.description == "Executed"


def test_concurrent_partial_executions_of_two_each_stop_at_the_ordered_quantity(app, demo, session):
    order_id, item_id, tenant_id, _ = _ids(session)
    session.remove()

    def work(s):
        execution.execute_order(s, tenant_id, order_id, {item_id: 2})

    results = _race(app, work)
    assert results["errors"] == []
    assert results["ok"] == 2  # 2 + 2; a third 2 would exceed 5
    from webapp.extensions import db

    assert db.session.get(OrderItem, item_id).executed_quantity == 4
    assert db.session.get(Order, order_id).status.description == "Submitted"
