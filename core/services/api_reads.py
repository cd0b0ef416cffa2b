"""Read-only lists the public API pages through (issue 18): accounts, products with their
plans, subscriptions and offers of a tenant, newest id first, keyset-paginated on the id so a
deep page costs what the first one does."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import texts
from core.db import MAX_ID
from core.models import (
    Account,
    Offer,
    OfferItem,
    Plan,
    Product,
    ProvisioningTask,
    Subscription,
    SubscriptionHistory,
)
from core.services.catalogue import execution_types
from core.services.errors import NotFound, ValidationFailed


def encode_id_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode().rstrip("=")


def decode_id_cursor(cursor: str | None) -> int | None:
    """The id a cursor stands for; :class:`ValidationFailed` for one the API did not give."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        row_id = int(value)
        if kind != "id" or not 0 < row_id <= MAX_ID:
            raise ValueError(raw)
        return row_id
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            texts.API_CURSOR_INVALID, {"cursor": [texts.API_CURSOR_INVALID]}
        ) from None


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def _page(session: Session, query, model, cursor: str | None, limit: int) -> Page:
    after = decode_id_cursor(cursor)
    if after is not None:
        query = query.where(model.id < after)
    rows = list(session.scalars(query.order_by(model.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_id_cursor(rows[-1].id) if more and rows else None)


def accounts(session: Session, tenant_id: int, cursor: str | None, limit: int) -> Page:
    query = select(Account).where(Account.tenant_id == tenant_id)
    return _page(session, query, Account, cursor, limit)


def account(session: Session, tenant_id: int, account_id: int) -> Account:
    found = session.scalar(
        select(Account).where(Account.id == account_id, Account.tenant_id == tenant_id)
    )
    if found is None:
        raise NotFound("This account does not exist.")
    return found


@dataclass(frozen=True)
class ProductRow:
    product: Product
    execution_type: str


def products(session: Session, tenant_id: int, cursor: str | None, limit: int) -> Page:
    query = (
        select(Product).where(Product.tenant_id == tenant_id).options(selectinload(Product.plans))
    )
    page = _page(session, query, Product, cursor, limit)
    types = execution_types(session, [p.id for p in page.rows]) if page.rows else {}
    page.rows = [ProductRow(p, types.get(p.id, "automatic")) for p in page.rows]
    return page


def product(session: Session, tenant_id: int, product_id: int) -> ProductRow:
    found = session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.tenant_id == tenant_id)
        .options(selectinload(Product.plans))
    )
    if found is None:
        raise NotFound("This product does not exist.")
    return ProductRow(found, execution_types(session, [found.id]).get(found.id, "automatic"))


@dataclass(frozen=True)
class SubscriptionRow:
    subscription: Subscription
    account_name: str
    product_name: str
    plan_name: str | None


_SUBSCRIPTIONS = (
    select(Subscription, Account.name, Product.name, Plan.name)
    .join(Account, Account.id == Subscription.account_id)
    .join(Product, Product.id == Subscription.product_id)
    .outerjoin(Plan, Plan.id == Subscription.plan_id)
)


def subscriptions(session: Session, tenant_id: int, cursor: str | None, limit: int) -> Page:
    after = decode_id_cursor(cursor)
    query = _SUBSCRIPTIONS.where(Subscription.tenant_id == tenant_id)
    if after is not None:
        query = query.where(Subscription.id < after)
    rows = session.execute(query.order_by(Subscription.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    result = [SubscriptionRow(*row) for row in rows[:limit]]
    return Page(result, encode_id_cursor(result[-1].subscription.id) if more else None)


def subscription(
    session: Session, tenant_id: int, subscription_id: int
) -> tuple[SubscriptionRow, list[SubscriptionHistory], ProvisioningTask | None]:
    """A subscription with its history and its latest provisioning task (None: none)."""
    row = session.execute(
        _SUBSCRIPTIONS.where(
            Subscription.tenant_id == tenant_id, Subscription.id == subscription_id
        )
    ).first()
    if row is None:
        raise NotFound("This subscription does not exist.")
    history = list(
        session.scalars(
            select(SubscriptionHistory)
            .where(SubscriptionHistory.subscription_id == subscription_id)
            .order_by(SubscriptionHistory.at, SubscriptionHistory.id)
        )
    )
    task = session.scalar(
        select(ProvisioningTask)
        .where(
            ProvisioningTask.subscription_id == subscription_id,
            ProvisioningTask.tenant_id == tenant_id,
        )
        .order_by(ProvisioningTask.id.desc())
        .limit(1)
    )
    return SubscriptionRow(*row), history, task


def offers(session: Session, tenant_id: int, cursor: str | None, limit: int) -> Page:
    query = (
        select(Offer)
        .where(Offer.tenant_id == tenant_id)
        .options(selectinload(Offer.status), selectinload(Offer.items).selectinload(OfferItem.plan))
    )
    return _page(session, query, Offer, cursor, limit)
