"""Offers (PRODUCT.md 6.5): create, edit by hand, items, export, convert to an order once.

Every use case is one transaction scoped by tenant; an offer of another tenant is a 404.
Converting locks the offer row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
and the unique ``offer.converted_order_id`` backs it up, so an offer becomes one order only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from core import texts
from core.db import MAX_ID, read_rows, utcnow, write_transaction
from core.enums import ExecutionType, HoldReason, OrderSource
from core.models import (
    Account,
    Offer,
    OfferEvent,
    OfferItem,
    OfferStatus,
    Order,
    OrderHold,
    Plan,
    Product,
    User,
)
from core.rules import accounts as account_rules
from core.rules import offers as rules
from core.rules.basket import is_mixed
from core.rules.execution import bundle_execution_type
from core.rules.statuses import OfferStatusType
from core.services import invoicing, picking, representations, webhooks
from core.services import promotions as promotion_service
from core.services.audit import actor_label, record_audit
from core.services.errors import Conflict, NotFound, ValidationFailed
from core.services.order_factory import ItemSpec, build_order, retired_products
from core.services.orders import plans_named
from core.services.pricing import plan_prices
from core.services.statuses import StatusBook, offer_status_row, offer_statuses

PAGE_SIZE = 50


def _id(value) -> int:
    """A usable row id, or 0 (matches nothing) for anything a database integer cannot hold."""
    return value if isinstance(value, int) and 0 < value <= MAX_ID else 0


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferFilters:
    status_id: int | None = None
    account_id: int | None = None
    text: str = ""
    converted: bool | None = None
    page: int = 1


@dataclass
class OfferPage:
    offers: list[Offer]
    page: int
    has_next: bool


def list_offers(session: Session, tenant_id: int, filters: OfferFilters = OfferFilters()):
    query = (
        select(Offer)
        .where(Offer.tenant_id == tenant_id)
        .options(selectinload(Offer.status), selectinload(Offer.account))
    )
    if filters.status_id:
        query = query.where(Offer.status_id == _id(filters.status_id))
    if filters.account_id:
        query = query.where(Offer.account_id == _id(filters.account_id))
    if filters.text.strip():
        like = f"%{filters.text.strip()}%"
        # the account's name too: how an account is found when there are too many to list
        named = select(Account.id).where(Account.tenant_id == tenant_id, Account.name.ilike(like))
        query = query.where(
            or_(Offer.number.ilike(like), Offer.name.ilike(like), Offer.account_id.in_(named))
        )
    if filters.converted is True:
        query = query.where(Offer.converted_order_id.is_not(None))
    elif filters.converted is False:
        query = query.where(Offer.converted_order_id.is_(None))
    page = max(1, filters.page)
    rows = list(
        session.scalars(
            query.order_by(Offer.created_at.desc(), Offer.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
    )
    return OfferPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def get_offer(session: Session, tenant_id: int, offer_id: int) -> Offer:
    offer = session.scalar(
        select(Offer)
        .where(Offer.id == _id(offer_id), Offer.tenant_id == tenant_id)
        .options(
            # each item's plan and product: what its price is for (issue 13)
            selectinload(Offer.items).options(
                joinedload(OfferItem.plan), joinedload(OfferItem.product)
            ),
            selectinload(Offer.status),
        )
    )
    if offer is None:
        raise NotFound(texts.OFFER_NOT_FOUND)
    return offer


@dataclass(frozen=True)
class OfferHistoryLine:
    at: datetime
    actor_label: str
    note: str


def _history_note(event: OfferEvent, names: dict[int, str]) -> str:
    """The event's note, saying from which status to which when the status changed."""
    note = event.note or ""
    if event.to_status_id is None:
        return note
    to_status = names.get(event.to_status_id, "")
    if event.from_status_id is None:
        return texts.OFFER_EVENT_TO.format(note=note, to_status=to_status)
    return texts.OFFER_EVENT_FROM_TO.format(
        note=note, from_status=names.get(event.from_status_id, ""), to_status=to_status
    )


def offer_history(session: Session, offer: Offer) -> list[OfferHistoryLine]:
    events = session.scalars(
        select(OfferEvent).where(OfferEvent.offer_id == offer.id).order_by(OfferEvent.id)
    )
    names = {s.id: s.description for s in offer_statuses(session, offer.tenant_id)}
    return [OfferHistoryLine(e.at, e.actor_label, _history_note(e, names)) for e in events]


def statuses_for(session: Session, tenant_id: int, current: OfferStatus | None = None):
    """The statuses a user may pick, and the default one for a new offer."""
    loaded = offer_statuses(session, tenant_id)
    rows = [offer_status_row(s) for s in loaded]
    by_id = {s.id: s for s in loaded}
    current_key = str(current.id) if current else None
    choices = [by_id[int(r.key)] for r in rules.selectable_statuses(rows, current_key)]
    default = rules.default_status(rows)
    return choices, (by_id[int(default.key)] if default else None)


def plan_choices(
    session: Session, tenant_id: int, *, name_contains: str | None = None, limit: int | None = None
) -> list[tuple[int, str]]:
    """(plan id, "Product (Plan)") of the plans of the tenant's active products, for Quick
    Add, by product name; those whose product or plan name contains ``name_contains``, at most
    ``limit`` of them. Columns, not the plans and their products as entities (at 2,000
    products those took most of a 280 ms offer page, issue 19)."""
    query = plans_named(_PLAN_CHOICES, name_contains, limit)
    rows = read_rows(session, query, {"tenant_id": tenant_id})
    return [(plan_id, picking.plan_label(product, plan)) for plan_id, product, plan in rows]


_PLAN_CHOICES = (
    select(Plan.id, Product.name, Plan.name)
    .join(Product, Product.id == Plan.product_id)
    .where(Product.tenant_id == bindparam("tenant_id"), Product.active.is_(True))
    .order_by(Product.name, Plan.id)
)


def plan_pick(
    session: Session, tenant_id: int, chosen: int | None, typed: str | None, submitted: bool
) -> picking.Pick[int]:
    """Quick Add's plan on an offer page (:func:`core.services.picking.pick`): up to
    picking.LIMIT plans, a list of them all; beyond (2,000 at the benchmark's catalogue),
    the plan found by its product's or its own name."""

    def read(name_contains: str | None, limit: int) -> list[tuple[int, str]]:
        return plan_choices(session, tenant_id, name_contains=name_contains, limit=limit)

    def read_one(plan_id: int) -> list[tuple[int, str]]:
        if not 0 < plan_id <= MAX_ID:
            return []
        rows = read_rows(session, _PLAN_CHOICES.where(Plan.id == plan_id), {"tenant_id": tenant_id})
        return [(found, picking.plan_label(product, plan)) for found, product, plan in rows]

    return picking.pick(
        read, read_one, chosen, typed, submitted, picking.PLAN_WORDING, picking.whole_plan_label
    )


@dataclass(frozen=True)
class Seller:
    """Who makes the offer, as the invoice names its seller: the tenant's billing settings."""

    name: str
    address: str
    vat_number: str | None


def offer_seller(session: Session, tenant_id: int) -> Seller:
    settings = invoicing.settings_for(session, tenant_id)
    return Seller(settings.legal_name or "", settings.address or "", settings.vat_number)


def offer_total(offer: Offer) -> Decimal:
    return rules.offer_total(rules.OfferLine(i.quantity, i.unit_price) for i in offer.items)


# --- writing ---------------------------------------------------------------------------------


def _event(session, offer, actor, note, from_status_id=None, to_status_id=None, now=None):
    session.add(
        OfferEvent(
            offer_id=offer.id,
            at=now or utcnow(),
            actor_user_id=actor.id if actor else None,
            actor_label=actor_label(actor),
            from_status_id=from_status_id,
            to_status_id=to_status_id,
            note=note,
        )
    )


def _check_status(session, tenant_id, status_id, current: OfferStatus | None) -> OfferStatus:
    rows = [offer_status_row(s) for s in offer_statuses(session, tenant_id)]
    error = rules.check_status_choice(
        rows, str(_id(status_id)), str(current.id) if current else None
    )
    if error:
        raise ValidationFailed(error, {"status_id": [error]})
    return session.get(OfferStatus, _id(status_id))


def _lock_offer(session: Session, tenant_id: int, offer_id: int) -> Offer:
    offer = session.scalar(
        select(Offer)
        .where(Offer.id == _id(offer_id), Offer.tenant_id == tenant_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if offer is None:
        raise NotFound(texts.OFFER_NOT_FOUND)
    return offer


def _check_name(name: str | None) -> str | None:
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationFailed(texts.OFFER_NAME_TOO_LONG, {"name": [texts.OFFER_NAME_TOO_LONG]})
    return name or None


def create_offer(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    account_id: int,
    name: str | None = None,
    status_id: int | None = None,
    valid_until: date | None = None,
    now: datetime | None = None,
) -> Offer:
    """A new offer for an account; In Progress unless the user picked another status."""
    now = now or utcnow()
    with write_transaction(session):
        account = session.scalar(
            select(Account).where(Account.id == _id(account_id), Account.tenant_id == tenant_id)
        )
        if account is None:
            raise ValidationFailed(
                texts.OFFER_ACCOUNT_INVALID, {"account_id": [texts.OFFER_ACCOUNT_INVALID]}
            )
        if refusal := account_rules.new_order_refusal(account.active):
            raise ValidationFailed(refusal, {"account_id": [refusal]})
        clean_name = _check_name(name)
        _check_validity(session, tenant_id, valid_until, None, now)
        if status_id is None:
            _choices, default = statuses_for(session, tenant_id)
            if default is None:
                raise ValidationFailed(
                    texts.OFFER_STATUS_INVALID, {"status_id": [texts.OFFER_STATUS_INVALID]}
                )
            status = default
        else:
            status = _check_status(session, tenant_id, status_id, None)
        offer = Offer(
            tenant_id=tenant_id,
            number=rules.offer_number(
                invoicing.take_number(session, tenant_id, rules.NUMBER_SEQUENCE)
            ),
            name=clean_name,
            account_id=account.id,
            status_id=status.id,
            valid_until=valid_until,
            created_by_user_id=actor.id if actor else None,
            created_at=now,
        )
        session.add(offer)
        session.flush()
        _event(session, offer, actor, texts.OFFER_EVENT_CREATED, None, status.id, now)
    return offer


def _check_validity(
    session: Session, tenant_id: int, valid_until: date | None, previous: date | None, now
) -> date:
    """The tenant's today, once the Valid until date is known not to have passed."""
    today = promotion_service.tenant_today(session, tenant_id, now)
    refusal = rules.validity_refusal(valid_until, previous, today)
    if refusal:
        raise ValidationFailed(refusal, {"valid_until": [refusal]})
    return today


def update_offer(
    session: Session,
    tenant_id: int,
    actor: User | None,
    offer_id: int,
    *,
    name: str | None,
    status_id: int,
    valid_until: date | None,
    now: datetime | None = None,
) -> Offer:
    """Edit: name, validity and the status, changed by hand (In Progress → Accepted / Lost ...)."""
    now = now or utcnow()
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        clean_name = _check_name(name)
        if offer.converted_order_id and status_id != offer.status_id:
            raise Conflict(texts.OFFER_CONVERTED_LOCKED)
        status = _check_status(session, tenant_id, status_id, offer.status)
        today = _check_validity(session, tenant_id, valid_until, offer.valid_until, now)
        refusal = rules.acceptance_refusal(status.type, offer.status.type, valid_until, today)
        if refusal:
            raise ValidationFailed(refusal, {"valid_until": [refusal]})
        offer.name = clean_name
        offer.valid_until = valid_until
        if status.id != offer.status_id:
            previous = offer.status_id
            offer.status_id = status.id
            offer.status = status
            _event(session, offer, actor, texts.OFFER_EVENT_STATUS, previous, status.id, now)
            webhooks.emit(
                session,
                tenant_id,
                "offer.status_changed",
                lambda: representations.offer(offer),
                now,
            )
    return offer


def _editable(offer: Offer) -> None:
    if offer.converted_order_id:
        raise Conflict(texts.OFFER_CONVERTED_LOCKED)


def add_item(
    session: Session,
    tenant_id: int,
    actor: User | None,
    offer_id: int,
    *,
    plan_id: int | None,
    quantity,
    unit_price=None,
    plan_search: str | None = None,
    now: datetime | None = None,
) -> OfferItem:
    """Add a product plan; the price comes from the account's price list unless one is typed.
    Without a plan, the plan ``plan_search`` names (:func:`plan_pick`: its one match, or the
    one whose whole name it is) when the plans are too many to list."""
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        _editable(offer)
        errors: dict[str, list[str]] = {}
        if not plan_id and plan_search:
            pick = plan_pick(session, tenant_id, None, plan_search, submitted=True)
            if pick.error:
                errors["plan_search"] = [pick.error]
            plan_id = pick.chosen
        # a product of the catalogue still sold (a retired one is offered no more)
        plan = session.scalar(
            select(Plan)
            .join(Product, Product.id == Plan.product_id)
            .where(
                Plan.id == _id(plan_id),
                Product.tenant_id == tenant_id,
                Product.active.is_(True),
            )
        )
        if plan is None and not errors:
            errors["plan_id"] = [texts.OFFER_PRODUCT_INVALID]
        elif plan is not None and _mixes(session, offer, plan.product):
            # rule 4.2 as on an order's Quick Add: the offer becomes one order
            errors["plan_id"] = [texts.ORDER_MIXED_EXECUTION_TYPES]
        qty, qty_error = rules.parse_quantity(
            quantity, *((plan.min_quantity, plan.max_quantity) if plan else ())
        )
        if qty_error:
            errors["quantity"] = [qty_error]
        price = None
        if unit_price not in (None, ""):
            price, price_error = rules.parse_price(unit_price)
            if price_error:
                errors["unit_price"] = [price_error]
        elif plan is not None:
            account = session.get(Account, offer.account_id)
            price = plan_prices(session, account.price_list_id, [plan.id]).get(plan.id)
            if price is None:
                errors["unit_price"] = [texts.OFFER_NO_LIST_PRICE]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        item = OfferItem(
            offer_id=offer.id,
            product_id=plan.product_id,
            plan_id=plan.id,
            description=f"{plan.product.name} ({plan.name})",
            quantity=qty,
            unit_price=price,
        )
        session.add(item)
        session.flush()
        _event(
            session,
            offer,
            actor,
            texts.OFFER_EVENT_ITEM_ADDED.format(item=item.description),
            now=now,
        )
    return item


def _mixes(session: Session, offer: Offer, product: Product) -> bool:
    """Whether ``product`` beside the offer's items would mix automatic and manual delivery,
    which the order it converts to cannot (rule 4.2)."""
    held = session.scalars(
        select(Product)
        .join(OfferItem, OfferItem.product_id == Product.id)
        .where(OfferItem.offer_id == offer.id)
        .distinct()
        .options(selectinload(Product.product_type))
    )
    types = {_execution_type(session, p) for p in held}
    return bool(types) and is_mixed({*types, _execution_type(session, product)})


def _item_of(session, offer, item_id) -> OfferItem:
    item = session.scalar(
        select(OfferItem).where(OfferItem.id == _id(item_id), OfferItem.offer_id == offer.id)
    )
    if item is None:
        raise NotFound(texts.OFFER_ITEM_NOT_FOUND)
    return item


def update_item(
    session: Session,
    tenant_id: int,
    actor: User | None,
    offer_id: int,
    item_id: int,
    *,
    quantity,
    unit_price,
    now: datetime | None = None,
) -> OfferItem:
    """Change an item's quantity and offered price."""
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        item = _item_of(session, offer, item_id)
        _editable(offer)
        errors: dict[str, list[str]] = {}
        plan = session.get(Plan, item.plan_id) if item.plan_id else None
        qty, qty_error = rules.parse_quantity(
            quantity, *((plan.min_quantity, plan.max_quantity) if plan else ())
        )
        if qty_error:
            errors["quantity"] = [qty_error]
        price, price_error = rules.parse_price(unit_price)
        if price_error:
            errors["unit_price"] = [price_error]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        if (qty, price) != (item.quantity, item.unit_price):
            item.quantity, item.unit_price = qty, price
            _event(
                session,
                offer,
                actor,
                texts.OFFER_EVENT_ITEM_UPDATED.format(item=item.description, qty=qty, price=price),
                now=now,
            )
    return item


def remove_item(
    session: Session, tenant_id: int, actor: User | None, offer_id: int, item_id: int
) -> None:
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        item = _item_of(session, offer, item_id)
        _editable(offer)
        _event(session, offer, actor, texts.OFFER_EVENT_ITEM_REMOVED.format(item=item.description))
        session.delete(item)


def delete_offer(session: Session, tenant_id: int, actor: User | None, offer_id: int) -> str:
    """Delete an offer with its items and history (issue 18: offers' CRUD, the BSS offer page's
    Delete too). A converted offer stays: its order refers to it. Answers the deleted number;
    the audit trail keeps it."""
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        if offer.converted_order_id:
            raise Conflict(texts.OFFER_CONVERTED_NOT_DELETED)
        number = offer.number
        record_audit(session, tenant_id, actor, "offer", offer.id, "delete", {"number": number})
        # its items go with it (ORM cascade); its history rows with the row (ON DELETE
        # CASCADE in the database: the ORM never deletes history, core.append_only)
        session.delete(offer)
    return number


def convert_offer(
    session: Session,
    tenant_id: int,
    actor: User | None,
    offer_id: int,
    *,
    now: datetime | None = None,
) -> Order:
    """An Accepted offer becomes a Submitted order with the offered prices, exactly once."""
    now = now or utcnow()
    with write_transaction(session):
        offer = _lock_offer(session, tenant_id, offer_id)
        items = list(
            session.scalars(
                select(OfferItem).where(OfferItem.offer_id == offer.id).order_by(OfferItem.id)
            )
        )
        status = session.get(OfferStatus, offer.status_id)
        refusal = rules.conversion_refusal(
            status.type, offer.converted_order_id is not None, len(items)
        )
        if refusal:
            raise Conflict(refusal)
        account = session.get(Account, offer.account_id)
        if refusal := account_rules.new_order_refusal(account.active):
            raise Conflict(refusal)
        # a product retired since the offer was made is not sold again
        if retired := retired_products(session, {i.product_id for i in items}):
            raise Conflict(texts.OFFER_CONVERT_RETIRED.format(products=retired))
        products = {
            p.id: p
            for p in session.scalars(
                select(Product)
                .where(Product.id.in_({i.product_id for i in items}))
                .options(selectinload(Product.product_type))
            )
        }
        specs = [
            ItemSpec(
                product_id=i.product_id,
                plan_id=i.plan_id,
                description=i.description,
                quantity=i.quantity,
                unit_price=i.unit_price,
                execution_type=_execution_type(session, products[i.product_id]),
            )
            for i in items
        ]
        if is_mixed(spec.execution_type for spec in specs):  # an offer stored before the rule
            raise Conflict(texts.OFFER_MIXED_NOT_CONVERTED)
        book = StatusBook.load(session, tenant_id)
        order = build_order(
            session,
            tenant_id=tenant_id,
            account=account,
            status=book.submitted(),
            items=specs,
            source=OrderSource.OFFER,
            actor=actor,
            order_date=now,
            note=texts.OFFER_ORDER_CREATED.format(offer=offer.number),
            offer_id=offer.id,
            name=offer.name,
        )
        if order.execution_type == ExecutionType.MANUAL:
            session.add(
                OrderHold(order_id=order.id, reason=HoldReason.MANUAL_EXECUTION, placed_at=now)
            )
        offer.converted_order_id = order.id
        _event(
            session, offer, actor, texts.OFFER_EVENT_CONVERTED.format(order=order.number), now=now
        )
        session.flush()
    return order


def _execution_type(session: Session, product: Product) -> str:
    """Manual when the product type has the option on; a bundle is manual if a component is."""
    if product.is_bundle:
        from core.models import BundleComponent

        components = session.scalars(
            select(Product)
            .join(BundleComponent, BundleComponent.component_id == Product.id)
            .where(BundleComponent.bundle_id == product.id)
            .options(selectinload(Product.product_type))
        )
        return bundle_execution_type(_execution_type(session, c) for c in components)
    if product.product_type.non_automatic_execution:
        return ExecutionType.MANUAL
    return ExecutionType.AUTOMATIC


# --- export ----------------------------------------------------------------------------------


def offer_csv(offer: Offer, account: Account, tax: invoicing.OrderTax | None = None) -> str:
    """The offer as CSV: a header block, then one row per item and the total; with ``tax``
    (:func:`core.services.invoicing.offer_tax`), the VAT and the total with VAT its order's
    invoice would carry, and that invoice's note (reverse charge, exempt)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Offer", offer.number])
    writer.writerow(["Name", _safe_cell(offer.name or "")])
    writer.writerow(["Account", _safe_cell(account.name)])
    writer.writerow(["Status", _safe_cell(offer.status.description)])
    writer.writerow(["Valid until", offer.valid_until.isoformat() if offer.valid_until else ""])
    writer.writerow([])
    writer.writerow(["Item", "Quantity", "Unit price", "Amount"])
    for item in offer.items:
        line = rules.OfferLine(item.quantity, item.unit_price)
        writer.writerow(
            [
                _safe_cell(item.description),
                item.quantity,
                f"{item.unit_price:.2f}",
                f"{line.amount:.2f}",
            ]
        )
    writer.writerow(["Total", "", "", f"{offer_total(offer):.2f}"])
    if tax is not None:
        writer.writerow(
            [
                texts.OFFER_VAT.format(rate=format(tax.rate.normalize(), "f")),
                "",
                "",
                f"{tax.tax:.2f}",
            ]
        )
        writer.writerow([texts.OFFER_TOTAL_WITH_VAT, "", "", f"{tax.gross:.2f}"])
        if tax.note:
            writer.writerow([tax.note])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """No spreadsheet formula injection from names typed by users."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def count_offers(session: Session, tenant_id: int) -> int:
    return session.scalar(select(func.count()).where(Offer.tenant_id == tenant_id)) or 0


__all__ = [
    "OfferFilters",
    "OfferStatusType",
    "add_item",
    "convert_offer",
    "create_offer",
    "get_offer",
    "list_offers",
    "offer_csv",
    "remove_item",
    "update_item",
    "update_offer",
]
