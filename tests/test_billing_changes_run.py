"""The billing run and billing changes (issue 17, point 3): what customers scheduled applies on
its day before the next period is billed; a cancellation is not billed again and is cancelled
at the vendor; a trial that continues is billed from its end, with its notice before; licenses
bought mid-period are billed at the new quantity from the next period."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core.models import (
    BillingCharge,
    InvoiceLine,
    Notification,
    ProvisioningTask,
    Subscription,
    SubscriptionChange,
    User,
)
from core.rules import notifications as kinds
from core.services import billing_run
from core.services import subscription_changes as changes
from tests.billing_changes_helpers import billed, subscription, today
from tests.conftest import login
from tests.test_billing_changes_web import checkout_basket


def _user(session, email) -> User:
    return session.scalar(select(User).where(User.email == email))


def _lines(session, sub_id, period_start):
    return session.scalars(
        select(InvoiceLine).where(
            InvoiceLine.subscription_id == sub_id, InvoiceLine.period_start == period_start
        )
    ).all()


def test_a_scheduled_decrease_applies_before_the_next_period_is_billed(session, demo):
    alice = _user(session, "alice@acme.example")
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    tenant_id, sub_id = sub.tenant_id, sub.id
    changes.schedule_change(
        session,
        tenant_id,
        alice,
        sub_id,
        "reduce_licenses",
        quantity="7",
        today=today(session, tenant_id),
    )
    billing_run.run(session, period.end, tenant_id=tenant_id)
    licenses = [ln for ln in _lines(session, sub_id, period.end) if "add-on" not in ln.description]
    assert [ln.quantity for ln in licenses] == [7]
    assert session.get(Subscription, sub_id).quantity == 7
    # a rerun bills nothing more and applies nothing twice
    billing_run.run(session, period.end, tenant_id=tenant_id)
    assert len(_lines(session, sub_id, period.end)) == 2  # the licenses and the add-on
    tasks = session.scalars(
        select(ProvisioningTask.action).where(ProvisioningTask.subscription_id == sub_id)
    ).all()
    assert tasks.count("change_quantity") == 1


def test_a_cancelled_subscription_is_not_billed_again(session, demo):
    alice = _user(session, "alice@acme.example")
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    tenant_id, sub_id = sub.tenant_id, sub.id
    changes.schedule_change(
        session, tenant_id, alice, sub_id, "cancel", today=today(session, tenant_id)
    )
    billing_run.run(session, period.end + timedelta(days=40), tenant_id=tenant_id)
    assert (
        session.scalar(
            select(func.count()).where(
                BillingCharge.subscription_id == sub_id, BillingCharge.billing_run_id.is_not(None)
            )
        )
        == 0
    )
    ended = session.get(Subscription, sub_id)
    assert (ended.status, ended.ended_on) == ("cancelled", period.end)
    assert (
        session.scalar(
            select(SubscriptionChange.status).where(SubscriptionChange.subscription_id == sub_id)
        )
        == "applied"
    )
    assert (
        session.scalar(
            select(ProvisioningTask.action).where(ProvisioningTask.subscription_id == sub_id)
        )
        == "cancel"
    )


def test_a_trial_that_continues_is_noticed_then_billed_from_its_end(session, demo):
    trial = subscription(session, "alice@acme.example", "AZ-BACKUP")
    tenant_id, sub_id, end = trial.tenant_id, trial.id, trial.trial_ends_on
    billing_run.run(session, end - timedelta(days=3), tenant_id=tenant_id)
    billing_run.run(session, end - timedelta(days=2), tenant_id=tenant_id)
    assert session.scalar(select(func.count()).where(Notification.kind == kinds.TRIAL_ENDING)) == 1
    assert _lines(session, sub_id, end) == []
    billing_run.run(session, end, tenant_id=tenant_id)
    (line,) = _lines(session, sub_id, end)
    paid = session.get(Subscription, sub_id)
    assert line.period_end == paid.current_period_end and line.amount == 3 * paid.unit_price
    assert paid.is_trial is False and paid.next_billing_date == line.period_end


def test_licenses_bought_mid_period_bill_the_new_quantity_from_the_next_period(
    client, session, demo
):
    sub = subscription(session, "alice@acme.example", "M365-STD")
    period = billed(session, sub)
    tenant_id, sub_id = sub.tenant_id, sub.id
    login(client, "alice@acme.example")
    client.post(f"/subscriptions/{sub_id}/licenses", data={"quantity": "5"})
    _order_id, _review, placed = checkout_basket(client)
    assert placed.status_code == 303
    billing_run.run(session, period.end, tenant_id=tenant_id)
    licenses = [ln for ln in _lines(session, sub_id, period.end) if "add-on" not in ln.description]
    assert [ln.quantity for ln in licenses] == [15]
