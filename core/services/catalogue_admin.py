"""The provider's catalogue back office (issue 15): products listed, created, edited and
retired from the BSS.

Each use case loads, applies :mod:`core.rules.catalogue` and commits once; invalid input changes
nothing; every change is written to the audit trail (who, when, before -> after). Pages run a
fixed number of queries whatever the size of the catalogue: the list is a keyset page on the
(tenant, name, id) index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, literal, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from core import texts
from core.db import write_transaction
from core.models import AuditEntry, Plan, Product, ProductType, User
from core.rules import catalogue as rules
from core.rules.catalogue import ProductInput, ProductStatus
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.picking import contains_pattern

PAGE_SIZE = 50
AUDIT_ENTITY = "product"
HISTORY_SIZE = 20


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilters:
    text: str | None = None  # part of the name or the code
    product_type_id: int | None = None
    status: str | None = None  # core.rules.catalogue.ProductStatus
    after: str | None = None  # the keyset cursor of the previous page's last row


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: int
    code: str
    name: str
    product_type: str
    billing_kind: str
    status: str
    is_bundle: bool

    @property
    def status_label(self) -> str:
        return ProductStatus.LABELS[self.status]

    @property
    def billing_label(self) -> str:
        return rules.BillingKind.LABELS.get(self.billing_kind, self.billing_kind)


@dataclass
class ProductListPage:
    rows: list[ProductRow]
    next_cursor: str | None
    product_types: list[tuple[int, str]] = field(default_factory=list)


def product_types(session: Session, tenant_id: int) -> list[tuple[int, str]]:
    """(id, name) of the tenant's product types, by name (one query)."""
    return [
        (row.id, row.name)
        for row in session.execute(
            select(ProductType.id, ProductType.name)
            .where(ProductType.tenant_id == tenant_id)
            .order_by(ProductType.name, ProductType.id)
        )
    ]


def _status_condition(status: str | None):
    if status == ProductStatus.RETIRED:
        return Product.active.is_(False)
    if status == ProductStatus.PUBLISHED:
        return Product.active.is_(True) & Product.published.is_(True)
    if status == ProductStatus.UNPUBLISHED:
        return Product.active.is_(True) & Product.published.is_(False)
    return None


def list_products(
    session: Session, tenant_id: int, filters: ProductFilters, page_size: int = PAGE_SIZE
) -> ProductListPage:
    """A page of the tenant's products by name (two queries: the product types for the filter,
    the page). *Next page* starts after the last row's (name, id), so a deep page costs what
    the first one does."""
    query = (
        select(
            Product.id,
            Product.code,
            Product.name,
            ProductType.name,
            Product.billing_kind,
            Product.active,
            Product.published,
            Product.is_bundle,
        )
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == tenant_id)
    )
    text = (filters.text or "").strip()
    if text:
        pattern = contains_pattern(text)
        query = query.where(
            or_(func.lower(Product.name).like(pattern), func.lower(Product.code).like(pattern))
        )
    if filters.product_type_id is not None:
        query = query.where(Product.product_type_id == filters.product_type_id)
    condition = _status_condition(filters.status)
    if condition is not None:
        query = query.where(condition)
    cursor = rules.decode_cursor(filters.after)
    if cursor is not None:
        name, last_id = cursor
        query = query.where(tuple_(Product.name, Product.id) > tuple_(literal(name), last_id))
    found = session.execute(query.order_by(Product.name, Product.id).limit(page_size + 1)).all()
    rows = [
        ProductRow(
            id=pid,
            code=code,
            name=name,
            product_type=type_name,
            billing_kind=billing_kind,
            status=rules.product_status(active, published),
            is_bundle=is_bundle,
        )
        for pid, code, name, type_name, billing_kind, active, published, is_bundle in found[
            :page_size
        ]
    ]
    next_cursor = (
        rules.encode_cursor(rows[-1].name, rows[-1].id) if len(found) > page_size else None
    )
    return ProductListPage(rows, next_cursor, product_types(session, tenant_id))


def get_product(session: Session, tenant_id: int, product_id: int) -> Product:
    """The tenant's product with its product type (one query)."""
    product = session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.tenant_id == tenant_id)
        .options(joinedload(Product.product_type))
    )
    if product is None:
        raise NotFound(texts.CATALOGUE_PRODUCT_NOT_FOUND)
    return product


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    actor: str
    action: str
    changes: dict[str, list]


def history(
    session: Session, tenant_id: int, entity: str, entity_id: int, limit: int = HISTORY_SIZE
) -> list[HistoryLine]:
    """The newest audit entries of one catalogue object, with their before -> after (one
    query)."""
    entries = session.execute(
        select(AuditEntry.at, AuditEntry.actor_label, AuditEntry.action, AuditEntry.detail)
        .where(
            AuditEntry.tenant_id == tenant_id,
            AuditEntry.entity == entity,
            AuditEntry.entity_id == entity_id,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    lines = []
    for at, actor, action, detail in entries:
        data = json.loads(detail) if detail else {}
        lines.append(HistoryLine(at, actor, action, data.get("changes", {})))
    return lines


# --- writing ----------------------------------------------------------------------------------


def _snapshot(product: Product) -> dict:
    """The audited fields of a product, as plain values."""
    return {
        "code": product.code,
        "name": product.name,
        "description": product.description,
        "unit": product.unit,
        "trial_days": product.trial_days,
        "product_type_id": product.product_type_id,
        "billing_kind": product.billing_kind,
        "published": product.published,
        "active": product.active,
    }


def save_product(
    session: Session,
    tenant_id: int,
    actor: User | None,
    values: ProductInput,
    *,
    product_id: int | None = None,
) -> Product:
    """Create (``product_id=None``) or update a product. Refused input raises
    :class:`ValidationFailed` with messages per field, and changes nothing."""
    values = values.cleaned()
    with write_transaction(session):
        existing = get_product(session, tenant_id, product_id) if product_id else None
        taken = session.scalars(
            select(Product.code).where(
                Product.tenant_id == tenant_id,
                func.lower(Product.code) == values.code.lower(),
                Product.id != (existing.id if existing else -1),
            )
        ).all()
        type_ids = session.scalars(
            select(ProductType.id).where(ProductType.tenant_id == tenant_id)
        ).all()
        plan_cycles = (
            session.scalars(select(Plan.billing_cycle).where(Plan.product_id == existing.id)).all()
            if existing
            else ()
        )
        errors = rules.validate_product(
            values, product_type_ids=type_ids, taken_codes=taken, plan_cycles=plan_cycles
        )
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        before = _snapshot(existing) if existing else {}
        product = existing or Product(tenant_id=tenant_id, is_bundle=False, active=True)
        product.code = values.code
        product.name = values.name
        product.description = values.description
        product.product_type_id = values.product_type_id
        product.billing_kind = values.billing_kind
        product.published = values.published
        product.unit = values.unit
        product.trial_days = values.trial_days or None  # 0: no trial, as empty
        session.add(product)
        try:
            session.flush()
        except IntegrityError:
            # the same code saved at the same moment by someone else (PostgreSQL)
            raise ValidationFailed(
                texts.CATALOGUE_CODE_TAKEN, {"code": [texts.CATALOGUE_CODE_TAKEN]}
            ) from None
        diff = rules.changes(before, _snapshot(product))
        if diff:
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                product.id,
                "update" if existing else "create",
                {"changes": diff},
            )
        return product


def retire_product(
    session: Session, tenant_id: int, actor: User | None, product_id: int
) -> Product:
    """Take a product off the Storefront and out of new orders and offers. Its rows stay, so
    the orders, offers and subscriptions that use it keep working and keep its name. Retiring
    a retired product changes nothing (a second click, a retry)."""
    with write_transaction(session):
        product = session.scalar(
            select(Product)
            .where(Product.id == product_id, Product.tenant_id == tenant_id)
            .with_for_update()
        )
        if product is None:
            raise NotFound(texts.CATALOGUE_PRODUCT_NOT_FOUND)
        if product.active:
            product.active = False
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                product.id,
                "retire",
                {"changes": {"active": [True, False]}},
            )
        return product
