"""My subscriptions (PRODUCT.md 5.4): the account's subscriptions with what each action may
offer. A fixed number of queries whatever the number of subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from core.enums import ExecutionType
from core.models import AddOn, Product, Subscription, SubscriptionAddOn
from core.rules.catalogue import sold_on_storefront
from core.rules.invoicing import line_net
from core.services import catalogue


@dataclass
class SubscriptionView:
    subscription: Subscription
    execution_type: str
    addons_to_buy: list[AddOn] = field(default_factory=list)
    upgrade_targets: list[Product] = field(default_factory=list)

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL

    # --- recurring billing (issue 17): what the next billing date bills (before promotions
    # and VAT): the subscription's own price × quantity, and its add-ons' ---
    @property
    def next_amount(self) -> Decimal | None:
        sub = self.subscription
        if sub.next_billing_date is None:
            return None
        amount = line_net(sub.unit_price, sub.quantity)
        for addon in sub.addons:
            amount += line_net(addon.unit_price, addon.quantity)
        return amount

    @property
    def since(self) -> date:
        """The day the customer has had it: a trial that became paid keeps its trial's start
        (its ``start_date`` moved to the conversion day, which anchors its paid periods; the
        trial began the day the subscription was created)."""
        sub = self.subscription
        converted = not sub.is_trial and sub.trial_ends_on is not None
        if converted and sub.created_at is not None:
            return min(sub.start_date, sub.created_at.date())
        return sub.start_date

    @property
    def on_sale(self) -> bool:
        """Its product is still sold on the Storefront: else no licenses nor add-ons are
        offered (core.rules.catalogue.change_refusal), and the page says why."""
        product = self.subscription.product
        return sold_on_storefront(product.active, product.published)

    @property
    def room(self) -> int:
        if not self.on_sale:
            return 0
        plan = self.subscription.plan
        return (plan.max_quantity if plan else 10000) - self.subscription.quantity


def list_subscriptions(session: Session, tenant_id: int, account_id: int) -> list[SubscriptionView]:
    subs = list(
        session.scalars(
            select(Subscription)
            .where(Subscription.tenant_id == tenant_id, Subscription.account_id == account_id)
            .options(
                joinedload(Subscription.product).selectinload(Product.addons),
                joinedload(Subscription.plan),
                joinedload(Subscription.suspended_invoice),  # a suspension's invoice to pay
                selectinload(Subscription.addons).joinedload(SubscriptionAddOn.addon),
            )
            .order_by(Subscription.start_date.desc(), Subscription.id.desc())
        ).unique()
    )
    product_ids = {s.product_id for s in subs}
    types = catalogue.execution_types(session, product_ids)
    targets = catalogue.upgrade_targets(session, tenant_id, product_ids)
    views = []
    for sub in subs:
        owned = {a.addon_id for a in sub.addons}
        views.append(
            SubscriptionView(
                subscription=sub,
                execution_type=types.get(sub.product_id, ExecutionType.AUTOMATIC),
                addons_to_buy=[a for a in sub.product.addons if a.id not in owned]
                if sold_on_storefront(sub.product.active, sub.product.published)
                else [],
                upgrade_targets=targets.get(sub.product_id, []),
            )
        )
    return views
