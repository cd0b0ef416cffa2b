"""The scheduled-order worker: due orders are claimed, re-priced, re-checked and executed once;
a failed check sends them back to Submitted with the reason; crashes and races never execute
an order twice. The clock is a parameter (``now``)."""

import re
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.models import (
    Invoice,
    Notification,
    Order,
    OrderEvent,
    OrderHold,
    PlanPrice,
    Subscription,
)
from core.rules.statuses import OrderStatusType
from core.services import scheduling
from core.services.errors import Conflict, NotFound, ValidationFailed
from tests.helpers_issue5 import (
    account,
    park_demo_schedules,
    product,
    scheduled_order,
    tenant,
)

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TOMORROW_MORNING = NOW + timedelta(days=1)


@pytest.fixture(autouse=True)
def _only_our_schedules(request):
    if "demo" in request.fixturenames:
        request.getfixturevalue("demo")  # load it first, then park its schedule
        park_demo_schedules(request.getfixturevalue("session"))


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _order(session, order_id) -> Order:
    session.expire_all()
    return session.get(Order, order_id)


def test_an_order_scheduled_for_tomorrow_waits_today_and_executes_tomorrow_once(session, demo):
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1), price="11.70")

    today_run = scheduling.run_due(session, now=NOW)
    assert today_run.executed == []
    assert _order(session, order_id).status.type == OrderStatusType.SCHEDULED

    run = scheduling.run_due(session, now=TOMORROW_MORNING)
    order = _order(session, order_id)
    assert run.executed == [order.number]
    assert order.status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert order.executed_at == TOMORROW_MORNING
    assert _count(session, Invoice, Invoice.order_id == order_id) == 1
    assert _count(session, Subscription, Subscription.order_id == order_id) == 1
    assert all(h.released_at is not None for h in order.holds)
    # the history shows Scheduled -> Executing -> Executed
    path = [
        e.to_status.type
        for e in session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id == order_id, OrderEvent.kind == "status")
            .order_by(OrderEvent.id)
        )
    ]
    assert path == ["scheduled", "executing", "automatic_execute"]

    again = scheduling.run_due(session, now=TOMORROW_MORNING + timedelta(hours=1))
    assert again.executed == []
    assert _count(session, Invoice, Invoice.order_id == order_id) == 1


def test_items_are_re_priced_from_the_current_price_list_at_execution(session, demo):
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1), price="11.70")
    plan = product(session, "M365-STD").plans[0]
    acme = account(session, "Acme Ltd")
    price = session.scalar(
        select(PlanPrice).where(
            PlanPrice.plan_id == plan.id, PlanPrice.price_list_id == acme.price_list_id
        )
    )
    price.price = Decimal("12.90")
    session.commit()

    scheduling.run_due(session, now=TOMORROW_MORNING)
    order = _order(session, order_id)
    assert order.items[0].unit_price == Decimal("12.90")
    assert order.total == Decimal("25.80")
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert invoice.net_total == Decimal("25.80")  # issue 17: before VAT
    notes = session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order_id))
    assert "Re-priced at execution: total €23.40 → €25.80" in list(notes)


def test_exceeding_the_credit_limit_at_execution_returns_the_order_to_submitted(session, demo):
    # Globex: on account, credit limit 1,500, and a partially executed order using 900
    order_id = scheduled_order(
        session, "Globex Corp", TODAY + timedelta(days=1), code="M365-PREM", quantity=30
    )
    run = scheduling.run_due(session, now=TOMORROW_MORNING)
    order = _order(session, order_id)
    assert run.returned == [order.number]
    assert order.status.type == OrderStatusType.IN_PROGRESS
    assert order.status.storefront_type == "viewable"
    holds = {h.reason: h for h in order.holds}
    assert holds["credit_limit"].released_at is None
    assert "exceeds the available credit" in holds["credit_limit"].detail
    # the money as every page and the checkout's own hold write it ("€1,234.50")
    assert re.search(r"by €[\d,]+\.\d\d\.$", holds["credit_limit"].detail)
    assert holds["scheduled"].released_at is not None
    assert _count(session, Invoice, Invoice.order_id == order_id) == 0
    notice = session.scalar(select(Notification).where(Notification.order_id == order_id))
    assert notice.recipient == "accounts@globex.example"
    assert order.number in notice.subject


def test_a_declined_card_at_execution_returns_the_order_with_the_reason(session, demo):
    order_id = scheduled_order(
        session, "Acme Ltd", TODAY + timedelta(days=1), card_token="tok_sandbox_0002_x"
    )
    scheduling.run_due(session, now=TOMORROW_MORNING)
    order = _order(session, order_id)
    assert order.status.type == OrderStatusType.IN_PROGRESS
    failed = [h for h in order.holds if h.reason == "payment_failed"]
    assert failed and "declined" in failed[0].detail
    assert _count(session, Invoice, Invoice.order_id == order_id) == 0
    assert _count(session, Notification, Notification.order_id == order_id) == 1


def test_the_due_date_is_judged_in_the_customers_time_zone(session, demo):
    acme = account(session, "Acme Ltd")
    acme.timezone = "Pacific/Kiritimati"  # UTC+14: its "tomorrow" starts at 10:00 UTC today
    session.commit()
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    assert scheduling.run_due(session, now=NOW).executed == []  # 23:00 there
    run = scheduling.run_due(session, now=NOW + timedelta(hours=2))
    assert run.errors == [] and run.skipped == 0, run
    assert run.executed == [_order(session, order_id).number]


def test_a_worker_that_crashes_after_claiming_leaves_the_order_for_a_later_run(
    session, demo, monkeypatch
):
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(scheduling, "execute_claimed", crash)
    first = scheduling.run_due(session, now=TOMORROW_MORNING)
    assert first.errors == [order_id]
    assert _order(session, order_id).status.type == OrderStatusType.EXECUTING
    monkeypatch.undo()

    # within the lease nobody touches it (the first worker might still be running)
    within = scheduling.run_due(session, now=TOMORROW_MORNING + timedelta(minutes=5))
    assert within.executed == [] and within.skipped == 0
    assert _order(session, order_id).status.type == OrderStatusType.EXECUTING

    later = scheduling.run_due(session, now=TOMORROW_MORNING + timedelta(minutes=11))
    assert later.executed == [_order(session, order_id).number]
    assert _order(session, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert _count(session, Invoice, Invoice.order_id == order_id) == 1
    notes = session.scalars(select(OrderEvent.note).where(OrderEvent.order_id == order_id)).all()
    assert any("interrupted" in (n or "") for n in notes)


def test_a_crash_inside_the_execution_rolls_back_and_a_later_run_finishes_once(
    session, demo, monkeypatch
):
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    real = scheduling.apply_execution

    def explode(*args, **kwargs):
        real(*args, **kwargs)  # the invoice is written ... then the process dies
        raise RuntimeError("power cut")

    from core.services import checkout

    monkeypatch.setattr(scheduling, "apply_execution", explode)
    monkeypatch.setattr(checkout, "apply_execution", explode)  # a card order's paid execution
    scheduling.run_due(session, now=TOMORROW_MORNING)
    assert _count(session, Invoice, Invoice.order_id == order_id) == 0
    monkeypatch.undo()
    scheduling.run_due(session, now=TOMORROW_MORNING + timedelta(minutes=15))
    assert _order(session, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
    assert _count(session, Invoice, Invoice.order_id == order_id) == 1


def test_two_workers_running_at_once_execute_each_due_order_once(app, session, demo):
    from webapp.extensions import db

    order_ids = [
        scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1), quantity=q)
        for q in (1, 2, 3, 4)
    ]
    session.remove()
    barrier = threading.Barrier(2)
    results, failures = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(scheduling.run_due(db.session, now=TOMORROW_MORNING))
            except Exception as error:  # pragma: no cover - reported below
                failures.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    executed = [n for r in results for n in r.executed]
    assert len(executed) == len(set(executed)) == 4
    for order_id in order_ids:
        assert _order(session, order_id).status.type == OrderStatusType.AUTOMATIC_EXECUTE
        assert _count(session, Invoice, Invoice.order_id == order_id) == 1


# --- the customer's side ---------------------------------------------------------------------


def test_the_customer_reschedules_within_the_window_and_the_hold_follows(session, demo):
    acme = account(session, "Acme Ltd")
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    new_day = TODAY + timedelta(days=10)
    scheduling.reschedule(session, tenant(session).id, acme.id, order_id, new_day, now=NOW)
    order = _order(session, order_id)
    assert order.scheduled_for == new_day
    assert [h.detail for h in order.holds if h.reason == "scheduled"] == [new_day.isoformat()]
    assert scheduling.run_due(session, now=TOMORROW_MORNING).executed == []


@pytest.mark.parametrize("offset", [0, -1, 61])
def test_a_date_outside_the_window_is_refused_and_changes_nothing(session, demo, offset):
    acme = account(session, "Acme Ltd")
    day = TODAY + timedelta(days=1)
    order_id = scheduled_order(session, "Acme Ltd", day)
    with pytest.raises(ValidationFailed) as error:
        scheduling.reschedule(
            session, tenant(session).id, acme.id, order_id, TODAY + timedelta(days=offset), now=NOW
        )
    assert "tomorrow" in error.value.message
    assert _order(session, order_id).scheduled_for == day


def test_the_customer_cancels_before_the_date_but_not_on_it(session, demo):
    acme = account(session, "Acme Ltd")
    t = tenant(session)
    first = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    scheduling.cancel_scheduled(session, t.id, acme.id, first, now=NOW)
    order = _order(session, first)
    assert order.status.type == OrderStatusType.CANCELLED
    assert all(h.released_at for h in order.holds)
    assert scheduling.run_due(session, now=TOMORROW_MORNING).executed == []

    second = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    with pytest.raises(Conflict):
        scheduling.cancel_scheduled(session, t.id, acme.id, second, now=TOMORROW_MORNING)


def test_another_customers_scheduled_order_is_not_found(session, demo):
    globex = account(session, "Globex Corp")
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    with pytest.raises(NotFound):
        scheduling.cancel_scheduled(session, tenant(session).id, globex.id, order_id, now=NOW)
    with pytest.raises(NotFound):
        scheduling.reschedule(
            session, tenant(session).id, globex.id, order_id, TODAY + timedelta(days=3), now=NOW
        )
    assert _count(session, OrderHold, OrderHold.order_id == order_id) == 1


# --- the commands ----------------------------------------------------------------------------


def test_the_cron_command_runs_due_orders_with_a_moved_clock(app, session, demo):
    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1))
    runner = app.test_cli_runner()
    today = runner.invoke(args=["orders", "run-due", "--now", "2026-11-22T09:00:00Z"])
    assert today.exit_code == 0 and "executed 0" in today.output
    tomorrow = runner.invoke(args=["orders", "run-due", "--now", "2026-11-23T09:00:00Z"])
    number = _order(session, order_id).number
    assert tomorrow.exit_code == 0, tomorrow.output
    assert f"executed 1 ({number})" in tomorrow.output
    again = runner.invoke(args=["orders", "run-due", "--now", "2026-11-23T10:00:00Z"])
    assert again.exit_code == 0 and "executed 0" in again.output
    assert _count(session, Invoice, Invoice.order_id == order_id) == 1


def test_the_command_refuses_a_malformed_clock(app, demo):
    result = app.test_cli_runner().invoke(args=["orders", "run-due", "--now", "tomorrow"])
    assert result.exit_code != 0 and "ISO" in result.output


def test_a_scheduled_card_order_is_invoiced_paid_with_its_payment_and_its_card_kept(session, demo):
    """A tester's scheduled card order: the invoice read "Paid … Still owed €612.54 … No
    payments yet", the e-mail asked to pay it by its due date and the PDF said "Paid on" the
    day of the run's wall clock. As at checkout: the payment is the invoice's, nothing is owed,
    the e-mail does not ask for money, and the card is kept for the renewals."""
    from core.models import AccountCard, Payment
    from core.services import invoice_payment

    order_id = scheduled_order(session, "Acme Ltd", TODAY + timedelta(days=1), price="11.70")
    scheduling.run_due(session, now=TOMORROW_MORNING)
    session.expire_all()
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order_id))
    assert invoice.status == "paid"
    payment = session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert payment.status == "succeeded" and payment.invoice_id == invoice.id
    assert invoice_payment.card_payments(session, invoice.id) == [payment]
    assert invoice.paid_at == TOMORROW_MORNING
    mail = session.scalar(
        select(Notification).where(Notification.order_id == order_id).order_by(Notification.id)
    )
    assert mail is not None and "due" not in mail.body and "pay the invoice" not in mail.body
    card = session.scalar(
        select(AccountCard).where(AccountCard.account_id == account(session, "Acme Ltd").id)
    )
    assert card is not None and card.token == "tok_sandbox_4242_test"
