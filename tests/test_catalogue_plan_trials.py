"""A plan's own free trial (issue 15, point 2) on both engines: the plan's length wins over
the product's, 0 turns the trial off for that plan, a plan without one takes the product's;
the basket starts a trial only on a plan that has one and the executed order's subscription
ends its trial after the plan's days. The demo's one-off products are sold as one-off."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.db import utcnow, write_transaction
from core.models import Basket, BasketItem, Order, Plan, Product, Subscription
from core.rules.catalogue import BillingKind
from core.services import basket as basket_service
from core.services import checkout
from tests.test_storefront_checkout import GOOD_CARD, product, user


def _plan(session, product_row, name, cycle, trial_days):
    with write_transaction(session):
        plan = Plan(
            product_id=product_row.id,
            name=name,
            billing_cycle=cycle,
            min_quantity=1,
            max_quantity=10,
            trial_days=trial_days,
        )
        session.add(plan)
    session.expire_all()  # the product's plans are read again
    return plan


def _buy_trial(session, alice, backup, plan_id):
    added = basket_service.add_product(
        session, alice.tenant_id, alice, backup.id, plan_id, 1, trial=True
    )
    return added


def test_the_plans_trial_wins_and_zero_turns_it_off(session, demo):
    alice = user(session, "alice@acme.example")
    backup = product(session, alice.tenant_id, "AZ-BACKUP")  # the product's trial: 14 days
    monthly = backup.plans[0]  # no trial of its own: the product's
    with write_transaction(session):
        session.get(Plan, monthly.id).trial_days = 21
    none = _plan(session, backup, "No trial", "monthly", 0)
    for plan_id in (monthly.id, none.id):
        _buy_trial(session, alice, backup, plan_id)
    lines = dict(
        session.execute(
            select(BasketItem.plan_id, BasketItem.trial)
            .join(Basket, Basket.id == BasketItem.basket_id)
            .where(Basket.user_id == alice.id, BasketItem.plan_id.is_not(None))
        ).all()
    )
    assert lines == {monthly.id: True, none.id: False}
    order = checkout.start_checkout(session, alice.tenant_id, alice)
    checkout.place(session, alice.tenant_id, alice, order.id, card=GOOD_CARD)
    session.rollback()
    assert session.get(Order, order.id).status.mandatory_key == "executed"
    subs = {
        s.plan_id: (s.is_trial, s.trial_ends_on)
        for s in session.scalars(select(Subscription).where(Subscription.order_id == order.id))
    }
    today = utcnow().date()
    assert subs[monthly.id] == (True, today + timedelta(days=21))  # the plan's 21, not 14
    assert subs[none.id] == (False, None)


def test_the_demos_one_off_products_are_sold_as_one_off(session, demo):
    alice = user(session, "alice@acme.example")
    for code in ("MNG-FW", "OFFICE-2021"):
        row = product(session, alice.tenant_id, code)
        assert row.billing_kind == BillingKind.ONE_OFF, code
        assert {p.billing_cycle for p in row.plans} == {"one_off"}, code
    assert product(session, alice.tenant_id, "M365-STD").billing_kind == BillingKind.RECURRING
    assert session.scalar(select(Product.id).where(Product.code == "MNG-FW")) is not None
