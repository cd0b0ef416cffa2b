"""Helpers for the billing-changes tests (issue 17, point 3): give a demo subscription billing
terms as the billing run leaves them (its current period billed), find things by name."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from core.db import utcnow, write_transaction
from core.models import (
    Account,
    PlanPrice,
    Product,
    Subscription,
    SubscriptionAddOn,
    SubscriptionChange,
    User,
)
from core.rules import billing_periods as bp
from core.services.promotions import tenant_today


def today(session, tenant_id) -> date:
    return tenant_today(session, tenant_id, utcnow())


def account_of(session, email) -> Account:
    user = session.scalar(select(User).where(User.email == email))
    return session.get(Account, user.account_id)


def subscription(session, email, code) -> Subscription:
    account = account_of(session, email)
    return session.scalar(
        select(Subscription)
        .join(Product, Product.id == Subscription.product_id)
        .where(Subscription.account_id == account.id, Product.code == code)
    )


def product(session, tenant_id, code) -> Product:
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == code)
    )


def list_price(session, account, plan_id) -> Decimal:
    return session.scalar(
        select(PlanPrice.price).where(
            PlanPrice.plan_id == plan_id, PlanPrice.price_list_id == account.price_list_id
        )
    )


def billed(
    session,
    sub: Subscription,
    *,
    started_days_ago: int = 90,
    cycle: str = "monthly",
    commitment: int = 0,
    unit_price: Decimal | None = None,
    addon_price: Decimal = Decimal("2.00"),
    on: date | None = None,
) -> bp.Period:
    """Give ``sub`` the billing terms of a subscription whose current period is billed; returns
    that period."""
    on = on or today(session, sub.tenant_id)
    with write_transaction(session):
        sub = session.get(Subscription, sub.id)
        account = session.get(Account, sub.account_id)
        start = on - timedelta(days=started_days_ago)
        period = bp.period_containing(start, cycle, on)
        sub.start_date = start
        sub.billing_cycle = cycle
        sub.commitment_months = commitment
        sub.current_period_start, sub.current_period_end = period.start, period.end
        sub.next_billing_date = period.end
        sub.term_end = bp.term_end(start, commitment, cycle, on=on)
        sub.unit_price = (
            unit_price if unit_price is not None else list_price(session, account, sub.plan_id)
        )
        sub.is_trial, sub.trial_ends_on = False, None
        # nothing scheduled (the demo schedules an add-on reduction for Acme)
        for change in session.scalars(
            select(SubscriptionChange).where(SubscriptionChange.subscription_id == sub.id)
        ):
            session.delete(change)
        for addon in session.scalars(
            select(SubscriptionAddOn).where(SubscriptionAddOn.subscription_id == sub.id)
        ):
            addon.unit_price = addon_price
    return period
