"""Billing changes (issue 17, point 3) at the service level: what an increase bills now on a
trial or an unbilled period, pending changes applied by the billing run on their day (with
their provisioning jobs), trials that end into the paid plan or expire, the trial notice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, select

from core.db import write_transaction
from core.models import (
    Notification,
    OutboxItem,
    ProvisioningTask,
    Subscription,
    SubscriptionAddOn,
    SubscriptionChange,
    User,
)
from core.rules import notifications as kinds
from core.rules.billing_periods import add_months
from core.services import notifications
from core.services import subscription_changes as changes
from tests.billing_changes_helpers import billed, subscription, today

M = Decimal
D = date


def sub_ns(**values):
    base = dict(
        start_date=D(2026, 10, 1),
        billing_cycle="monthly",
        commitment_months=0,
        is_trial=False,
        trial_ends_on=None,
        term_end=D(2026, 12, 1),
        next_billing_date=D(2026, 12, 1),
        unit_price=M("10.00"),
        quantity=10,
        addons=[],
    )
    return SimpleNamespace(**{**base, **values})


def test_now_charge_prorates_a_billed_period_and_says_what_follows():
    charge = changes.now_charge(sub_ns(), "licenses", M("30.00"), D(2026, 11, 12))
    assert (charge.amount, charge.start, charge.end, charge.reason) == (
        M("19.00"),
        D(2026, 11, 12),
        D(2026, 12, 1),
        "prorated",
    )
    assert charge.last_day == D(2026, 11, 30)
    assert charge.next_amount == M("130.00")  # 10 × €10 and the €30 added


def test_nothing_is_charged_now_during_a_trial_or_for_a_period_not_billed_yet():
    trial = sub_ns(is_trial=True, trial_ends_on=D(2026, 11, 20))
    charge = changes.now_charge(trial, "licenses", M("30.00"), D(2026, 11, 12))
    assert (charge.amount, charge.reason, charge.end) == (M("0.00"), "trial", D(2026, 11, 20))
    unbilled = sub_ns(next_billing_date=D(2026, 11, 1))  # the run has not billed November
    charge = changes.now_charge(unbilled, "licenses", M("30.00"), D(2026, 11, 12))
    assert (charge.amount, charge.reason) == (M("0.00"), "next")


def test_periods_the_run_already_invoiced_ahead_are_charged_whole_too():
    """A billing run dated ahead (``flask billing run --date`` the first of next month, run
    today) has invoiced December at the old quantity: licenses bought on 30 November are
    charged for their day of November and the whole of December, so December is never left
    unbilled for them; the next invoice (January) bills the new quantity."""
    ahead = sub_ns(next_billing_date=D(2027, 1, 1), term_end=D(2027, 1, 1))
    charge = changes.now_charge(ahead, "licenses", M("30.00"), D(2026, 11, 30))
    assert (charge.amount, charge.start, charge.end, charge.reason) == (
        M("31.00"),  # €1.00 for 30 Nov (1 of 30 days) + €30.00 for December
        D(2026, 11, 30),
        D(2027, 1, 1),
        "prorated",
    )
    assert charge.last_day == D(2026, 12, 31)


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _tasks(session, sub_id) -> list[tuple[str, bool]]:
    rows = session.execute(
        select(ProvisioningTask.action, OutboxItem.id)
        .outerjoin(
            OutboxItem,
            (OutboxItem.kind == "provisioning") & (OutboxItem.ref_id == ProvisioningTask.id),
        )
        .where(ProvisioningTask.subscription_id == sub_id)
        .order_by(ProvisioningTask.id)
    ).all()
    return [(action, outbox_id is not None) for action, outbox_id in rows]


def test_pending_changes_apply_on_their_day_once_with_their_provisioning_jobs(session, demo):
    alice = _user(session, "alice@acme.example")
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    day = today(session, sub.tenant_id)
    addon = session.scalar(
        select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
    )
    changes.schedule_change(
        session, sub.tenant_id, alice, sub.id, "reduce_licenses", quantity="7", today=day
    )
    changes.schedule_change(
        session,
        sub.tenant_id,
        alice,
        sub.id,
        "remove_addon",
        addon_id=str(addon.addon_id),
        today=day,
    )
    # the day before: nothing changes
    assert changes.apply_due_for_tenant(session, sub.tenant_id, period.end - timedelta(1)) == 0
    session.expire_all()
    assert session.get(Subscription, sub.id).quantity == 10
    with write_transaction(session):
        applied = changes.apply_due_changes(session, session.get(Subscription, sub.id), period.end)
    assert sorted(c.kind for c in applied) == ["reduce_licenses", "remove_addon"]
    session.expire_all()
    assert session.get(Subscription, sub.id).quantity == 7
    assert (
        session.scalar(select(func.count()).where(SubscriptionAddOn.subscription_id == sub.id)) == 0
    )
    assert _tasks(session, sub.id) == [("change_quantity", True), ("change_addon", True)]
    # a rerun finds nothing left to apply
    assert changes.apply_due_for_tenant(session, sub.tenant_id, period.end) == 0
    assert len(_tasks(session, sub.id)) == 2


def test_a_cancellation_ends_the_subscription_and_queues_a_cancel_job(session, demo):
    alice = _user(session, "alice@acme.example")
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    changes.schedule_change(
        session, sub.tenant_id, alice, sub.id, "cancel", today=today(session, sub.tenant_id)
    )
    assert changes.apply_due_for_tenant(session, sub.tenant_id, period.end) == 1
    session.expire_all()
    ended = session.get(Subscription, sub.id)
    assert (ended.status, ended.ended_on, ended.next_billing_date) == (
        "cancelled",
        period.end,
        None,
    )
    assert _tasks(session, sub.id) == [("cancel", True)]
    change = session.scalar(
        select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
    )
    assert change.status == "applied"


def test_a_trial_kept_becomes_paid_from_its_end_and_is_due_for_the_billing_run(session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    end = trial.trial_ends_on
    assert changes.end_trials(session, trial.tenant_id, end - timedelta(1)) == (0, 0)
    assert changes.end_trials(session, trial.tenant_id, end) == (1, 0)
    session.expire_all()
    paid = session.get(Subscription, trial.id)
    assert (paid.is_trial, paid.start_date, paid.next_billing_date) == (False, end, end)
    assert paid.unit_price == M("9.00")  # the plan's list price: the trial item cost nothing
    assert paid.term_end == add_months(end, 1)  # no commitment: the first period
    assert changes.end_trials(session, trial.tenant_id, end) == (0, 0)  # once


def test_the_trial_notice_goes_out_three_days_before_once_unless_turned_off(session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    end = trial.trial_ends_on
    assert changes.send_trial_notices(session, trial.tenant_id, end - timedelta(4)) == 0
    assert changes.send_trial_notices(session, trial.tenant_id, end - timedelta(3)) == 1
    assert changes.send_trial_notices(session, trial.tenant_id, end - timedelta(2)) == 0
    note = session.scalar(select(Notification).where(Notification.kind == kinds.TRIAL_ENDING))
    assert "Azure Backup" in note.subject and "paid plan" in note.body
    assert (
        session.scalar(
            select(func.count()).where(OutboxItem.kind == "email", OutboxItem.ref_id == note.id)
        )
        == 1
    )


def test_a_tenant_can_turn_the_trial_notice_off(session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    on = set(kinds.CONFIGURABLE) - {kinds.TRIAL_ENDING}
    notifications.save_settings(session, trial.tenant_id, on)
    changes.send_trial_notices(session, trial.tenant_id, trial.trial_ends_on - timedelta(1))
    assert session.scalar(select(func.count()).where(Notification.kind == kinds.TRIAL_ENDING)) == 0


def test_an_expired_trial_is_cancelled_at_the_vendor_through_the_queue(app, client, session, demo):
    from core.rules import provisioning as provisioning_rules
    from tests.conftest import login, text_of
    from webapp import tasks

    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    with write_transaction(session):
        session.get(Subscription, trial.id).trial_converts = False
    changes.end_trials(session, trial.tenant_id, trial.trial_ends_on)
    tasks.run_queued()
    session.expire_all()
    task = session.scalar(
        select(ProvisioningTask).where(ProvisioningTask.subscription_id == trial.id)
    )
    assert (task.action, task.order_id, task.connector) == ("cancel", None, "sandbox")
    assert task.status == provisioning_rules.ACTIVE  # the sandbox vendor cancelled it
    login(client, "admin@skyline.example")
    page = text_of(client.get("/bss/provisioning"))
    assert "Billing run (period end)" in page and "Acme Ltd" in page
