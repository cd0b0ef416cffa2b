"""Payment and dunning of renewal invoices (issue 17, point 5) at the service level, on both
engines, with the worker's jobs run: the charge is queued (never made inside the issuing
transaction), a decline starts dunning with a reminder, retries follow the schedule, day 14
suspends through the connector, any payment resumes; a gateway timeout is retried with the
same key and charges once; on-account invoices wait for a recorded payment (partial, double
submit); the open balance counts what is still owed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

import pytest
from sqlalchemy import func, select

from core.db import utcnow, write_transaction
from core.models import (
    AccountCard,
    AuditEntry,
    DunningCase,
    Invoice,
    Notification,
    OutboxItem,
    Payment,
    ProvisioningTask,
    Subscription,
)
from core.services import billing, dunning, invoice_payment
from core.services import payments as pay
from core.services.errors import Conflict, ValidationFailed
from tests.dunning_helpers import (
    account,
    card_form,
    collect,
    fresh_gateway,
    renewal_invoice,
    store_card,
    user,
)
from webapp import tasks

D = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _gateway(monkeypatch):
    return fresh_gateway(monkeypatch)


def count(session, model, *where) -> int:
    value = session.scalar(select(func.count()).select_from(model).where(*where))
    session.rollback()
    return value


def case_row(session, invoice_id) -> DunningCase:
    session.expire_all()
    row = session.scalar(select(DunningCase).where(DunningCase.invoice_id == invoice_id))
    session.rollback()
    return row


def invoice(session, invoice_id) -> Invoice:
    session.expire_all()
    row = session.get(Invoice, invoice_id)
    session.rollback()
    return row


def subs_of(session, name) -> list[Subscription]:
    session.expire_all()
    rows = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.account_id == account(session, name).id)
            .order_by(Subscription.id)
        )
    )
    session.rollback()
    return rows


def mails(session, kind) -> list[Notification]:
    session.expire_all()
    rows = list(session.scalars(select(Notification).where(Notification.kind == kind)))
    session.rollback()
    return rows


def test_a_declined_renewal_charge_starts_dunning_with_a_reminder(demo, session):
    store_card(session, "Acme Ltd", "declined")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    assert collect(session, invoice_id) == invoice_payment.CHARGE_QUEUED
    # queued, not charged: one pending attempt with the invoice's key and its outbox item
    payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice_id))
    assert (payment.status, payment.idempotency_key) == (
        "pending",
        f"invoice-{invoice_id}-attempt-1",
    )
    assert payment.order_id is None and payment.amount == Decimal("121.00")
    assert count(session, OutboxItem, OutboxItem.kind == "invoice_charge") == 1
    session.rollback()
    assert case_row(session, invoice_id) is None

    tasks.run_queued()
    session.expire_all()
    assert session.get(Payment, payment.id).status == "declined"
    session.rollback()
    row = case_row(session, invoice_id)
    assert (row.status, row.started_on, row.failed_attempts) == ("open", D, 1)
    assert row.next_action_on == D + timedelta(days=1)
    assert row.last_error == "Your card was declined."
    [reminder] = mails(session, "invoice_payment_failed")
    assert reminder.recipient == "billing@acme.example"
    assert "2 Dec 2026" in reminder.body and "15 Dec 2026" in reminder.body
    assert invoice(session, invoice_id).status == "open"


def test_collect_twice_queues_one_charge(demo, session):
    store_card(session, "Acme Ltd", "ok")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    assert collect(session, invoice_id) == invoice_payment.CHARGE_QUEUED
    assert collect(session, invoice_id) == invoice_payment.ALREADY
    tasks.run_queued()
    assert collect(session, invoice_id) == invoice_payment.ALREADY
    assert count(session, Payment, Payment.invoice_id == invoice_id) == 1
    assert invoice(session, invoice_id).status == "paid"
    assert case_row(session, invoice_id) is None


def test_on_account_invoices_stay_open_and_no_card_starts_dunning(demo, session):
    globex = renewal_invoice(session, "Globex Corp", D)
    assert collect(session, globex) == invoice_payment.LEFT_OPEN
    assert count(session, Payment, Payment.invoice_id == globex) == 0
    assert case_row(session, globex) is None

    initech = renewal_invoice(session, "Initech", D)  # a card account without a saved card
    assert collect(session, initech) == invoice_payment.NO_CARD
    row = case_row(session, initech)
    assert (row.status, row.failed_attempts, row.last_error) == ("open", 1, "No card on file.")
    assert len(mails(session, "invoice_payment_failed")) == 1
    # day 1: still no card, counted as a failed attempt without a charge
    summary = dunning.run(session, D + timedelta(days=1))
    assert (summary.retries, summary.no_card) == (0, 1)
    assert case_row(session, initech).failed_attempts == 2


def test_a_retry_that_succeeds_pays_and_ends_dunning(demo, session):
    store_card(session, "Acme Ltd", "declined")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    tasks.run_queued()
    assert dunning.run(session, D).retries == 0  # day 0: nothing due yet
    store_card(session, "Acme Ltd", "ok")  # the customer updated the card
    summary = dunning.run(session, D + timedelta(days=1))
    assert summary.retries == 1
    tasks.run_queued()
    assert invoice(session, invoice_id).status == "paid"
    row = case_row(session, invoice_id)
    assert (row.status, row.resolved_on) == ("resolved", D + timedelta(days=1))
    keys = session.scalars(
        select(Payment.idempotency_key).where(Payment.invoice_id == invoice_id).order_by(Payment.id)
    ).all()
    assert keys == [f"invoice-{invoice_id}-attempt-1", f"invoice-{invoice_id}-attempt-2"]
    session.rollback()
    assert dunning.run(session, D + timedelta(days=3)).retries == 0  # nothing more


def test_dunning_walks_to_suspension_and_paying_resumes(demo, session):
    store_card(session, "Acme Ltd", "declined")
    active_before = [s.id for s in subs_of(session, "Acme Ltd") if s.status == "active"]
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    tasks.run_queued()
    for day in (1, 3, 7):
        assert dunning.run(session, D + timedelta(days=day)).retries == 1
        tasks.run_queued()
        assert case_row(session, invoice_id).status == "open"
    assert dunning.run(session, D + timedelta(days=10)).retries == 0  # no step on day 10
    row = case_row(session, invoice_id)
    assert (row.failed_attempts, row.next_action_on) == (4, D + timedelta(days=14))
    assert len(mails(session, "invoice_payment_failed")) == 4

    summary = dunning.run(session, D + timedelta(days=14))
    assert summary.suspended == 1
    suspended = [s for s in subs_of(session, "Acme Ltd") if s.id in active_before]
    assert {s.status for s in suspended} == {"suspended"}
    assert {s.suspended_invoice_id for s in suspended} == {invoice_id}
    tasks_ = session.scalars(
        select(ProvisioningTask).where(ProvisioningTask.action == "suspend")
    ).all()
    assert sorted(t.subscription_id for t in tasks_) == sorted(active_before)
    session.rollback()
    tasks.run_queued()  # the connectors are called (suspend)
    session.expire_all()
    states = set(
        session.scalars(select(ProvisioningTask.status).where(ProvisioningTask.action == "suspend"))
    )
    session.rollback()
    assert states <= {"active", "waiting"} and states
    assert len(mails(session, "subscriptions_suspended")) == 1
    assert case_row(session, invoice_id).status == "suspended"
    assert dunning.run(session, D + timedelta(days=15)).suspended == 0  # once

    # the customer pays from /invoices with another card: paid, resumed, card saved
    alice = user(session, "alice@acme.example")
    state = invoice_payment.pay_state(session, invoice(session, invoice_id))
    session.rollback()
    result = invoice_payment.pay_invoice(
        session,
        alice.tenant_id,
        alice,
        invoice_id,
        card=card_form(pay.TEST_CARD_SUCCEEDS),
        attempt=state.attempt,
    )
    session.rollback()
    assert result.outcome == "paid"
    assert invoice(session, invoice_id).status == "paid"
    assert {s.status for s in subs_of(session, "Acme Ltd") if s.id in active_before} == {"active"}
    assert count(session, ProvisioningTask, ProvisioningTask.action == "resume") == len(
        active_before
    )
    assert len(mails(session, "subscriptions_resumed")) == 1
    assert case_row(session, invoice_id).status == "resolved"
    saved = session.scalar(select(AccountCard).where(AccountCard.account_id == alice.account_id))
    assert saved.last4 == "4242"
    session.rollback()


def test_a_late_pass_catches_up_retrying_once_and_suspending(demo, session):
    store_card(session, "Acme Ltd", "declined")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    tasks.run_queued()
    summary = dunning.run(session, D + timedelta(days=14))
    assert (summary.retries, summary.suspended) == (1, 1)
    tasks.run_queued()
    row = case_row(session, invoice_id)
    assert (row.status, row.steps_done, row.failed_attempts) == ("suspended", 4, 2)


class FlakyGateway(pay.SandboxGateway):
    """Times out ``failures`` times, then answers like the sandbox."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures
        self.calls = 0

    def charge(self, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise TimeoutError("the gateway did not answer in 10 s")
        return super().charge(**kwargs)


def _pending_item(session, invoice_id, attempts, max_attempts=8):
    payment = session.scalar(select(Payment).where(Payment.invoice_id == invoice_id))
    session.rollback()
    return NS(ref_id=payment.id, attempts=attempts, max_attempts=max_attempts), payment.id


def test_a_gateway_timeout_is_retried_with_the_same_key_and_charges_once(demo, session):
    store_card(session, "Acme Ltd", "ok")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    gateway = FlakyGateway(failures=1)
    item, payment_id = _pending_item(session, invoice_id, attempts=1)
    with pytest.raises(TimeoutError):
        invoice_payment.charge_job(session, item, gateway)
    session.rollback()
    assert session.get(Payment, payment_id).status == "pending"  # nothing decided yet
    session.rollback()
    item.attempts = 2
    assert invoice_payment.charge_job(session, item, gateway) == "succeeded"
    assert invoice_payment.charge_job(session, item, gateway) == "succeeded"  # a repeat
    assert gateway.charges == 1 and gateway.calls == 2
    assert invoice(session, invoice_id).status == "paid"


def test_a_gateway_that_never_answers_fails_the_attempt_on_the_last_try(demo, session):
    store_card(session, "Acme Ltd", "ok")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    item, payment_id = _pending_item(session, invoice_id, attempts=8)
    assert invoice_payment.charge_job(session, item, FlakyGateway(failures=99)) == "error"
    row = case_row(session, invoice_id)
    assert row.status == "open" and "did not answer" in row.last_error


def test_pay_now_twice_with_the_same_attempt_charges_once(demo, session):
    store_card(session, "Acme Ltd", "declined")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    tasks.run_queued()
    alice = user(session, "alice@acme.example")
    gateway = pay.SandboxGateway()
    args = dict(card=card_form(pay.TEST_CARD_DECLINED), attempt=2, gateway=gateway)
    first = invoice_payment.pay_invoice(session, alice.tenant_id, alice, invoice_id, **args)
    again = invoice_payment.pay_invoice(session, alice.tenant_id, alice, invoice_id, **args)
    assert first.outcome == again.outcome == "failed" and gateway.charges == 1
    # the customer's own failed try is told on the page: not another dunning reminder
    assert case_row(session, invoice_id).failed_attempts == 1
    with pytest.raises(Conflict):  # an old page (attempt 2 again after 3 exists) is refused
        ok = dict(card=card_form(pay.TEST_CARD_SUCCEEDS), gateway=gateway)
        invoice_payment.pay_invoice(session, alice.tenant_id, alice, invoice_id, attempt=4, **ok)
    session.rollback()
    paid = invoice_payment.pay_invoice(session, alice.tenant_id, alice, invoice_id, attempt=3, **ok)
    assert paid.outcome == "paid" and gateway.charges == 2
    with pytest.raises(Conflict):
        invoice_payment.pay_invoice(session, alice.tenant_id, alice, invoice_id, attempt=4, **ok)
    session.rollback()
    bob = user(session, "bob@globex.example")
    with pytest.raises(Exception) as refused:  # another account's invoice does not exist
        invoice_payment.pay_invoice(session, bob.tenant_id, bob, invoice_id, attempt=4, **ok)
    assert getattr(refused.value, "http_status", None) == 404
    session.rollback()


def _record(session, invoice_id, amount, nonce, reference="BANK-1", received_on=None):
    admin = user(session, "admin@skyline.example")
    received_on = received_on or utcnow().date().isoformat()
    result = invoice_payment.record_payment(
        session,
        admin.tenant_id,
        admin,
        invoice_id,
        amount=amount,
        received_on=received_on,
        reference=reference,
        nonce=nonce,
    )
    session.rollback()
    return result


def test_recorded_payments_partial_double_submit_and_open_balance(demo, session):
    globex = account(session, "Globex Corp")
    tenant_id, account_id = globex.tenant_id, globex.id
    session.rollback()
    before = billing.open_balance(session, tenant_id, account_id)
    session.rollback()
    invoice_id = renewal_invoice(session, "Globex Corp", D, Decimal("121.00"))
    assert billing.open_balance(session, tenant_id, account_id) == before + Decimal("121.00")
    session.rollback()

    _record(session, invoice_id, "21.00", "nonce0001")
    _record(session, invoice_id, "21.00", "nonce0001")  # the same form submitted twice
    assert count(session, Payment, Payment.invoice_id == invoice_id) == 1
    assert invoice(session, invoice_id).status == "open"
    assert billing.open_balance(session, tenant_id, account_id) == before + Decimal("100.00")
    session.rollback()

    for bad, field in (("0", "amount"), ("abc", "amount"), ("100.01", "amount")):
        with pytest.raises(ValidationFailed) as error:
            _record(session, invoice_id, bad, "nonce0002")
        assert field in error.value.errors
        session.rollback()
    with pytest.raises(ValidationFailed) as error:
        _record(session, invoice_id, "10", "nonce0002", received_on="2999-01-01")
    assert "received_on" in error.value.errors
    session.rollback()
    with pytest.raises(ValidationFailed) as error:
        _record(session, invoice_id, "10", "nonce0002", reference=" ")
    assert "reference" in error.value.errors
    session.rollback()
    assert count(session, Payment, Payment.invoice_id == invoice_id) == 1  # nothing written

    # a credit note reduces what is owed
    with write_transaction(session):
        original = session.get(Invoice, invoice_id)
        session.add(
            Invoice(
                tenant_id=tenant_id,
                account_id=account_id,
                number="CN-T1",
                total=Decimal("40.00"),
                kind="credit_note",
                status="open",
                credit_note_for_id=invoice_id,
                issue_date=original.issue_date,
                due_date=original.issue_date,
            )
        )
    session.rollback()
    assert billing.open_balance(session, tenant_id, account_id) == before + Decimal("60.00")
    session.rollback()
    payment, _ = _record(session, invoice_id, "60.00", "nonce0003")
    assert payment.recorded_by == "Sam Admin <admin@skyline.example>"
    assert invoice(session, invoice_id).status == "paid"
    assert billing.open_balance(session, tenant_id, account_id) == before
    session.rollback()
    with pytest.raises(Conflict):
        _record(session, invoice_id, "1.00", "nonce0004")
    session.rollback()
    audits = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity == "invoice", AuditEntry.entity_id == invoice_id
        )
    ).all()
    session.rollback()
    assert audits == ["payment_recorded", "payment_recorded"]


def test_a_recorded_payment_resumes_a_suspended_invoice(demo, session):
    store_card(session, "Acme Ltd", "declined")
    invoice_id = renewal_invoice(session, "Acme Ltd", D)
    collect(session, invoice_id)
    tasks.run_queued()
    dunning.run(session, D + timedelta(days=14))
    tasks.run_queued()
    assert case_row(session, invoice_id).status == "suspended"
    _record(session, invoice_id, "121.00", "nonce0100")
    assert case_row(session, invoice_id).status == "resolved"
    assert "suspended" not in {s.status for s in subs_of(session, "Acme Ltd")}


def test_the_overdue_list_shows_stage_and_next_action(demo, session):
    store_card(session, "Acme Ltd", "declined")
    acme = renewal_invoice(session, "Acme Ltd", D)
    collect(session, acme)
    tasks.run_queued()
    globex = renewal_invoice(session, "Globex Corp", D)
    tenant_id = account(session, "Acme Ltd").tenant_id
    session.rollback()
    rows = dunning.overdue(session, tenant_id, D + timedelta(days=2))
    by_id = {r.invoice_id: r for r in rows}
    assert globex not in by_id  # not yet due, not in dunning
    assert by_id[acme].next_action == "Retry the card on 2 Dec 2026"
    rows = dunning.overdue(session, tenant_id, D + timedelta(days=20))
    by_id = {r.invoice_id: r for r in rows}
    assert by_id[globex].days_overdue == 6
    assert by_id[globex].stage == "Awaiting payment (on account)"
    assert by_id[acme].owed == Decimal("121.00")


def test_a_batch_is_collected_in_one_go_as_each_invoice_would_be(demo, session, count_queries):
    store_card(session, "Acme Ltd", "ok")
    acme = renewal_invoice(session, "Acme Ltd", D)
    initech = renewal_invoice(session, "Initech", D)  # a card account without a saved card
    globex = renewal_invoice(session, "Globex Corp", D)  # on account
    with write_transaction(session):  # the reminder goes to the account's first user
        account(session, "Initech").email = None
    with count_queries() as queries:
        outcomes = invoice_payment.collect_many(session, [acme, initech, globex])
    session.rollback()
    assert outcomes == {
        acme: invoice_payment.CHARGE_QUEUED,
        initech: invoice_payment.NO_CARD,
        globex: invoice_payment.LEFT_OPEN,
    }
    # a constant number of statements, whatever the batch's size: the methods, the invoices
    # locked, what was started, what is owed, the cards, the payments and their outbox items,
    # the cases, the reminders' addresses (account, first user), settings, notifications and
    # their outbox items (the outbox items' ids come from their INSERT since issue 19: 17 -> 15)
    assert queries.count == 15
    session.rollback()
    payment = session.scalar(select(Payment).where(Payment.invoice_id == acme))
    assert (payment.status, payment.idempotency_key, payment.amount, payment.value_date) == (
        "pending",
        f"invoice-{acme}-attempt-1",
        Decimal("121.00"),
        D,
    )
    assert count(session, OutboxItem, OutboxItem.kind == "invoice_charge") == 1
    row = case_row(session, initech)
    assert (row.status, row.started_on, row.failed_attempts, row.last_error) == (
        "open",
        D,
        1,
        "No card on file.",
    )
    assert row.next_action_on == D + timedelta(days=1)
    [reminder] = mails(session, "invoice_payment_failed")
    assert reminder.recipient == "dave@initech.example"
    assert "2 Dec 2026" in reminder.body and "15 Dec 2026" in reminder.body
    assert count(session, OutboxItem, OutboxItem.kind == "email", OutboxItem.ref_id == reminder.id)
    assert case_row(session, acme) is None and case_row(session, globex) is None
    # a second call (a rerun after a crash) queues nothing more
    assert invoice_payment.collect_many(session, [acme, initech, globex]) == {
        acme: invoice_payment.ALREADY,
        initech: invoice_payment.ALREADY,
        globex: invoice_payment.LEFT_OPEN,
    }
    session.rollback()
    assert count(session, Payment, Payment.invoice_id.in_([acme, initech, globex])) == 1
    assert len(mails(session, "invoice_payment_failed")) == 1
    tasks.run_queued()
    assert invoice(session, acme).status == "paid"
