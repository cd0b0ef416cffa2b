"""Checkout (PRODUCT.md 5.5): basket -> billing details and payment method -> review -> place.

Starting checkout turns the basket into an order in Draft (one per user: starting again
replaces it). Placing it happens exactly once: the order row is locked and must still be Draft,
so a double click, a retried POST, two tabs or the back button find it placed and change
nothing. A card charge is remote, so it runs between two short transactions: the first claims
the order and writes a pending Payment whose idempotency key is derived from the order (unique
in the database); the charge carries that key; the second finalizes (executes, or records the
failure). A crash between them leaves the order Submitted with a pending payment; finishing it
means asking the gateway again with the same key (it answers with the first result, so never a
second charge) and calling :func:`finalize_payment` — there is no automatic job for that yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from core import texts
from core.db import read_rows, utcnow, write_transaction
from core.enums import ExecutionType, HoldReason, ItemKind, OrderSource, PaymentMethod
from core.models import (
    Account,
    Basket,
    Invoice,
    Order,
    OrderHold,
    OrderItem,
    Payment,
    Product,
    ProductType,
    User,
)
from core.rules import accounts as account_rules
from core.rules import basket as basket_rules
from core.rules import credit as credit_rules
from core.rules import placement
from core.rules import pricing as pricing_rules
from core.rules import scheduling_window as window_rules
from core.rules.catalogue import line_on_sale
from core.rules.placement import Decision, PlacementFacts
from core.rules.statuses import StatusKey, StorefrontType
from core.services import basket as basket_service
from core.services import (
    catalogue,
    invoicing,
    notifications,
    order_messages,
    subscription_changes,
    webhooks,
)
from core.services import payments as pay
from core.services import promotions as promotion_service
from core.services.audit import hold_event, order_event, record_order_events
from core.services.catalogue import ON_SALE
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.execution import apply_execution, lock_order
from core.services.order_factory import ItemSpec, build_order
from core.services.statuses import StatusBook, set_order_status


def money(amount: Decimal, currency: str = "EUR") -> str:
    return pricing_rules.format_money(amount, currency)  # the one money format


def actor_name(user: User | None) -> str:
    return f"{user.name} (Storefront)" if user else "system"


# --- start ----------------------------------------------------------------------------------


def _specs(view: basket_service.BasketView) -> list[ItemSpec]:
    specs: list[ItemSpec] = []
    for line in view.lines:
        parent_index = len(specs)
        specs.append(_spec(line, None))
        specs.extend(_spec(child, parent_index) for child in line.children)
    return specs


def _spec(line: basket_service.BasketLine, parent_index: int | None) -> ItemSpec:
    item = line.item
    return ItemSpec(
        product_id=item.product_id,
        description=line.description[:300],
        quantity=item.quantity,
        unit_price=line.unit_price,
        kind=item.kind,
        plan_id=item.plan_id,
        addon_id=item.addon_id,
        subscription_id=item.subscription_id,
        target_product_id=item.target_product_id,
        execution_type=line.execution_type,
        trial=item.trial,
        discount_percent=line.discount_percent,
        parent_index=parent_index,
        charge_now=line.charge.amount if line.charge else None,
        charge_from=line.charge.start if line.charge else None,
        charge_to=line.charge.end if line.charge else None,
    )


# the statements every checkout runs, built once with bound parameters (issue 19: building
# them cost more CPU than running them)
_DRAFT_IDS = (
    select(Order.id)
    .where(
        Order.tenant_id == bindparam("tenant_id"),
        Order.account_id == bindparam("account_id"),
        Order.created_by_user_id == bindparam("user_id"),
        Order.source == OrderSource.STOREFRONT,
        Order.status_id == bindparam("status_id"),
    )
    .with_for_update()
)
_LOCK_BASKET = select(Basket.id).where(Basket.user_id == bindparam("user_id")).with_for_update()
_LOCK_ACCOUNT = (
    select(Account)
    .where(Account.id == bindparam("account_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_ACCOUNT = (
    select(Account)
    .where(Account.id == bindparam("account_id"), Account.tenant_id == bindparam("tenant_id"))
    .options(joinedload(Account.price_list))
)
_PRODUCTS_NOW = (
    select(
        Product.id,
        Product.is_bundle,
        ProductType.non_automatic_execution,
        and_(*ON_SALE).label("on_sale"),
    )
    .join(ProductType, ProductType.id == Product.product_type_id)
    .where(Product.id.in_(bindparam("product_ids", expanding=True)))
)
_OPEN_HOLDS = select(OrderHold).where(
    OrderHold.order_id == bindparam("order_id"), OrderHold.released_at.is_(None)
)
_PAYMENT = Payment.__table__
_INSERT_PAYMENT = _PAYMENT.insert()
# a paid order's payment linked to the invoice its execution issued (built once)
_LINK_PAYMENT = (
    _PAYMENT.update()
    .where(
        _PAYMENT.c.order_id == bindparam("b_order_id"),
        _PAYMENT.c.status == pay.SUCCEEDED,
        _PAYMENT.c.invoice_id.is_(None),
    )
    .values(
        invoice_id=bindparam("b_invoice_id"),
        value_date=func.coalesce(_PAYMENT.c.value_date, bindparam("b_day")),
    )
)
# a Core UPDATE on the transaction's connection (issue 19, eighth pass: the ORM's bulk UPDATE
# looked for the payment among the session's objects; none is there, the checkout and Pay now
# write their pending payments with Core INSERTs)
_CLAIM_PAYMENT = (
    _PAYMENT.update()
    .where(
        _PAYMENT.c.idempotency_key == bindparam("b_key"),
        _PAYMENT.c.order_id == bindparam("b_order_id"),
        _PAYMENT.c.status == pay.PENDING,
    )
    .values(
        status=bindparam("b_status"),
        gateway_reference=bindparam("b_reference"),
        message=bindparam("b_message"),
    )
    .returning(_PAYMENT.c.card_last4)
)


def discard_drafts(session: Session, order_ids: list[int]) -> None:
    """Delete abandoned Draft orders, inside the caller's transaction: add-on lines before the
    lines they belong to (``order_item.parent_item_id`` does not cascade, and the ORM does not
    know the two are related, so deleting the order row by row broke on add-ons), then the
    orders; their holds and history lines go with them (``ON DELETE CASCADE``)."""
    if not order_ids:
        return
    items = delete(OrderItem).where(OrderItem.order_id.in_(order_ids))
    session.execute(items.where(OrderItem.parent_item_id.is_not(None)))
    session.execute(items)
    session.execute(delete(Order).where(Order.id.in_(order_ids)))


def lock_basket(session: Session, user: User) -> int | None:
    """Take the user's basket row (PostgreSQL ``FOR UPDATE``; SQLite writes are serialised by
    ``BEGIN IMMEDIATE``), so concurrent checkouts of one basket place one order (issue 8).
    Returns the basket's id (None: the user has none)."""
    return read_rows(session, _LOCK_BASKET, {"user_id": user.id}).scalar()


def lock_account(session: Session, account_id: int) -> Account:
    """The account, locked: credit decisions of one account happen one at a time, so two
    placements never both spend the same available credit (issue 8)."""
    return session.scalars(_LOCK_ACCOUNT, {"account_id": account_id}).one()


def start_checkout(
    session: Session,
    tenant_id: int,
    user: User,
    now: datetime | None = None,
    *,
    today: date | None = None,
) -> Order:
    """Create the Draft order from the basket (replacing this user's earlier draft).
    ``today``: the tenant's day (promotions), read from the tenant when not given."""
    now = now or utcnow()
    with write_transaction(session):
        lock_basket(session, user)  # one checkout of a basket at a time (issue 8)
        account = _account(session, tenant_id, user)
        if account.registration_pending:  # issue 14: self-registered, not yet approved
            raise Conflict(texts.REGISTRATION_PENDING)
        view = basket_service.load_basket(session, tenant_id, user, account, now, today=today)
        if view.empty:
            raise Conflict(texts.CHECKOUT_EMPTY_BASKET)
        if view.mixed:  # rule 4.2, made false by a Setup change after the lines were added
            raise Conflict(texts.BASKET_MIXED)
        if view.unavailable:
            raise Conflict(texts.BASKET_HAS_UNAVAILABLE)
        book = StatusBook.load(session, tenant_id)
        old = {
            "tenant_id": tenant_id,
            "account_id": user.account_id,
            "user_id": user.id,
            "status_id": book.draft().id,
        }
        discard_drafts(session, list(read_rows(session, _DRAFT_IDS, old).scalars()))
        return build_order(
            session,
            tenant_id=tenant_id,
            account=account,
            status=book.draft(),
            items=_specs(view),
            source=OrderSource.STOREFRONT,
            actor=user,
            actor_name=actor_name(user),
            currency=account.price_list.currency if account.price_list else "EUR",
            order_date=now,
            note="Checkout started on the Storefront",
            billing_name=account.billing_name or account.name,
            billing_address=account.billing_address,
            idempotency_key=secrets.token_hex(16),
            read_items=False,  # the next page reads the draft (issue 19)
        )


def _account(session: Session, tenant_id: int, user: User) -> Account:
    account = session.scalar(_ACCOUNT, {"account_id": user.account_id, "tenant_id": tenant_id})
    if account is None:
        raise NotFound("Your account does not exist.")
    return account


def payment_methods(account: Account) -> list[str]:
    """Card always; on account only for accounts that have it (the rule BSS Edit uses too)."""
    return list(account_rules.allowed_payment_methods(account.payment_method))


def _own_order(
    session: Session, tenant_id: int, user: User, order_id: int, lock=False, items=True
) -> Order:
    values = {
        "order_id": order_id,
        "tenant_id": tenant_id,
        "account_id": user.account_id,
        "user_id": user.id,
    }
    # unique(): the items come joined, one row each (at most one order: its id is given)
    order = session.scalars(_own_order_query(lock, items), values).unique().one_or_none()
    if order is None:
        raise NotFound("That checkout does not exist.")
    return order


@cache
def _own_order_query(lock: bool, items: bool):
    """The customer's own order, built once per variant (issue 19: building the statement and
    its loader options cost more CPU than running it, on every step of the checkout)."""
    query = (
        select(Order)
        .where(
            Order.id == bindparam("order_id"),
            Order.tenant_id == bindparam("tenant_id"),
            Order.account_id == bindparam("account_id"),
            Order.created_by_user_id == bindparam("user_id"),
        )
        .options(joinedload(Order.status), joinedload(Order.account))
    )
    if items:  # with what each item's price is for (issue 13: the review shows it), joined
        # (issue 19, fifth pass: they were a second statement)
        query = query.options(
            joinedload(Order.items).options(
                joinedload(OrderItem.plan), joinedload(OrderItem.product)
            )
        )
    if lock:
        query = query.with_for_update(of=Order).execution_options(populate_existing=True)
    return query


def get_draft(
    session: Session, tenant_id: int, user: User, order_id: int, *, items: bool = True
) -> Order:
    """The customer's Draft order; ``items=False`` when the page shows none of them."""
    order = _own_order(session, tenant_id, user, order_id, items=items)
    if order.status.storefront_type != StorefrontType.DRAFT:
        raise Conflict(texts.CHECKOUT_NOT_DRAFT)
    return order


def save_billing(
    session: Session,
    tenant_id: int,
    user: User,
    order_id: int,
    *,
    billing_name: str,
    billing_address: str,
    payment_method: str,
) -> Order:
    with write_transaction(session):
        # billing details only: the items are not read (issue 19)
        order = _own_order(session, tenant_id, user, order_id, lock=True, items=False)
        if order.status.storefront_type != StorefrontType.DRAFT:
            raise Conflict(texts.CHECKOUT_NOT_DRAFT)
        errors: dict[str, list[str]] = {}
        name, address = (billing_name or "").strip(), (billing_address or "").strip()
        if not name:
            errors["billing_name"] = [texts.BILLING_NAME_REQUIRED]
        elif len(name) > account_rules.NAME_MAX:  # the account's own billing name's limit
            errors["billing_name"] = [
                texts.ACCOUNT_FIELD_TOO_LONG.format(max=account_rules.NAME_MAX)
            ]
        if not address:
            errors["billing_address"] = [texts.BILLING_ADDRESS_REQUIRED]
        elif len(address) > account_rules.ADDRESS_MAX:
            errors["billing_address"] = [
                texts.ACCOUNT_FIELD_TOO_LONG.format(max=account_rules.ADDRESS_MAX)
            ]
        if payment_method not in payment_methods(order.account):
            errors["payment_method"] = [texts.PAYMENT_METHOD_INVALID]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        order.billing_name = name
        order.billing_address = address
        order.payment_method = payment_method
        return order


# --- review ---------------------------------------------------------------------------------


@dataclass
class Review:
    order: Order
    credit: basket_service.CreditState
    schedulable: bool
    first_date: date
    last_date: date
    needs_card: bool
    amount_due_now: Decimal | None = None  # what "Place order" charges at once, if anything
    # the VAT and the total to pay, as the invoice will carry them (charged now or not)
    tax: invoicing.OrderTax | None = None
    # issue 17: order item id -> the prorated charge now of an increase, and what follows
    charges: dict = field(default_factory=dict)
    trials: dict = field(default_factory=dict)  # item id -> what a trial bills after its end

    @property
    def manual(self) -> bool:
        return self.order.execution_type == ExecutionType.MANUAL

    @property
    def credit_ribbon(self) -> credit_rules.CreditRibbon | None:
        credit = self.credit
        return credit_rules.credit_ribbon(
            credit.limit, credit.balance, self.order.total, bool(self.order.items)
        )


def _schedulable(order: Order) -> bool:
    return window_rules.can_schedule(
        (
            window_rules.SchedulableLine(
                i.kind, i.trial, for_existing_subscription=bool(i.subscription_id)
            )
            for i in order.items
        ),
        order.execution_type,
    )


def _needs_card(order: Order) -> bool:
    return (
        order.payment_method == PaymentMethod.CARD
        and order.execution_type == ExecutionType.AUTOMATIC
        and order.total > 0
    )


def review(
    session: Session, tenant_id: int, user: User, order_id: int, now: datetime | None = None
) -> Review:
    now = now or utcnow()
    order = get_draft(session, tenant_id, user, order_id)
    first, last = window_rules.window(now, user.timezone or order.account.timezone)
    charges = subscription_changes.order_charges(
        session, order, lambda: promotion_service.tenant_today(session, tenant_id, now)
    )
    trials = {}
    if any(i.trial for i in order.items):
        today = promotion_service.tenant_today(session, tenant_id, now)
        trials = subscription_changes.order_trials(session, order, today)
    credit = basket_service.credit_state(
        session, tenant_id, order.account, order.total, exclude_order_id=order.id
    )
    needs_card = _needs_card(order)
    tax = invoicing.order_tax(session, order)  # the gross is what a card is charged
    placed_now = placement.decide(
        PlacementFacts(
            execution_type=order.execution_type,
            total=order.total,
            payment_method=order.payment_method,
            credit_excess=credit.excess,
            scheduled_for=None,
            needs_reseller_approval=order.account.reseller_account_id is not None,
        )
    )
    return Review(
        order=order,
        credit=credit,
        schedulable=_schedulable(order),
        first_date=first,
        last_date=last,
        needs_card=needs_card,
        amount_due_now=tax.gross if needs_card and placed_now.charge else None,
        charges=charges,
        trials=trials,
        tax=tax,
    )


def date_format(user: User | None) -> str:
    """The customer's date format: the field, its hint and the messages all use it."""
    return (user.date_format if user else None) or "%d/%m/%Y"


def parse_day(raw, fmt: str) -> date:
    """A date typed in the customer's format (or ISO, as a date picker sends it)."""
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return date.fromisoformat(text)


# --- place ----------------------------------------------------------------------------------


@dataclass
class PlaceResult:
    order: Order
    decision: Decision | None
    already_placed: bool = False


WHEN_CHOICES = ("now", "scheduled")  # execute at once, or on the date the customer chose


def _parse_schedule(
    order: Order, when: str, raw_date, now: datetime, tz: str, fmt: str = "%d/%m/%Y"
) -> date | None:
    if when != "scheduled":
        return None
    if not _schedulable(order):
        raise ValidationFailed(
            texts.SCHEDULE_NOT_ALLOWED, {"schedule_on": [texts.SCHEDULE_NOT_ALLOWED]}
        )
    first, last = window_rules.window(now, tz)
    message = texts.SCHEDULE_DATE_INVALID.format(first=first.strftime(fmt), last=last.strftime(fmt))
    try:
        day = parse_day(raw_date, fmt)
    except ValueError:
        raise ValidationFailed(message, {"schedule_on": [message]}) from None
    if not window_rules.date_allowed(day, now, tz):
        raise ValidationFailed(message, {"schedule_on": [message]})
    return day


def add_pending_card_payment(
    session: Session,
    order: Order,
    gateway_name: str,
    last4: str | None,
    key: str,
    now: datetime | None = None,
    tax: invoicing.TaxContext | None = None,
) -> None:
    """The card payment row written before the gateway is called (claimed in one short
    transaction, charged outside it): the checkout's charge and every Pay now attempt. A Core
    INSERT, written now (issue 19, eighth pass: an ORM object nobody reads back in its
    transaction; the claim after it is a Core UPDATE too, see :func:`finalize_payment`)."""
    values = {
        "tenant_id": order.tenant_id,
        "order_id": order.id,
        "amount": invoicing.charge_amount(order, tax),
        "currency": order.currency,
        "method": PaymentMethod.CARD,
        "status": pay.PENDING,
        "gateway": gateway_name,
        "card_last4": last4,
        "idempotency_key": key,
        "created_at": now or utcnow(),
    }
    session.connection().execute(_INSERT_PAYMENT, values)


def charge_key(order: Order) -> str:
    # the checkout's random key (unique per tenant) keeps it unique across databases too
    return f"t{order.tenant_id}-{order.idempotency_key or order.number}-charge"


def place(session: Session, tenant_id: int, user: User, order_id: int, **options) -> PlaceResult:
    """Place a Draft order once (:func:`_place`). A card placement's two transactions are
    one use case: the tenant's webhook endpoints are read by the first only (issue 19)."""
    with webhooks.endpoints_read_once(session):
        return _place(session, tenant_id, user, order_id, **options)


def _place(
    session: Session,
    tenant_id: int,
    user: User,
    order_id: int,
    *,
    when: str = "now",
    schedule_on=None,
    card: dict | None = None,
    checkout_key: str | None = None,
    now: datetime | None = None,
    gateway: pay.PaymentGateway | None = None,
) -> PlaceResult:
    """Place a Draft order once. Returns the order (``already_placed`` for a repeat).

    ``checkout_key`` is the key the review page showed: if the checkout was restarted since
    (another tab), the order is not what the customer reviewed and is not placed."""
    if when not in WHEN_CHOICES:  # before anything is read, locked or charged
        raise ValidationFailed(texts.CHECKOUT_WHEN_INVALID, {"when": [texts.CHECKOUT_WHEN_INVALID]})
    now = now or utcnow()
    gateway = gateway or pay.default_gateway()
    pending_card: pay.CardDetails | None = None
    # the tenant's tax settings, read once for what the card is charged and for the invoice
    # of the execution after it (issue 19: they were read three times)
    tax: invoicing.TaxContext | None = None
    with write_transaction(session):
        # before the order: the lock order start_checkout uses
        basket_id = lock_basket(session, user)
        order = lock_order(session, tenant_id, order_id, joined=True)
        if order.account_id != user.account_id or order.created_by_user_id != user.id:
            raise NotFound("That checkout does not exist.")
        if checkout_key is not None and checkout_key != order.idempotency_key:
            raise Conflict(texts.CHECKOUT_CHANGED)
        # the tenant's statuses: the order's own comes from them (no query of its own)
        book = StatusBook.load(session, tenant_id)
        if order.status.storefront_type != StorefrontType.DRAFT:
            return PlaceResult(order, None, already_placed=True)
        if not order.items:
            raise Conflict(texts.CHECKOUT_EMPTY_BASKET)
        check_products_unchanged(session, order)
        subscription_changes.refuse_changes_of_unchangeable(session, order)
        account = lock_account(session, order.account_id)
        # issue 17: increases priced for the day of placement (the total is what is charged now)
        subscription_changes.price_order_changes(
            session, order, lambda: promotion_service.tenant_today(session, tenant_id, now)
        )
        tz = user.timezone or account.timezone
        scheduled_for = _parse_schedule(order, when, schedule_on, now, tz, date_format(user))
        credit = basket_service.credit_state(
            session, tenant_id, account, order.total, exclude_order_id=order.id
        )
        facts = PlacementFacts(
            execution_type=order.execution_type,
            total=order.total,
            payment_method=order.payment_method,
            credit_excess=credit.excess,
            scheduled_for=scheduled_for,
            needs_reseller_approval=account.reseller_account_id is not None,
        )
        decision = placement.decide(facts, money=lambda a: money(a, order.currency))
        card_details = None
        if _needs_card(order) and (decision.charge or decision.status_key in _DEFERRED):
            tax = invoicing.TaxContext.load(session, tenant_id)
            card_details = pay.card_or_refuse(card, now.date())
        # with the status: one UPDATE of the order writes all three (issue 19), now (eighth
        # pass: no flush for it); the placement's history line is written with the decision's
        placed = {"scheduled_for": scheduled_for, "order_date": now}
        lines: list[dict] = []
        if decision.status_key not in _DEFERRED:
            set_order_status(
                session,
                order,
                book.submitted(),
                actor=user,
                actor_name=actor_name(user),
                note="Placed on the Storefront",
                lines=lines,
                columns=placed,
            )
        else:  # the decision's status (on hold) goes with them
            for name, value in placed.items():
                setattr(order, name, value)
        pending = _apply_decision(
            session, order, decision, book, now, user, card_details, gateway, tax, lines
        )
        if pending is not None:
            pending_card = card_details
        if basket_id:
            basket_service.clear(session, basket_id)
        order_id = order.id
    if pending_card is None:
        return PlaceResult(order, decision)
    result = charge_order(gateway, order, pending_card, None, tax=tax)
    finalize_payment(
        session,
        tenant_id,
        order_id,
        charge_key(order),
        result,
        now=now,
        actor=user,
        tax=tax,
        book=book,
        # issue 17: the account's renewals are charged to this card (kept in the same
        # transaction since issue 19: it was a third one)
        card=pending_card,
        gateway=gateway,
    )
    return PlaceResult(order, decision)


_DEFERRED = (StatusKey.SCHEDULED, StatusKey.PENDING_RESELLER_APPROVAL)


def check_products_unchanged(session: Session, order: Order) -> None:
    """At placement, in one query (issue 19: it was two), with the order's products as they
    are now: rule 4.2, its lines are of one delivery method (else the mixed-basket message)
    and of the one the customer reviewed (else the checkout changed: a manual service is
    never executed automatically); and every product is still on sale (else the basket holds
    products no longer sold: retired or unpublished after checkout began)."""
    ordered = {i.product_id for i in order.items}
    # an upgrade sells its target: whether that is on sale (core.rules.catalogue.line_on_sale)
    targets = {i.target_product_id for i in order.items if i.target_product_id}
    rows = read_rows(session, _PRODUCTS_NOW, {"product_ids": list(ordered | targets)}).all()
    current = catalogue.execution_types_of(
        session, {tuple(row[:3]) for row in rows if row.id in ordered}
    )
    reviewed = [i.execution_type for i in order.items]
    if basket_rules.is_mixed(current.values()) or basket_rules.is_mixed(reviewed):
        raise Conflict(texts.BASKET_MIXED)
    if any(current[i.product_id] != i.execution_type for i in order.items):
        raise Conflict(texts.CHECKOUT_CHANGED)
    on_sale = {row.id: row.on_sale for row in rows}
    if not all(
        line_on_sale(i.kind, on_sale[i.product_id], on_sale.get(i.target_product_id, False))
        for i in order.items
    ):
        raise Conflict(texts.BASKET_HAS_UNAVAILABLE)


def charge_order(
    gateway, order: Order, card, token, key: str | None = None, tax=None
) -> pay.ChargeResult:
    try:
        return gateway.charge(
            amount=invoicing.charge_amount(order, tax),
            currency=order.currency,
            idempotency_key=key or charge_key(order),
            card=card,
            token=token,
        )
    except Exception as error:  # a gateway outage is a failed payment, not a crash
        return pay.ChargeResult(pay.ERROR, None, f"The payment service is unavailable ({error}).")


def _apply_decision(
    session: Session,
    order: Order,
    decision: Decision,
    book: StatusBook,
    now: datetime,
    actor: User | None,
    card: pay.CardDetails | None,
    gateway,
    tax: invoicing.TaxContext | None = None,
    lines: list[dict] | None = None,
) -> str | None:
    """Write the decision: holds and status, or a pending card payment (returns its key), or
    the execution itself (on account / nothing to charge). ``lines``: the order's history
    lines the caller has not written yet (the placement's status), written with this
    decision's first ones (one INSERT)."""
    name = actor_name(actor)
    lines = [] if lines is None else lines
    if decision.holds:
        for hold in decision.holds:
            session.add(
                OrderHold(order_id=order.id, reason=hold.reason, detail=hold.detail, placed_at=now)
            )
            lines.append(
                hold_event(
                    order,
                    "hold",
                    texts.HOLD_PLACED_NOTE,
                    hold.reason,
                    actor=actor,
                    actor_name=name,
                    detail=hold.detail,
                )
            )
        status = (
            book.submitted()
            if decision.status_key == StatusKey.SUBMITTED
            else (book.by_key(decision.status_key))
        )
        set_order_status(
            session, order, status, actor=actor, actor_name=name, note="On hold", lines=lines
        )
        record_order_events(session, lines)
        if card is not None and decision.status_key in _DEFERRED:
            # keep a gateway token (never the number) to charge when the holds are released
            session.add(
                Payment(
                    tenant_id=order.tenant_id,
                    order_id=order.id,
                    amount=invoicing.charge_amount(order, tax),
                    currency=order.currency,
                    method=PaymentMethod.CARD,
                    status=pay.AWAITING,
                    gateway=gateway.name,
                    gateway_reference=gateway.tokenize(card),
                    card_last4=card.last4,
                    idempotency_key=charge_key(order),
                )
            )
        customer_told = _notify_holds(session, order, decision, now)
        # who else is told (issue 16): the reseller asked to approve, or the customer
        if decision.status_key == StatusKey.PENDING_RESELLER_APPROVAL:
            order_messages.approval_requested(session, order, now)
        elif decision.status_key != StatusKey.SCHEDULED and not customer_told:
            order_messages.submitted(session, order, now)
        session.flush()
        return None
    if decision.charge and order.payment_method == PaymentMethod.CARD:
        add_pending_card_payment(
            session, order, gateway.name, card.last4 if card else None, charge_key(order), tax=tax
        )
        lines.append(
            order_event(order, "note", actor=actor, actor_name=name, note="Card payment started")
        )
        record_order_events(session, lines)
        session.flush()
        return charge_key(order)
    record_order_events(session, lines)
    apply_execution(session, order, None, actor=None, actor_name=name, now=now, book=book)
    return None


def _notify_holds(session: Session, order: Order, decision: Decision, now=None) -> bool:
    """Who a hold concerns is told: on a credit hold the customer (its order waits for a
    review) and the account's manager (arrange payment, then execute); on a manual order the
    operations address. True when the customer was told (it needs no "submitted" message)."""
    account = order.account
    reasons = decision.reasons
    customer_told = False
    if HoldReason.CREDIT_LIMIT in reasons:
        detail = next(h.detail for h in decision.holds if h.reason == HoldReason.CREDIT_LIMIT)
        customer_told = order_messages.credit_review(session, order, detail, now)
        manager = session.get(User, account.manager_user_id) if account.manager_user_id else None
        if manager is not None and manager.email:
            notifications.notify(
                session,
                order.tenant_id,
                "credit_limit",
                manager.email,
                texts.NOTIFY_CREDIT_SUBJECT.format(number=order.number),
                texts.NOTIFY_CREDIT_BODY.format(
                    number=order.number, account=account.name, detail=detail
                ),
                order.id,
            )
    if HoldReason.MANUAL_EXECUTION in reasons:
        recipient = notifications.operations_email(session, order.tenant_id)
        notifications.notify(
            session,
            order.tenant_id,
            "manual_order",
            recipient,
            texts.NOTIFY_MANUAL_SUBJECT.format(number=order.number),
            texts.NOTIFY_MANUAL_BODY.format(number=order.number, account=account.name),
            order.id,
        )
    return customer_told


def finalize_payment(
    session: Session,
    tenant_id: int,
    order_id: int,
    key: str,
    result: pay.ChargeResult,
    *,
    now: datetime | None = None,
    actor: User | None = None,
    tax: invoicing.TaxContext | None = None,
    book: StatusBook | None = None,
    card: pay.CardDetails | None = None,
    gateway: pay.PaymentGateway | None = None,
) -> Order:
    """Second transaction of a card placement: record the gateway's answer, then execute (or
    put the order on a payment-failed hold). Does nothing if already finalized. ``tax``: the
    tax settings the charge was computed with (the invoice uses the same); ``book``: the
    statuses the placement read (not read again); ``card`` and ``gateway``: a paid card is
    kept for the account's renewals (issue 17), in this transaction."""
    now = now or utcnow()
    with write_transaction(session):
        order = lock_order(session, tenant_id, order_id, joined=True)
        # the pending payment claimed and its answer written in one conditional UPDATE (issue
        # 19: a locked read, then an UPDATE): a second finalize finds nothing pending
        answer = _answer(result)
        claimed = (
            session.connection()
            .execute(
                _CLAIM_PAYMENT,
                {
                    "b_key": key,
                    "b_order_id": order.id,
                    "b_status": answer["status"],
                    "b_reference": answer["gateway_reference"],
                    "b_message": answer["message"],
                },
            )
            .first()
        )
        if claimed is None:
            return order
        _apply_result(session, order, claimed.card_last4, result, now, actor, tax, book)
        if result.succeeded and card is not None and gateway is not None:
            from core.services.invoice_payment import keep_card

            keep_card(session, order.account_id, gateway, card, now)
        return order


def execute_paid(
    session: Session,
    order: Order,
    now: datetime,
    *,
    actor_name: str,
    tax: invoicing.TaxContext | None = None,
    book: StatusBook | None = None,
) -> None:
    """A card payment succeeded: execute the order (inside the caller's transaction, order
    locked), issue its invoice paid and link the payment to that invoice, so the invoice's
    pages, its PDF and what is owed all see the payment. The checkout, Pay now and a held
    order's charge all end here."""
    # its invoice is issued paid (issue 19: it was issued open, then updated)
    result = apply_execution(
        session,
        order,
        None,
        actor=None,
        actor_name=actor_name,
        now=now,
        tax=tax,
        book=book,
        paid=True,
    )
    if result.invoice is not None:
        link_payment(session, order.id, result.invoice.id, now.date())


def keep_order_card(session: Session, order: Order, account: Account, now: datetime) -> None:
    """The card kept at placement (a gateway token on the order's payment) paid a held or
    scheduled order: it becomes the account's card for its renewals, as a card paid at
    checkout does (a reseller-approved order's card was not kept: its renewals failed with
    "No card on file" and ended in suspension)."""
    from core.services.invoice_payment import save_card

    payment = session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            Payment.status == pay.SUCCEEDED,
            Payment.method == PaymentMethod.CARD,
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    token = payment.gateway_reference if payment is not None else None
    if token and payment.card_last4:
        save_card(session, account, payment.gateway or "sandbox", token, payment.card_last4, now)


def link_payment(session: Session, order_id: int, invoice_id: int, day: date) -> None:
    """The order's succeeded payment (one per order: the rule allows no second) becomes a
    payment of the invoice its execution issued: one Core UPDATE; a loaded Payment object of
    the order is told the new values without a read."""
    session.flush()  # a payment's status set on its object (Pay now) is in the database first
    session.connection().execute(
        _LINK_PAYMENT, {"b_order_id": order_id, "b_invoice_id": invoice_id, "b_day": day}
    )
    for obj in list(session.identity_map.values()):
        loaded = obj.__dict__  # what is loaded, read without loading anything
        if (
            isinstance(obj, Payment)
            and loaded.get("order_id") == order_id
            and loaded.get("status") == pay.SUCCEEDED
            and "invoice_id" in loaded
            and loaded["invoice_id"] is None
        ):
            set_committed_value(obj, "invoice_id", invoice_id)
            if loaded.get("value_date") is None:
                set_committed_value(obj, "value_date", day)


def _answer(result: pay.ChargeResult) -> dict:
    """The payment's columns that record the gateway's answer."""
    return {
        "status": result.status,
        "gateway_reference": result.reference,
        "message": (result.message or "")[:300] or None,
    }


def _record_result(session, order, payment, result, now, actor, tax=None, book=None) -> None:
    for column, value in _answer(result).items():
        setattr(payment, column, value)
    _apply_result(session, order, payment.card_last4, result, now, actor, tax, book)


def _apply_result(session, order, last4, result, now, actor, tax=None, book=None) -> None:
    """The gateway's answer, recorded on the payment: execute the order, or hold it."""
    name = actor_name(actor)
    if result.succeeded:
        execute_paid(session, order, now, actor_name=name, tax=tax, book=book)
        return
    session.add(
        OrderHold(
            order_id=order.id,
            reason=HoldReason.PAYMENT_FAILED,
            detail=result.message or result.status,
            placed_at=now,
        )
    )
    failed = texts.PAYMENT_EVENT_FAILED.format(
        attempt=1, last4=last4 or "????", reason=result.message or texts.PAYMENT_DECLINED
    )
    record_order_events(
        session,
        [
            order_event(order, "note", actor=actor, actor_name=name, note=failed),
            hold_event(
                order,
                "hold",
                texts.HOLD_PLACED_NOTE,
                HoldReason.PAYMENT_FAILED,
                actor=actor,
                actor_name=name,
                detail=result.message or result.status,
            ),
        ],
    )
    order_messages.payment_failed(session, order, result.message or result.status, now)


def proceed_after_holds(
    session: Session,
    order: Order,
    now: datetime | None = None,
    *,
    actor: User | None = None,
    gateway: pay.PaymentGateway | None = None,
) -> Decision:
    """Run the placement outcome again once a hold was released (e.g. the reseller approved,
    or the scheduled date came). Inside the caller's transaction; ``order`` must be locked
    (:func:`core.services.execution.lock_order`).

    If other holds remain open, nothing happens. Otherwise the decision is made again with
    the released holds taken into account: new holds are placed, or the order is charged (a
    card kept as a gateway token at placement) and executed. The sandbox gateway is local, so
    charging inside the transaction is acceptable here; the idempotency key still guarantees
    one charge per order.
    """
    now = now or utcnow()
    gateway = gateway or pay.default_gateway()
    open_reasons = [h.reason for h in order.holds if h.released_at is None]
    if open_reasons:
        return Decision(
            order.status.mandatory_key or StatusKey.SUBMITTED,
            [placement.Hold(r) for r in open_reasons],
        )
    account = lock_account(session, order.account_id)
    released = frozenset(h.reason for h in order.holds if h.released_at is not None)
    credit = basket_service.credit_state(
        session, order.tenant_id, account, order.total, exclude_order_id=order.id
    )
    facts = PlacementFacts(
        execution_type=order.execution_type,
        total=order.total,
        payment_method=order.payment_method,
        credit_excess=credit.excess,
        scheduled_for=order.scheduled_for,
        needs_reseller_approval=account.reseller_account_id is not None,
        released=released,
    )
    decision = placement.decide(facts, money=lambda a: money(a, order.currency))
    book = StatusBook.load(session, order.tenant_id)
    if decision.holds:
        _apply_decision(session, order, decision, book, now, actor, None, gateway)
        return decision
    if (
        order.status.storefront_type != StorefrontType.VIEWABLE
        or order.status.type != "in_progress"
    ):
        set_order_status(
            session,
            order,
            book.submitted(),
            actor=actor,
            actor_name=actor_name(actor),
            note="Released",
        )
    payment = session.scalar(
        select(Payment).where(Payment.idempotency_key == charge_key(order)).with_for_update()
    )
    if decision.charge and order.payment_method == PaymentMethod.CARD:
        if payment is None or payment.status not in (pay.AWAITING, pay.PENDING):
            if payment is not None and payment.status == pay.SUCCEEDED:
                return decision
            session.add(
                OrderHold(
                    order_id=order.id,
                    reason=HoldReason.PAYMENT_FAILED,
                    detail="No card on file for this order.",
                    placed_at=now,
                )
            )
            return decision
        token = payment.gateway_reference
        payment.status = pay.PENDING
        result = charge_order(gateway, order, None, token)
        _record_result(session, order, payment, result, now, actor)
        if result.succeeded and token and payment.card_last4:
            # the card kept at placement paid: the account's renewals are charged to it too
            from core.services.invoice_payment import save_card

            save_card(
                session, account, payment.gateway or gateway.name, token, payment.card_last4, now
            )
        return decision
    apply_execution(session, order, None, actor=actor, actor_name=actor_name(actor), now=now)
    return decision


# --- confirmation ---------------------------------------------------------------------------


@dataclass
class Confirmation:
    order: Order
    kind: str
    message: str
    invoices: list[InvoiceLink]
    messages: list[str] = field(default_factory=list)  # one per open hold, most important first

    def __post_init__(self) -> None:
        self.messages = self.messages or [self.message]

    @property
    def payment_failed(self) -> bool:
        return self.kind == "payment_failed"


# what the customer reads for each open hold, in the order they matter to them
_HOLD_CONFIRMATIONS = (
    (HoldReason.RESELLER_APPROVAL, "reseller"),
    (HoldReason.MANUAL_EXECUTION, "manual"),
    (HoldReason.CREDIT_LIMIT, "credit"),
    (HoldReason.PAYMENT_FAILED, "payment_failed"),
    (HoldReason.SCHEDULED, "scheduled"),
)


def _hold_message(kind: str, hold: OrderHold, order: Order, fmt: str) -> str:
    if kind == "reseller":
        return texts.RESELLER_APPROVAL_CONFIRMATION
    if kind == "manual":
        return texts.MANUAL_ORDER_CONFIRMATION
    if kind == "credit":
        return texts.CREDIT_REVIEW_CONFIRMATION
    if kind == "payment_failed":
        return texts.PAYMENT_FAILED_CONFIRMATION.format(reason=hold.detail or "")
    day = order.scheduled_for.strftime(fmt) if order.scheduled_for else ""
    if order.payment_method == PaymentMethod.CARD:
        return texts.SCHEDULED_ORDER_CONFIRMATION.format(date=day)
    return texts.SCHEDULED_ORDER_CONFIRMATION_ON_ACCOUNT.format(date=day)


# the order's last payment's status, read with the order (issue 19, fifth pass: a statement
# of its own); it only matters when no hold explains the order
_LAST_PAYMENT_STATUS = (
    select(Payment.status)
    .where(Payment.order_id == Order.id)
    .order_by(Payment.id.desc())
    .limit(1)
    .correlate(Order)
    .scalar_subquery()
)
# whether the order has open holds (issue 19, sixth pass): they are read only when there is
# one (an executed card order has none)
_HAS_OPEN_HOLDS = (
    select(OrderHold.id)
    .where(OrderHold.order_id == Order.id, OrderHold.released_at.is_(None))
    .correlate(Order)
    .exists()
)
# the page links its invoices by id and number: joined, one row each (issue 19, seventh
# pass: a statement of their own after the order's whenever it had one, every executed order)
_CONFIRMATION = (
    _own_order_query(False, False)
    .add_columns(_LAST_PAYMENT_STATUS, _HAS_OPEN_HOLDS, Invoice.id, Invoice.number)
    .outerjoin(Invoice, Invoice.order_id == Order.id)
    .order_by(Invoice.id)
)


class InvoiceLink(NamedTuple):
    """An invoice as the confirmation links it."""

    id: int
    number: str


def confirmation(session: Session, tenant_id: int, user: User, order_id: int) -> Confirmation:
    # the page shows none of the items: not read (issue 19)
    values = {
        "order_id": order_id,
        "tenant_id": tenant_id,
        "account_id": user.account_id,
        "user_id": user.id,
    }
    rows = session.execute(_CONFIRMATION, values).all()
    if not rows:
        raise NotFound("That checkout does not exist.")
    order, payment_status, has_holds, _id, _number = rows[0]
    if order.status.storefront_type == StorefrontType.DRAFT:
        raise NotFound("That order has not been placed.")
    holds = list(session.scalars(_OPEN_HOLDS, {"order_id": order.id})) if has_holds else []
    invoices = [InvoiceLink(row[3], row[4]) for row in rows if row[3] is not None]
    reasons = {h.reason: h for h in holds}
    found = [
        (kind, _hold_message(kind, reasons[reason], order, date_format(user)))
        for reason, kind in _HOLD_CONFIRMATIONS
        if reason in reasons
    ]
    if found:
        if HoldReason.RESELLER_APPROVAL in reasons:
            found = found[:1]  # the reseller decides first; the rest is decided again after
        kind, message = found[0]
        return Confirmation(order, kind, message, invoices, [m for _k, m in found])
    if payment_status == pay.PENDING:
        return Confirmation(order, "processing", texts.PAYMENT_PROCESSING, invoices)
    return Confirmation(order, "executed", texts.AUTOMATIC_ORDER_CONFIRMATION, invoices)


__all__ = [
    "start_checkout",
    "save_billing",
    "review",
    "place",
    "finalize_payment",
    "proceed_after_holds",
    "confirmation",
    "payment_methods",
    "ItemKind",
]
