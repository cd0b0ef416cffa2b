"""Changes to a subscription in the middle of its period (issue 17, point 3), trials and
auto-renew: the use cases over :mod:`core.rules.subscription_changes` and
:mod:`core.rules.proration`.

- :func:`now_charge` is the one function that says what an increase (licenses, an add-on,
  more of an add-on, an upgrade) costs *now*: the basket, the review, the order's total (so the
  credit check and the card charge) and the execution's invoice line all call it.
- :func:`plan_change` / :func:`schedule_change` / :func:`withdraw_change`: a decrease,
  downgrade or cancellation is a pending :class:`~core.models.SubscriptionChange`, shown with
  the day it takes effect before the customer confirms, withdrawable until then.
- :func:`apply_due_changes` applies what has come due (the billing run calls it before it
  bills the next period); a cancellation ends the subscription and queues a ``cancel``
  provisioning task, a decrease a ``change_quantity`` one (outbox → connector).
- :func:`end_trials`, :func:`send_trial_notices`, :func:`set_auto_renew`,
  :func:`set_trial_converts`: trials and auto-renew.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import utcnow, write_transaction
from core.enums import ItemKind
from core.models import (
    Account,
    AddOn,
    Plan,
    PlanPrice,
    Product,
    ProvisioningTask,
    Subscription,
    SubscriptionAddOn,
    SubscriptionChange,
    SubscriptionHistory,
    User,
)
from core.rules import billing_periods as periods
from core.rules import notifications as kinds
from core.rules import pricing as pricing_rules
from core.rules import proration
from core.rules import subscription_changes as rules
from core.services import outbox, pricing
from core.services.errors import Conflict, NotFound, ValidationFailed

ZERO = Decimal("0.00")
INCREASES = (ItemKind.LICENSES, ItemKind.ADDON_NEW, ItemKind.ADDON_QUANTITY, ItemKind.UPGRADE)


def terms_of(sub: Subscription) -> rules.Terms:
    return rules.Terms(
        anchor=sub.start_date,
        cycle=sub.billing_cycle or periods.MONTHLY,
        commitment_months=sub.commitment_months or 0,
        is_trial=bool(sub.is_trial),
        trial_ends_on=sub.trial_ends_on,
        term_end=sub.term_end,
    )


# --- increases: what is billed now -----------------------------------------------------------


@dataclass(frozen=True)
class NowCharge:
    """What an increase bills now and what the subscription bills after it."""

    amount: Decimal  # billed now (prorated)
    start: date  # [start, end): the days billed now
    end: date
    reason: str  # "prorated", "trial" (free until the trial ends), "next" (next invoice bills it)
    next_amount: Decimal  # what each period bills from ``end``, the change included
    cycle: str
    notes: tuple[str, ...] = ()  # what else the change does (an upgrade's add-ons that end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def prorated(self) -> bool:
        return self.reason == "prorated"


def is_increase(kind: str, subscription_id: int | None) -> bool:
    return kind in INCREASES and subscription_id is not None


def recurring_amount(sub: Subscription) -> Decimal:
    """What one period of the subscription bills today (its plan and add-ons, no promotion)."""
    amount = pricing_rules.line_amount(sub.unit_price or ZERO, sub.quantity, None)
    for addon in sub.addons:
        amount += pricing_rules.line_amount(addon.unit_price or ZERO, addon.quantity, None)
    return amount


def now_charge(
    sub: Subscription,
    kind: str,
    full: Decimal,
    on: date,
    *,
    extra_next: Decimal | None = None,
    notes: tuple[str, ...] = (),
) -> NowCharge:
    """The one rule of an increase's price now: ``full`` is what one whole period of the
    change costs (unit price × quantity, less its promotion; an upgrade: the difference).

    A trial bills nothing now (the paid plan starts at the trial's end, with the change); a
    period the billing run has not invoiced yet bills nothing now (the run bills it whole, at
    the new quantity); otherwise the prorated rest of the current period (by days, from ``on``
    inclusive to the period's end), and any later period the run has already invoiced, whole."""
    terms = terms_of(sub)
    period = rules.current_period(terms, on)
    next_amount = recurring_amount(sub) + (full if extra_next is None else extra_next)
    cycle = sub.billing_cycle or periods.MONTHLY
    if terms.is_trial:
        return NowCharge(ZERO, on, period.end, "trial", next_amount, cycle, notes)
    if sub.next_billing_date is not None and period.start >= sub.next_billing_date:
        return NowCharge(ZERO, on, period.end, "next", next_amount, cycle, notes)
    share = proration.prorate(full, period, on)
    amount, end = share.amount, share.end
    # a billing run dated ahead may already have invoiced the periods after this one (at the
    # old quantity): each is charged whole now too, so the change is never left unbilled for
    # them; the run bills the new quantity from ``next_billing_date`` on
    while sub.next_billing_date is not None and end < sub.next_billing_date:
        following = rules.current_period(terms, end)
        if following.end <= end:
            break
        amount, end = amount + full, following.end
    return NowCharge(amount, share.start, end, "prorated", next_amount, cycle, notes)


def pending_reductions(session: Session, subscription_ids) -> dict[int, SubscriptionChange]:
    """Subscription id -> its pending license reduction, in one query."""
    ids = list(subscription_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(SubscriptionChange).where(
            SubscriptionChange.subscription_id.in_(ids),
            SubscriptionChange.kind == rules.REDUCE_LICENSES,
            SubscriptionChange.status == rules.PENDING,
        )
    )
    return {c.subscription_id: c for c in rows}


def licenses_next_extra(
    sub: Subscription, bought: int, reduction: SubscriptionChange | None, on: date
) -> Decimal:
    """What licenses bought add to the next period's amount: ``bought`` × price, or, when a
    reduction takes effect by then, the reduction's target grown by them instead of today's
    quantity (:func:`core.rules.subscription_changes.reduction_after_purchase`)."""
    unit = sub.unit_price or ZERO
    if reduction is None or reduction.quantity is None:
        return pricing_rules.line_amount(unit, bought, None)
    if reduction.effective_on > rules.current_period(terms_of(sub), on).end:
        return pricing_rules.line_amount(unit, bought, None)  # a commitment: later than that
    target = rules.reduction_after_purchase(reduction.quantity, bought)
    return unit * (target - sub.quantity)


def grow_pending_reduction(session: Session, sub: Subscription, bought: int, now) -> None:
    """Execution of licenses bought: a pending reduction keeps them (its target grows)."""
    reduction = session.scalar(
        select(SubscriptionChange)
        .where(
            SubscriptionChange.subscription_id == sub.id,
            SubscriptionChange.kind == rules.REDUCE_LICENSES,
            SubscriptionChange.status == rules.PENDING,
        )
        .with_for_update()
    )
    if reduction is None or reduction.quantity is None:
        return
    before = reduction.quantity
    reduction.quantity = rules.reduction_after_purchase(before, bought)
    reduction.from_quantity = sub.quantity
    session.add(
        SubscriptionHistory(
            subscription_id=sub.id,
            at=now,
            change="reduce_licenses_adjusted",
            from_quantity=before,
            to_quantity=reduction.quantity,
        )
    )


def change_full_amount(unit_price: Decimal, quantity: int, discount: Decimal | None) -> Decimal:
    return pricing_rules.line_amount(unit_price, quantity, discount)


def upgrade_next_amount(
    sub: Subscription, new_unit_price: Decimal, addons: UpgradeAddOns | None = None
) -> Decimal:
    """After an upgrade every license bills the new price, and the add-ons held bill as
    :func:`upgrade_addons` says (carried over at the new product's price, or ended)."""
    delta = (new_unit_price - (sub.unit_price or ZERO)) * sub.quantity
    return delta + (addons.next_delta if addons is not None else ZERO)


@dataclass(frozen=True)
class UpgradeAddOns:
    """What an upgrade to ``product`` does to the add-ons the subscription holds
    (:func:`core.rules.subscription_changes.carry_over_addons`)."""

    product: Product | None
    carried: dict[int, tuple[int, Decimal]]  # held add-on id -> (new add-on id, its unit price)
    ended: dict[int, str]  # held add-on id -> its name: not offered by the new product
    next_delta: Decimal  # how the add-ons' amount per period changes from the next period

    @property
    def notes(self) -> tuple[str, ...]:
        name = self.product.name if self.product is not None else ""
        return tuple(
            texts.UPGRADE_ADDON_ENDS.format(addon=addon, product=name)
            for addon in self.ended.values()
        )


def upgrade_addons(
    session: Session, sub: Subscription, target_product_id: int | None, price_list_id: int | None
) -> UpgradeAddOns:
    """The add-ons held that the target product offers too (same name: the catalogue's identity
    of an add-on within a product) carry over to its add-on, priced from the next period at its
    price in ``price_list_id`` (else the price held); the others end with the upgrade. Nothing
    is charged now for them: the review's amount now is the plan's difference only."""
    product = session.get(Product, target_product_id) if target_product_id else None
    if product is None or product.id == sub.product_id or not sub.addons:
        return UpgradeAddOns(product, {}, {}, ZERO)
    offered = {a.id: a.name for a in product.addons}
    held = {a.addon_id: a.addon.name for a in sub.addons}
    plan = rules.carry_over_addons(held, offered)
    prices = pricing.addon_prices(session, price_list_id, set(plan.carried.values()))
    carried, delta = {}, ZERO
    for owned in sub.addons:
        old_price = owned.unit_price or ZERO
        if owned.addon_id in plan.carried:
            new_id = plan.carried[owned.addon_id]
            new_price = prices.get(new_id, old_price)
            carried[owned.addon_id] = (new_id, new_price)
            delta += (new_price - old_price) * owned.quantity
        else:
            delta -= old_price * owned.quantity
    ended = {addon_id: held[addon_id] for addon_id in plan.ended}
    return UpgradeAddOns(product, carried, ended, delta)


def carry_addons_over(
    session: Session, sub: Subscription, effects: UpgradeAddOns, order_id: int | None, now
) -> None:
    """Execution of an upgrade: move the add-ons held onto the new product's (same quantity,
    its price from the next period; their pending reductions follow them) and end the others
    (their pending changes are superseded; nothing is refunded)."""
    rows = {a.addon_id: a for a in sub.addons}
    pending = list(
        session.scalars(
            select(SubscriptionChange)
            .where(
                SubscriptionChange.subscription_id == sub.id,
                SubscriptionChange.status == rules.PENDING,
                SubscriptionChange.addon_id.is_not(None),
            )
            .with_for_update()
        )
    )
    kept: dict[int, SubscriptionAddOn] = {}
    for old_id, (new_id, price) in effects.carried.items():
        row = rows[old_id]
        if new_id in kept:  # two held add-ons with one identity: one line, their quantities
            kept[new_id].quantity += row.quantity
            session.delete(row)
            continue
        row.addon_id, row.unit_price = new_id, price
        kept[new_id] = row
    for old_id, name in effects.ended.items():
        row = rows[old_id]
        session.add(
            SubscriptionHistory(
                subscription_id=sub.id,
                at=now,
                change="addon_ended",
                detail=texts.UPGRADE_ADDON_ENDS.format(addon=name, product=effects.product.name),
                from_quantity=row.quantity,
                order_id=order_id,
            )
        )
        session.delete(row)
    for change in pending:
        if change.addon_id in effects.carried:
            change.addon_id = effects.carried[change.addon_id][0]
            change.slot = f"{change.kind}:{change.addon_id}"
        elif change.addon_id in effects.ended:
            change.status, change.decided_at = rules.SUPERSEDED, now
    session.flush()
    session.expire(sub, ["addons"])


# --- decreases, downgrades, cancellations: pending until the period's end ---------------------


@dataclass(frozen=True)
class PlannedChange:
    """A decrease, downgrade or cancellation as the customer confirms it."""

    subscription: Subscription
    kind: str
    effective_on: date
    keeps: str  # what the customer keeps until then ("10 licenses")
    becomes: str  # what it is from effective_on ("8 licenses", "cancelled")
    from_quantity: int | None = None
    quantity: int | None = None
    addon: AddOn | None = None
    target: Product | None = None
    target_plan: Plan | None = None
    unit_price: Decimal | None = None
    commitment: bool = False

    @property
    def slot(self) -> str:
        return f"{self.kind}:{self.addon.id}" if self.addon is not None else self.kind

    @property
    def summary(self) -> str:
        return change_summary(self.effective_on, self.keeps, bool(self.subscription.is_trial))


def change_summary(effective_on: date, keeps: str, trial: bool) -> str:
    """When a change takes effect and what is kept until then; a trial is billed nothing (a
    refund would be meaningless)."""
    text = texts.CHANGE_TAKES_EFFECT_TRIAL if trial else texts.CHANGE_TAKES_EFFECT
    return text.format(date=effective_on.strftime("%-d %b %Y"), keeps=keeps)


def _own_subscription(
    session: Session, tenant_id: int, account_id: int, subscription_id: int, *, lock=False
) -> Subscription:
    query = (
        select(Subscription)
        .where(
            Subscription.id == subscription_id,
            Subscription.tenant_id == tenant_id,
            Subscription.account_id == account_id,
        )
        .options(
            joinedload(Subscription.plan),
            joinedload(Subscription.product),
            selectinload(Subscription.addons).joinedload(SubscriptionAddOn.addon),
        )
    )
    if lock:
        query = query.with_for_update(of=Subscription).execution_options(populate_existing=True)
    sub = session.scalars(query).unique().first()
    if sub is None:
        raise NotFound(texts.SUBSCRIPTION_NOT_FOUND)
    return sub


def refuse_unless_changeable(sub: Subscription) -> None:
    """A change of a subscription that is not active is refused: a suspended one says which
    invoice to pay, an ended one that it has ended."""
    if rules.can_change(sub.status):
        return
    if sub.status == rules.SUSPENDED:
        number = sub.suspended_invoice.number if sub.suspended_invoice else "?"
        raise Conflict(texts.SUBSCRIPTION_SUSPENDED_NO_CHANGES.format(number=number))
    raise Conflict(texts.CHANGE_SUBSCRIPTION_ENDED)


def refuse_changes_of_unchangeable(session: Session, order) -> None:
    """Placement: an order changing a subscription suspended (or ended) since the change was
    put in the basket is not placed (nothing is charged)."""
    ids = {i.subscription_id for i in order.items if i.subscription_id and i.kind != ItemKind.NEW}
    if not ids:
        return
    for sub in session.scalars(select(Subscription).where(Subscription.id.in_(ids))):
        refuse_unless_changeable(sub)


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _refused(message: str, field: str = "quantity") -> ValidationFailed:
    return ValidationFailed(message, {field: [message]})


def _licenses(n: int) -> str:
    return texts.LICENSES_COUNT.format(count=n, s="" if n == 1 else "s")


def _target_plans(sub: Subscription, targets: list[Product]) -> list[tuple[Product, Plan]]:
    """Each target product with the plan a move there takes (the same cycle, else its first)."""
    cycle = sub.plan.billing_cycle if sub.plan else None
    return [
        (product, next((p for p in product.plans if p.billing_cycle == cycle), product.plans[0]))
        for product in targets
        if product.plans
    ]


def _cheaper(sub: Subscription, chosen, prices: dict) -> list[tuple[Product, Plan, Decimal]]:
    current = sub.unit_price or ZERO
    cycle = sub.plan.billing_cycle if sub.plan else None
    return [
        (product, plan, prices[plan.id])
        for product, plan in chosen
        if plan.id in prices
        and rules.is_downgrade(current, prices[plan.id], cycle, plan.billing_cycle)
    ]


def downgrade_targets(
    session: Session, sub: Subscription, price_list_id: int | None
) -> list[tuple[Product, Plan, Decimal]]:
    """The catalogue's upgrade targets of the subscription's product that are cheaper than its
    price (a move there is a downgrade: it waits for the period's end)."""
    from core.services import catalogue  # catalogue imports orders, which imports execution

    targets = catalogue.upgrade_targets(session, sub.tenant_id, [sub.product_id])
    chosen = _target_plans(sub, targets.get(sub.product_id, []))
    prices = pricing.plan_prices(session, price_list_id, [p.id for _t, p in chosen])
    return _cheaper(sub, chosen, prices)


def plan_change(
    session: Session,
    tenant_id: int,
    account_id: int,
    subscription_id: int,
    kind: str,
    *,
    quantity=None,
    addon_id=None,
    target_product_id=None,
    today: date,
    lock: bool = False,
) -> PlannedChange:
    """Check a decrease, downgrade or cancellation and say when it takes effect (changes
    nothing; :func:`schedule_change` records it)."""
    if kind not in rules.KINDS:
        raise NotFound(texts.CHANGE_NOT_FOUND)
    sub = _own_subscription(session, tenant_id, account_id, subscription_id, lock=lock)
    refuse_unless_changeable(sub)
    if sub.next_billing_date is None and not sub.is_trial:
        raise Conflict(texts.CHANGE_SUBSCRIPTION_ENDED)
    terms = terms_of(sub)
    effective = rules.effective_date(terms, today, kind)
    commitment = bool(terms.commitment_months) and not terms.is_trial
    common = dict(subscription=sub, kind=kind, effective_on=effective, commitment=commitment)
    if kind == rules.CANCEL:
        return PlannedChange(
            keeps=_licenses(sub.quantity), becomes=texts.CHANGE_BECOMES_CANCELLED, **common
        )
    if kind == rules.REDUCE_LICENSES:
        new = _int(quantity)
        if new is None:
            raise _refused(texts.CHANGE_ENTER_QUANTITY)
        minimum = sub.plan.min_quantity if sub.plan else 1
        try:
            new = rules.checked_reduction(sub.quantity, new, minimum)
        except rules.ChangeRefused as error:
            raise _refused(str(error)) from None
        return PlannedChange(
            keeps=_licenses(sub.quantity),
            becomes=_licenses(new),
            from_quantity=sub.quantity,
            quantity=new,
            **common,
        )
    if kind in (rules.REDUCE_ADDON, rules.REMOVE_ADDON):
        owned = next((a for a in sub.addons if a.addon_id == _int(addon_id)), None)
        if owned is None:
            raise _refused(texts.CHOOSE_ADDON, "addon_id")
        keeps = f"{owned.addon.name} × {owned.quantity}"
        if kind == rules.REMOVE_ADDON:
            return PlannedChange(
                keeps=keeps,
                becomes=texts.CHANGE_BECOMES_NO_ADDON.format(addon=owned.addon.name),
                from_quantity=owned.quantity,
                addon=owned.addon,
                **common,
            )
        new = _int(quantity)
        if new is None:
            raise _refused(texts.CHANGE_ENTER_QUANTITY)
        try:
            new = rules.checked_reduction(owned.quantity, new, owned.addon.min_quantity)
        except rules.ChangeRefused as error:
            raise _refused(str(error)) from None
        return PlannedChange(
            keeps=keeps,
            becomes=f"{owned.addon.name} × {new}",
            from_quantity=owned.quantity,
            quantity=new,
            addon=owned.addon,
            **common,
        )
    # a downgrade
    account = session.get(Account, account_id)
    choices = downgrade_targets(session, sub, account.price_list_id if account else None)
    chosen = next((c for c in choices if c[0].id == _int(target_product_id)), None)
    if chosen is None:
        raise _refused(texts.CHANGE_CHOOSE_DOWNGRADE, "target_product_id")
    product, plan, price = chosen
    return PlannedChange(
        keeps=f"{sub.product.name} ({_licenses(sub.quantity)})",
        becomes=product.name,
        target=product,
        target_plan=plan,
        unit_price=price,
        **common,
    )


def schedule_change(
    session: Session,
    tenant_id: int,
    user: User,
    subscription_id: int,
    kind: str,
    *,
    quantity=None,
    addon_id=None,
    target_product_id=None,
    now: datetime | None = None,
    today: date | None = None,
) -> SubscriptionChange:
    """Record a confirmed decrease, downgrade or cancellation. A pending change of the same
    kind (and add-on) is replaced; the same change again (a double click) changes nothing."""
    now = now or utcnow()
    today = today or now.date()
    with write_transaction(session):
        planned = plan_change(
            session,
            tenant_id,
            user.account_id,
            subscription_id,
            kind,
            quantity=quantity,
            addon_id=addon_id,
            target_product_id=target_product_id,
            today=today,
            lock=True,
        )
        sub = planned.subscription
        existing = session.scalar(
            select(SubscriptionChange)
            .where(
                SubscriptionChange.subscription_id == sub.id,
                SubscriptionChange.slot == planned.slot,
                SubscriptionChange.status == rules.PENDING,
            )
            .with_for_update()
        )
        same = existing is not None and (
            existing.quantity,
            existing.target_product_id,
            existing.effective_on,
        ) == (planned.quantity, planned.target.id if planned.target else None, planned.effective_on)
        if same:
            return existing
        if existing is not None:
            existing.status, existing.decided_at = rules.SUPERSEDED, now
            session.flush()
        change = SubscriptionChange(
            tenant_id=tenant_id,
            subscription_id=sub.id,
            kind=kind,
            slot=planned.slot,
            addon_id=planned.addon.id if planned.addon else None,
            from_quantity=planned.from_quantity,
            quantity=planned.quantity,
            target_product_id=planned.target.id if planned.target else None,
            target_plan_id=planned.target_plan.id if planned.target_plan else None,
            unit_price=planned.unit_price,
            effective_on=planned.effective_on,
            status=rules.PENDING,
            created_at=now,
            created_by_user_id=user.id,
        )
        session.add(change)
        _history(session, sub, f"{kind}_scheduled", planned.summary, now)
        try:
            session.flush()
        except IntegrityError:  # another request scheduled the same change meanwhile
            raise Conflict(texts.CHANGE_ALREADY_PENDING) from None
        return change


def withdraw_change(
    session: Session, tenant_id: int, user: User, change_id: int, now: datetime | None = None
) -> SubscriptionChange:
    """The customer takes back a pending change (idempotent: a withdrawn one stays so)."""
    now = now or utcnow()
    with write_transaction(session):
        change = session.scalar(
            select(SubscriptionChange)
            .join(Subscription, Subscription.id == SubscriptionChange.subscription_id)
            .where(
                SubscriptionChange.id == change_id,
                SubscriptionChange.tenant_id == tenant_id,
                Subscription.account_id == user.account_id,
            )
            .with_for_update(of=SubscriptionChange)
        )
        if change is None:
            raise NotFound(texts.CHANGE_NOT_FOUND)
        if change.status == rules.WITHDRAWN:
            return change
        if change.status != rules.PENDING:
            raise Conflict(texts.CHANGE_ALREADY_APPLIED)
        change.status, change.decided_at = rules.WITHDRAWN, now
        sub = session.get(Subscription, change.subscription_id)
        _history(session, sub, f"{change.kind}_withdrawn", None, now)
        return change


def pending_changes(session: Session, subscription_ids: list[int]) -> dict[int, list]:
    """Each subscription's pending changes (soonest first), in one query."""
    if not subscription_ids:
        return {}
    rows = session.scalars(
        select(SubscriptionChange)
        .where(
            SubscriptionChange.subscription_id.in_(subscription_ids),
            SubscriptionChange.status == rules.PENDING,
        )
        .options(
            joinedload(SubscriptionChange.addon), joinedload(SubscriptionChange.target_product)
        )
        .order_by(SubscriptionChange.effective_on, SubscriptionChange.id)
    )
    result: dict[int, list] = {}
    for change in rows:
        result.setdefault(change.subscription_id, []).append(change)
    return result


# --- applying what has come due (the billing run) ---------------------------------------------


def apply_due_changes(
    session: Session, subscription: Subscription, on_date: date, now: datetime | None = None
) -> list[SubscriptionChange]:
    """Apply the subscription's pending changes whose day has come (``effective_on <=
    on_date``), oldest first, in the caller's transaction. The billing run calls it before it
    bills the next period, so that period bills the new quantity, add-ons and price."""
    now = now or utcnow()
    due = list(
        session.scalars(
            select(SubscriptionChange)
            .where(
                SubscriptionChange.subscription_id == subscription.id,
                SubscriptionChange.status == rules.PENDING,
                SubscriptionChange.effective_on <= on_date,
            )
            .order_by(SubscriptionChange.effective_on, SubscriptionChange.id)
            .with_for_update()
        )
    )
    for change in due:
        if subscription.status != rules.ACTIVE:
            change.status, change.decided_at = rules.SUPERSEDED, now
            continue
        _apply(session, subscription, change, now)
        change.status, change.decided_at = rules.APPLIED, now
    session.flush()
    return due


def apply_due_for_accounts(
    session: Session, tenant_id: int, account_ids: list[int], on_date: date, now=None
) -> int:
    """:func:`apply_due_changes` for every subscription billed to these accounts (the run's
    batches walk the billed accounts) with a change due (one query when there is none: the
    billing run calls it once a batch)."""
    if not account_ids:
        return 0
    subs = list(
        session.scalars(
            select(Subscription)
            .join(SubscriptionChange, SubscriptionChange.subscription_id == Subscription.id)
            .where(
                SubscriptionChange.tenant_id == tenant_id,
                SubscriptionChange.status == rules.PENDING,
                SubscriptionChange.effective_on <= on_date,
                Subscription.billing_account_id.in_(account_ids),
            )
            .distinct()
            .order_by(Subscription.id)
        )
    )
    for sub in subs:
        apply_due_changes(session, sub, on_date, now)
    return len(subs)


def apply_due_for_tenant(session: Session, tenant_id: int, on_date: date, now=None) -> int:
    """Every due change of the tenant (its own transaction): the run's first step."""
    with write_transaction(session):
        account_ids = list(
            session.scalars(
                select(Subscription.billing_account_id)
                .join(SubscriptionChange, SubscriptionChange.subscription_id == Subscription.id)
                .where(
                    SubscriptionChange.tenant_id == tenant_id,
                    SubscriptionChange.status == rules.PENDING,
                    SubscriptionChange.effective_on <= on_date,
                )
                .distinct()
            )
        )
        return apply_due_for_accounts(session, tenant_id, account_ids, on_date, now)


def _apply(session: Session, sub: Subscription, change: SubscriptionChange, now) -> None:
    detail = None
    if change.kind == rules.CANCEL:
        sub.status = rules.CANCELLED
        sub.ended_on = change.effective_on
        sub.next_billing_date = None
        _provision(session, sub, "cancel", now)
        _history(session, sub, "cancelled", texts.CHANGE_APPLIED_CANCEL, now)
        return
    if change.kind == rules.REDUCE_LICENSES:
        before = sub.quantity
        sub.quantity = change.quantity
        session.add(
            SubscriptionHistory(
                subscription_id=sub.id,
                at=now,
                change="quantity_decrease",
                from_quantity=before,
                to_quantity=change.quantity,
            )
        )
        _provision(session, sub, "change_quantity", now)
        return
    if change.kind in (rules.REDUCE_ADDON, rules.REMOVE_ADDON):
        owned = session.scalar(
            select(SubscriptionAddOn).where(
                SubscriptionAddOn.subscription_id == sub.id,
                SubscriptionAddOn.addon_id == change.addon_id,
            )
        )
        if owned is not None:
            before = owned.quantity
            if change.kind == rules.REMOVE_ADDON:
                session.delete(owned)
                detail = texts.CHANGE_APPLIED_REMOVE_ADDON
            else:
                owned.quantity = change.quantity
            session.add(
                SubscriptionHistory(
                    subscription_id=sub.id,
                    at=now,
                    change=change.kind,
                    detail=detail,
                    from_quantity=before,
                    to_quantity=change.quantity,
                )
            )
            _provision(session, sub, "change_addon", now)
        return
    if change.kind == rules.DOWNGRADE:
        sub.product_id = change.target_product_id or sub.product_id
        sub.plan_id = change.target_plan_id or sub.plan_id
        if change.unit_price is not None:
            sub.unit_price = change.unit_price
        _history(session, sub, "downgrade", None, now)
        _provision(session, sub, "upgrade", now)


def _provision(session: Session, sub: Subscription, action: str, now: datetime) -> None:
    """A provisioning task for a change the run applied, queued through the outbox like the
    execution's (its connector is the product type's)."""
    from core.models import ProductType
    from core.rules import provisioning as provisioning_rules

    connector = session.scalar(
        select(ProductType.connector)
        .join(Product, Product.product_type_id == ProductType.id)
        .where(Product.id == sub.product_id)
    )
    task = ProvisioningTask(
        tenant_id=sub.tenant_id,
        order_id=None,
        subscription_id=sub.id,
        product_id=sub.product_id,
        action=action,
        status="started",
        created_at=now,
        connector=provisioning_rules.connector_for(connector),
        updated_at=now,
    )
    session.add(task)
    session.flush()
    outbox.add(session, sub.tenant_id, "provisioning", task.id, now=now)


def _history(session: Session, sub: Subscription, change: str, detail, now) -> None:
    session.add(SubscriptionHistory(subscription_id=sub.id, at=now, change=change, detail=detail))


# --- auto-renew and trials ------------------------------------------------------------------


def _checked_toggle(on) -> bool:
    if on not in (True, False):
        raise ValidationFailed(texts.TOGGLE_INVALID)
    return on


def set_auto_renew(
    session: Session, tenant_id: int, user: User, subscription_id: int, on: bool | None, now=None
) -> Subscription:
    """Turn auto-renew off (the subscription ends at its term's end) or on again; recorded in
    its history. Setting what is already set changes nothing."""
    now = now or utcnow()
    with write_transaction(session):
        sub = _own_subscription(session, tenant_id, user.account_id, subscription_id, lock=True)
        on = _checked_toggle(on)
        refuse_unless_changeable(sub)
        if sub.auto_renew != on:
            sub.auto_renew = on
            _history(session, sub, "auto_renew_on" if on else "auto_renew_off", None, now)
        return sub


def set_trial_converts(
    session: Session, tenant_id: int, user: User, subscription_id: int, on: bool | None, now=None
) -> Subscription:
    """The trial's "Continue on the paid plan after the trial" (off: it expires at its end)."""
    now = now or utcnow()
    with write_transaction(session):
        sub = _own_subscription(session, tenant_id, user.account_id, subscription_id, lock=True)
        on = _checked_toggle(on)
        refuse_unless_changeable(sub)
        if not sub.is_trial:
            raise Conflict(texts.NOT_A_TRIAL)
        if sub.trial_converts != on:
            sub.trial_converts = on
            _history(session, sub, "trial_converts_on" if on else "trial_converts_off", None, now)
        return sub


def _list_price(session: Session, sub: Subscription) -> Decimal:
    account = session.get(Account, sub.account_id)
    if account is None or account.price_list_id is None or sub.plan_id is None:
        return ZERO
    return (
        session.scalar(
            select(PlanPrice.price).where(
                PlanPrice.plan_id == sub.plan_id, PlanPrice.price_list_id == account.price_list_id
            )
        )
        or ZERO
    )


def end_trials(
    session: Session, tenant_id: int, on_date: date, now: datetime | None = None
) -> tuple[int, int]:
    """Trials whose end has come (``trial_ends_on <= on_date``): those the customer keeps
    become paid subscriptions whose first period starts on the trial's end (the billing run
    bills it: the subscription is due on that day); the others expire and are cancelled at the
    vendor. Returns (converted, expired). Its own transaction; a rerun finds nothing left."""
    now = now or utcnow()
    converted = expired = 0
    with write_transaction(session):
        subs = list(
            session.scalars(
                select(Subscription)
                .where(
                    Subscription.tenant_id == tenant_id,
                    Subscription.is_trial.is_(True),
                    Subscription.status == rules.ACTIVE,
                    Subscription.trial_ends_on.is_not(None),
                    Subscription.trial_ends_on <= on_date,
                )
                .options(joinedload(Subscription.plan))
                .order_by(Subscription.id)
                .with_for_update(of=Subscription)
            ).unique()
        )
        for sub in subs:
            end = sub.trial_ends_on
            apply_due_changes(session, sub, end, now)  # e.g. fewer licenses from the paid plan
            if sub.status != rules.ACTIVE:
                continue  # cancelled at the trial's end
            if not sub.trial_converts:
                sub.status = rules.EXPIRED
                sub.ended_on = end
                sub.next_billing_date = None
                _provision(session, sub, "cancel", now)
                _history(session, sub, "trial_expired", texts.TRIAL_EXPIRED_NOTE, now)
                expired += 1
                continue
            cycle = sub.plan.billing_cycle if sub.plan else periods.MONTHLY
            if not periods.is_recurring(cycle):
                cycle = periods.MONTHLY
            commitment = (sub.plan.commitment_months or 0) if sub.plan else 0
            first, terms = periods.initial_terms(end, cycle, commitment, auto_renew=sub.auto_renew)
            sub.is_trial = False
            sub.start_date = end  # the paid subscription's periods are anchored on it
            sub.billing_cycle = cycle
            sub.commitment_months = commitment
            sub.current_period_start = sub.current_period_end = None
            sub.next_billing_date = first.start  # due: the run bills [end, end + cycle)
            sub.term_end = terms.term_end
            if not sub.unit_price:
                sub.unit_price = _list_price(session, sub)
            _history(
                session,
                sub,
                "trial_to_paid",
                texts.TRIAL_CONVERTED_NOTE.format(date=end.strftime("%-d %b %Y")),
                now,
            )
            converted += 1
    return converted, expired


def send_trial_notices(
    session: Session, tenant_id: int, today: date, now: datetime | None = None
) -> int:
    """The notice before a trial ends (:data:`rules.TRIAL_NOTICE_DAYS` days before), once per
    trial, through the outbox (a tenant may turn the kind off). Returns how many were sent."""
    from core.services.notifications import notify
    from core.services.order_messages import customer_address

    now = now or utcnow()
    sent = 0
    with write_transaction(session):
        subs = list(
            session.scalars(
                select(Subscription)
                .where(
                    Subscription.tenant_id == tenant_id,
                    Subscription.is_trial.is_(True),
                    Subscription.status == rules.ACTIVE,
                    Subscription.trial_notice_sent_on.is_(None),
                    Subscription.trial_ends_on > today,
                    Subscription.trial_ends_on <= today + timedelta(days=rules.TRIAL_NOTICE_DAYS),
                )
                .options(joinedload(Subscription.product), joinedload(Subscription.plan))
                .order_by(Subscription.id)
                .with_for_update(of=Subscription)
            ).unique()
        )
        for sub in subs:
            if not rules.trial_notice_due(sub.trial_ends_on, today, False):
                continue
            sub.trial_notice_sent_on = today
            account = session.get(Account, sub.account_id)
            recipient = customer_address(session, account) if account else None
            if not recipient:
                continue
            context = trial_notice_context(sub, _list_price(session, sub) or sub.unit_price)
            notify(
                session,
                tenant_id,
                kinds.TRIAL_ENDING,
                recipient,
                context["subject"],
                context["body"],
                now=now,
                template=kinds.TRIAL_ENDING,
                context=context,
            )
            sent += 1
    return sent


def trial_notice_context(sub, unit_price: Decimal) -> dict:
    """The trial notice's subject, plain body and template values (the preview uses it too)."""
    day = sub.trial_ends_on.strftime("%-d %b %Y")
    product = sub.product.name
    if sub.trial_converts:
        amount = pricing_rules.format_money(
            pricing_rules.line_amount(unit_price or ZERO, sub.quantity, None), sub.currency
        )
        body = texts.TRIAL_NOTICE_CONVERTS.format(product=product, date=day, amount=amount)
    else:
        body = texts.TRIAL_NOTICE_EXPIRES.format(product=product, date=day)
    return {
        "subject": texts.TRIAL_NOTICE_SUBJECT.format(product=product, date=day),
        "body": body,
        "product": product,
        "trial_end": day,
        "converts": bool(sub.trial_converts),
    }


def before_billing(
    session: Session, tenant_id: int, on_date: date, now: datetime | None = None
) -> dict:
    """What the billing run does first for a tenant (each its own transaction): the trial
    notices, then the trials that end (a converted one is due on ``on_date`` and billed by the
    same run). The changes due are applied by the run's batches (:func:`apply_due_for_accounts`)."""
    return {
        "notices": send_trial_notices(session, tenant_id, on_date, now),
        "trials": end_trials(session, tenant_id, on_date, now),
    }


# --- the order of an increase: review, placement, execution ----------------------------------


def _item_full_amount(item) -> Decimal:
    return pricing_rules.line_amount(item.unit_price, item.quantity, item.discount_percent)


def order_charges(session: Session, order, on: date | Callable[[], date]) -> dict[int, NowCharge]:
    """Order item id -> :func:`now_charge` of each increase of an existing subscription in the
    order, for a change on ``on`` (one query for the subscriptions). ``on`` may be a function:
    it is only asked when the order has an increase (the tenant's today costs a query)."""
    items = [i for i in order.items if is_increase(i.kind, i.subscription_id)]
    if not items:
        return {}
    if callable(on):
        on = on()
    subs = {
        s.id: s
        for s in session.scalars(
            select(Subscription)
            .where(
                Subscription.id.in_({i.subscription_id for i in items}),
                Subscription.tenant_id == order.tenant_id,
            )
            .options(selectinload(Subscription.addons))
        )
    }
    upgrade_plans = {i.plan_id for i in items if i.kind == ItemKind.UPGRADE and i.plan_id}
    prices = pricing.plan_prices(session, order.price_list_id, upgrade_plans)
    reductions = pending_reductions(
        session, {i.subscription_id for i in items if i.kind == ItemKind.LICENSES}
    )
    charges = {}
    for item in items:
        sub = subs.get(item.subscription_id)
        if sub is None:
            continue
        extra_next, notes = None, ()
        if item.kind == ItemKind.UPGRADE:
            addons = upgrade_addons(session, sub, item.target_product_id, order.price_list_id)
            extra_next = upgrade_next_amount(sub, prices.get(item.plan_id, sub.unit_price), addons)
            notes = addons.notes
        elif item.kind == ItemKind.LICENSES:
            extra_next = licenses_next_extra(sub, item.quantity, reductions.get(sub.id), on)
        elif item.kind == ItemKind.ADDON_QUANTITY:
            owned = next((a for a in sub.addons if a.addon_id == item.addon_id), None)
            price = owned.unit_price if owned is not None else item.unit_price
            extra_next = pricing_rules.line_amount(price, item.quantity, None)
        charges[item.id] = now_charge(
            sub, item.kind, _item_full_amount(item), on, extra_next=extra_next, notes=notes
        )
    return charges


def price_order_changes(
    session: Session, order, on: date | Callable[[], date]
) -> dict[int, NowCharge]:
    """Placement: the order's increases priced for ``on`` (the day it is placed, which may
    follow the day checkout began), and the order's total what is charged now, so the credit
    check and the card charge use the amounts the review showed."""
    charges = order_charges(session, order, on)
    if not charges:
        return charges
    total = ZERO
    for item in order.items:
        charge = charges.get(item.id)
        if charge is not None:
            item.charge_now, item.charge_from, item.charge_to = (
                charge.amount,
                charge.start,
                charge.end,
            )
            total += charge.amount
        else:
            total += _item_full_amount(item)
    order.total = total
    return charges


@dataclass(frozen=True)
class ExecutedChange:
    """The invoice line of an increase executed on a day."""

    amount: Decimal  # net: the prorated amount (0 on a trial or an unbilled period)
    description: str
    period: periods.Period | None  # the days it bills, when prorated


def executed_line(session: Session, order, item, quantity: int, on: date) -> ExecutedChange:
    """Execution: the invoice line of an increase executed on ``on`` — its prorated amount
    (for the quantity executed) and its description with the dates it covers."""
    full = pricing_rules.line_amount(item.unit_price, quantity, item.discount_percent)
    sub = session.get(Subscription, item.subscription_id) if item.subscription_id else None
    if sub is None or not is_increase(item.kind, item.subscription_id):
        return ExecutedChange(full, item.description, None)
    charge = now_charge(sub, item.kind, full, on)
    if not charge.prorated:
        return ExecutedChange(charge.amount, item.description, None)
    description = texts.PRORATED_LINE.format(
        description=item.description,
        start=charge.start.strftime("%-d %b"),
        end=charge.last_day.strftime("%-d %b %Y"),
    )
    return ExecutedChange(charge.amount, description, periods.Period(charge.start, charge.end))


def upgraded_unit_price(session: Session, order, item, sub: Subscription) -> Decimal:
    """The price every license bills after an upgrade: the target plan's in the order's price
    list, else the old price plus the difference the order charged."""
    if order.price_list_id and item.plan_id:
        price = session.scalar(
            select(PlanPrice.price).where(
                PlanPrice.plan_id == item.plan_id, PlanPrice.price_list_id == order.price_list_id
            )
        )
        if price is not None:
            return price
    return (sub.unit_price or ZERO) + item.unit_price


# --- a trial bought: what its end bills (the review) ------------------------------------------


@dataclass(frozen=True)
class TrialTerms:
    """A trial in an order: free until ``ends_on``, then ``then_amount`` each ``cycle``."""

    ends_on: date
    then_amount: Decimal
    cycle: str


def order_trials(session: Session, order, today: date) -> dict[int, TrialTerms]:
    """Order item id -> what a trial started today bills after it: the plan's list price (what
    execution gives the subscription) × quantity, from the trial's end."""
    from core.rules.catalogue import trial_days_for

    items = [i for i in order.items if i.trial and i.kind == ItemKind.NEW and i.plan_id]
    if not items:
        return {}
    plans = {
        p.id: p
        for p in session.scalars(
            select(Plan)
            .where(Plan.id.in_({i.plan_id for i in items}))
            .options(joinedload(Plan.product))
        )
    }
    prices = pricing.plan_prices(session, order.price_list_id, plans)
    result = {}
    for item in items:
        plan = plans.get(item.plan_id)
        days = trial_days_for(plan.trial_days, plan.product.trial_days) if plan else None
        if not days:
            continue
        price = prices.get(plan.id, item.unit_price)
        result[item.id] = TrialTerms(
            today + timedelta(days=days),
            pricing_rules.line_amount(price, item.quantity, None),
            plan.billing_cycle if periods.is_recurring(plan.billing_cycle) else periods.MONTHLY,
        )
    return result


# --- My subscriptions: what each subscription can change, and what is pending -----------------


@dataclass
class ChangeOptions:
    """What My subscriptions shows beside a subscription (issue 17)."""

    pending: list = None  # its pending changes, soonest first
    downgrades: list = None  # (product, plan, price) cheaper targets
    effective_on: date | None = None  # when a decrease made today takes effect
    next_amount: Decimal = ZERO  # what its next period bills
    can_reduce: bool = False  # above its plan's minimum quantity
    next_bill: rules.NextBill | None = None  # the next billing, its pending changes applied


def _account_plan_prices(session: Session, account_id: int, plan_ids) -> dict[int, Decimal]:
    """Plan id -> its price in the account's price list, in one query."""
    if not plan_ids:
        return {}
    rows = session.execute(
        select(PlanPrice.plan_id, PlanPrice.price)
        .join(Account, Account.price_list_id == PlanPrice.price_list_id)
        .where(Account.id == account_id, PlanPrice.plan_id.in_(plan_ids))
    )
    return dict(rows.all())


def change_options(
    session: Session,
    account_id: int,
    subs: list[Subscription],
    targets: dict[int, list[Product]],
    today: date,
) -> dict[int, ChangeOptions]:
    """For My subscriptions, in two queries whatever the number of subscriptions: pending
    changes, the cheaper targets (``targets``: subscription id -> its upgrade targets, which
    the page has loaded already), when a decrease made today takes effect."""
    pending = pending_changes(session, [s.id for s in subs])
    chosen = {sub.id: _target_plans(sub, targets.get(sub.id, [])) for sub in subs}
    plan_ids = {plan.id for pairs in chosen.values() for _p, plan in pairs}
    prices = _account_plan_prices(session, account_id, plan_ids)
    result = {}
    for sub in subs:
        if sub.status != rules.ACTIVE:
            result[sub.id] = ChangeOptions([], [], None, ZERO, False)
            continue
        minimum = sub.plan.min_quantity if sub.plan else 1
        waiting = pending.get(sub.id, [])
        result[sub.id] = ChangeOptions(
            pending=waiting,
            downgrades=_cheaper(sub, chosen[sub.id], prices),
            effective_on=rules.effective_date(terms_of(sub), today, rules.CANCEL),
            next_amount=recurring_amount(sub),
            can_reduce=sub.quantity > minimum,
            next_bill=next_bill(sub, waiting),
        )
    return result


def next_bill(sub: Subscription, waiting: list[SubscriptionChange]) -> rules.NextBill:
    """What the subscription's next billing date bills, its pending changes applied."""
    return rules.next_bill(
        sub.next_billing_date,
        sub.unit_price or ZERO,
        sub.quantity,
        {a.addon_id: (a.unit_price or ZERO, a.quantity) for a in sub.addons},
        [
            rules.PendingFacts(c.kind, c.effective_on, c.quantity, c.addon_id, c.unit_price)
            for c in waiting
        ],
        auto_renew=bool(sub.auto_renew),
        term_end=sub.term_end,
        is_trial=bool(sub.is_trial),
    )
