"""Upgrade targets and bundle components of a product (issue 15, part B).

A bundle is a product with components; its execution type is derived by the seed rule
(``core.rules.execution.bundle_execution_type``: manual if any component is). Every change is
audited and commits once; adding what is already there changes nothing (a retry)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from core import texts
from core.db import write_transaction
from core.models import BundleComponent, Product, ProductType, ProductUpgrade, User
from core.rules import catalogue as rules
from core.rules.catalogue import Candidate
from core.rules.execution import bundle_execution_type, product_execution_type
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed


@dataclass(frozen=True, slots=True)
class Linked:
    id: int  # the linked product
    code: str
    name: str
    quantity: int = 1
    execution_type: str = "automatic"


@dataclass
class Links:
    upgrades: list[Linked]
    components: list[Linked]
    execution_type: str  # of the product: its type's option, and its components' (bundle)


def links(session: Session, tenant_id: int, product: Product, manual_type: bool) -> Links:
    """The product's upgrade targets and components (two queries)."""
    # sorted here, not by the database: ORDER BY name led SQLite to walk the 20,000 products
    # by their name index instead of the product's few upgrade rows
    upgrades = [
        Linked(pid, code, name)
        for pid, code, name in sorted(
            session.execute(
                select(Product.id, Product.code, Product.name)
                .join(ProductUpgrade, ProductUpgrade.to_product_id == Product.id)
                .where(ProductUpgrade.from_product_id == product.id, Product.tenant_id == tenant_id)
            ),
            key=lambda row: (row[2], row[0]),
        )
    ]
    part = aliased(Product)
    components = [
        Linked(pid, code, name, qty, product_execution_type(manual))
        for pid, code, name, qty, manual in session.execute(
            select(
                part.id,
                part.code,
                part.name,
                BundleComponent.quantity,
                ProductType.non_automatic_execution,
            )
            .join(part, part.id == BundleComponent.component_id)
            .join(ProductType, ProductType.id == part.product_type_id)
            .where(BundleComponent.bundle_id == product.id)
            .order_by(BundleComponent.id)
        )
    ]
    kinds = [product_execution_type(manual_type), *(c.execution_type for c in components)]
    return Links(upgrades, components, bundle_execution_type(kinds))


def _locked_product(session: Session, tenant_id: int, product_id: int) -> Product:
    product = session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.tenant_id == tenant_id)
        .with_for_update()
    )
    if product is None:
        raise NotFound(texts.CATALOGUE_PRODUCT_NOT_FOUND)
    return product


def find_by_code(session: Session, tenant_id: int, code: str) -> tuple[Candidate, bool] | None:
    """The tenant's product with this code (any letter case) and its type's non-automatic
    option, or None."""
    row = session.execute(
        select(Product.id, Product.active, Product.is_bundle, ProductType.non_automatic_execution)
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == tenant_id, func.lower(Product.code) == code.strip().lower())
        .limit(1)
    ).first()
    return (Candidate(row[0], row[1], row[2]), row[3]) if row else None


def add_upgrade_target(
    session: Session, tenant_id: int, actor: User | None, product_id: int, code: str
) -> Product:
    with write_transaction(session):
        product = _locked_product(session, tenant_id, product_id)
        found = find_by_code(session, tenant_id, code)
        message = rules.upgrade_target_error(product.id, found[0] if found else None)
        if message:
            raise ValidationFailed(message, {"code": [message]})
        target_id = found[0].id
        exists = session.scalar(
            select(ProductUpgrade.id).where(
                ProductUpgrade.from_product_id == product.id,
                ProductUpgrade.to_product_id == target_id,
            )
        )
        if exists is None:
            session.add(ProductUpgrade(from_product_id=product.id, to_product_id=target_id))
            record_audit(
                session,
                tenant_id,
                actor,
                "product",
                product.id,
                "upgrade_target",
                {"changes": {"upgrade target": [None, code.strip()]}},
            )
        return session.get(Product, target_id)


def remove_upgrade_target(
    session: Session, tenant_id: int, actor: User | None, product_id: int, target_id: int
) -> None:
    with write_transaction(session):
        product = _locked_product(session, tenant_id, product_id)
        removed = session.execute(
            delete(ProductUpgrade).where(
                ProductUpgrade.from_product_id == product.id,
                ProductUpgrade.to_product_id == target_id,
            )
        ).rowcount
        if removed:
            record_audit(
                session,
                tenant_id,
                actor,
                "product",
                product.id,
                "upgrade_target",
                {"changes": {"upgrade target": [target_id, None]}},
            )


def would_be(
    session: Session, tenant_id: int, product_id: int, code: str
) -> tuple[str, str | None]:
    """The bundle's execution type if the component with ``code`` were added, and why it
    cannot be, if it cannot (the live preview of the add-component form; three queries)."""
    product = session.scalar(
        select(Product).where(Product.id == product_id, Product.tenant_id == tenant_id)
    )
    if product is None:
        raise NotFound(texts.CATALOGUE_PRODUCT_NOT_FOUND)
    manual_type = session.scalar(
        select(ProductType.non_automatic_execution).where(ProductType.id == product.product_type_id)
    )
    current = links(session, tenant_id, product, bool(manual_type))
    found = find_by_code(session, tenant_id, code) if code.strip() else None
    problem = rules.component_errors(product.id, found[0] if found else None, 1).get("code")
    if problem:
        return current.execution_type, problem[0]
    kind = bundle_execution_type([current.execution_type, product_execution_type(found[1])])
    return kind, None


def save_component(
    session: Session,
    tenant_id: int,
    actor: User | None,
    bundle_id: int,
    code: str,
    quantity: int | None,
) -> None:
    """Add a component to the bundle, or set its quantity when it is already in it."""
    with write_transaction(session):
        bundle = _locked_product(session, tenant_id, bundle_id)
        found = find_by_code(session, tenant_id, code)
        errors = rules.component_errors(bundle.id, found[0] if found else None, quantity)
        if not errors and session.scalar(
            select(BundleComponent.id).where(BundleComponent.component_id == bundle.id).limit(1)
        ):
            errors = {"code": [texts.BUNDLE_COMPONENT_NESTED]}  # it is itself a component
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        component_id = found[0].id
        row = session.scalar(
            select(BundleComponent).where(
                BundleComponent.bundle_id == bundle.id,
                BundleComponent.component_id == component_id,
            )
        )
        before = row.quantity if row else None
        if row is None:
            row = BundleComponent(bundle_id=bundle.id, component_id=component_id)
            session.add(row)
        row.quantity = quantity
        bundle.is_bundle = True
        if before != quantity:
            record_audit(
                session,
                tenant_id,
                actor,
                "product",
                bundle.id,
                "component",
                {"changes": {f"component {code.strip()}": [before, quantity]}},
            )


def remove_component(
    session: Session, tenant_id: int, actor: User | None, bundle_id: int, component_id: int
) -> None:
    """Take a component out; a bundle left without components is a plain product again."""
    with write_transaction(session):
        bundle = _locked_product(session, tenant_id, bundle_id)
        removed = session.execute(
            delete(BundleComponent).where(
                BundleComponent.bundle_id == bundle.id,
                BundleComponent.component_id == component_id,
            )
        ).rowcount
        if removed:
            left = session.scalar(
                select(BundleComponent.id).where(BundleComponent.bundle_id == bundle.id).limit(1)
            )
            bundle.is_bundle = left is not None
            record_audit(
                session,
                tenant_id,
                actor,
                "product",
                bundle.id,
                "component",
                {"changes": {f"component {component_id}": ["removed", None]}},
            )
