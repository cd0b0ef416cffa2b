"""BSS Setup use cases: product types, order and offer status tables, Use of API Options.

Each use case validates with :mod:`core.rules` and commits once; invalid input changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.models import ApiOptions, OfferStatus, OrderStatus, ProductType, User
from core.rules import statuses as status_rules
from core.rules.product_types import ProductTypeChange, validate_product_type
from core.rules.statuses import StatusRow
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.statuses import (
    offer_status_row,
    offer_statuses,
    order_status_row,
    order_statuses,
)

SHARING_RULES = (("private", "Private"), ("team", "Team"), ("public", "Everyone"))

# --- product types ---------------------------------------------------------------------------


def list_product_types(session: Session, tenant_id: int) -> list[ProductType]:
    return list(
        session.scalars(
            select(ProductType).where(ProductType.tenant_id == tenant_id).order_by(ProductType.name)
        )
    )


def get_product_type(session: Session, tenant_id: int, product_type_id: int) -> ProductType:
    product_type = session.scalar(
        select(ProductType).where(
            ProductType.id == product_type_id, ProductType.tenant_id == tenant_id
        )
    )
    if product_type is None:
        raise NotFound("That product type does not exist.")
    return product_type


def save_product_type(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    product_type_id: int | None,
    name: str,
    is_asset: bool,
    non_automatic_execution: bool,
    connector: str | None = None,
    connectors: Collection[str] = (),
) -> ProductType:
    """Create (``product_type_id=None``) or update a product type. Rule 4.1 applies.

    ``connector``: the provisioning connector of its products (issue 16), one of
    ``connectors`` (those the plugin manager found); ``None`` keeps the current one (a new
    type: none, which is the manual connector)."""
    with write_transaction(session):
        existing = (
            get_product_type(session, tenant_id, product_type_id) if product_type_id else None
        )
        if existing is not None:
            is_asset = existing.is_asset  # an asset type stays one: it is what the type is
        others = [
            pt.name
            for pt in list_product_types(session, tenant_id)
            if existing is None or pt.id != existing.id
        ]
        change = ProductTypeChange(name.strip(), is_asset, non_automatic_execution)
        rows = [order_status_row(s) for s in order_statuses(session, tenant_id)]
        errors = validate_product_type(change, rows, others)
        kept = existing is not None and connector == existing.connector  # a plugin since removed
        if connector is not None and connector not in connectors and not kept:
            errors.setdefault("connector", []).append(texts.PRODUCT_TYPE_CONNECTOR_UNKNOWN)
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        product_type = existing or ProductType(tenant_id=tenant_id)
        before = (
            {
                "name": existing.name,
                "non_automatic_execution": existing.non_automatic_execution,
                "connector": existing.connector,
            }
            if existing
            else None
        )
        if connector is not None:
            product_type.connector = connector
        product_type.name = change.name
        product_type.is_asset = change.is_asset
        product_type.non_automatic_execution = change.non_automatic_execution and not is_asset
        session.add(product_type)
        session.flush()
        record_audit(
            session,
            tenant_id,
            actor,
            "product_type",
            product_type.id,
            "update" if existing else "create",
            {
                "before": before,
                "name": product_type.name,
                "non_automatic_execution": product_type.non_automatic_execution,
                "connector": product_type.connector,
            },
        )
        return product_type


# --- status tables ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusInput:
    """What a user typed for one status row."""

    number: int
    description: str
    type: str
    storefront_type: str | None
    color: str
    active: bool


def _apply_row(row: StatusRow, values: StatusInput) -> StatusRow:
    return replace(
        row,
        number=values.number,
        description=values.description.strip(),
        type=values.type,
        storefront_type=values.storefront_type,
        color=values.color.strip(),
        active=values.active,
    )


def _status_change(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    kind: str,
    status_id: int | None,
    values: StatusInput | None,
    delete: bool = False,
):
    """Shared flow for adding, editing and deleting a row of either status table."""
    is_order = kind == "order"
    model = OrderStatus if is_order else OfferStatus
    with write_transaction(session):
        current = (
            order_statuses(session, tenant_id) if is_order else offer_statuses(session, tenant_id)
        )
        to_row = order_status_row if is_order else offer_status_row
        before = [status_rules.normalize_legacy(to_row(s)) for s in current]
        by_key = {r.key: r for r in before}
        if status_id is not None and (
            str(status_id) not in by_key or by_key[str(status_id)].deleted
        ):
            raise NotFound(texts.STATUS_NOT_FOUND)
        key = str(status_id) if status_id is not None else "new"
        if status_id is None:
            new_row = _apply_row(StatusRow(key="new", number=0, description="", type=""), values)
            after = before + [new_row]
        else:
            row = by_key[key]
            new_row = replace(row, deleted=True) if delete else _apply_row(row, values)
            after = [new_row if r.key == key else r for r in before]
        validate = (
            status_rules.validate_order_status_table
            if is_order
            else status_rules.validate_offer_status_table
        )
        errors = validate(before, after)
        if errors:
            first = next(iter(errors.values()))[0]
            raise ValidationFailed(first, dict(errors))
        if status_id is None:
            status = model(tenant_id=tenant_id)
            session.add(status)
        else:
            status = next(s for s in current if s.id == status_id)
        if delete:
            # never hard-deleted: orders, offers and history keep showing the name
            status.deleted_at = utcnow()
            status.active = False
            action = "delete"
        else:
            status.number = new_row.number
            status.description = new_row.description
            status.type = new_row.type
            if is_order:
                status.storefront_type = new_row.storefront_type
            status.color = new_row.color
            status.active = new_row.active
            action = "create" if status_id is None else "update"
        # legacy "Not Viewable" rows of this table become "Viewable" with any save
        if is_order:
            for other in current:
                if other.storefront_type == status_rules.StorefrontType.NOT_VIEWABLE:
                    other.storefront_type = status_rules.StorefrontType.VIEWABLE
        session.flush()
        record_audit(
            session,
            tenant_id,
            actor,
            f"{kind}_status",
            status.id,
            action,
            {"description": status.description, "type": status.type, "active": status.active},
        )
        return status


def add_order_status(session, tenant_id, actor, values: StatusInput) -> OrderStatus:
    return _status_change(session, tenant_id, actor, kind="order", status_id=None, values=values)


def update_order_status(session, tenant_id, actor, status_id: int, values: StatusInput):
    return _status_change(
        session, tenant_id, actor, kind="order", status_id=status_id, values=values
    )


def delete_order_status(session, tenant_id, actor, status_id: int):
    return _status_change(
        session, tenant_id, actor, kind="order", status_id=status_id, values=None, delete=True
    )


def add_offer_status(session, tenant_id, actor, values: StatusInput) -> OfferStatus:
    return _status_change(session, tenant_id, actor, kind="offer", status_id=None, values=values)


def update_offer_status(session, tenant_id, actor, status_id: int, values: StatusInput):
    return _status_change(
        session, tenant_id, actor, kind="offer", status_id=status_id, values=values
    )


def delete_offer_status(session, tenant_id, actor, status_id: int):
    return _status_change(
        session, tenant_id, actor, kind="offer", status_id=status_id, values=None, delete=True
    )


# --- Use of API Options ----------------------------------------------------------------------


def get_api_options(session: Session, tenant_id: int) -> ApiOptions:
    options = session.scalar(
        select(ApiOptions).where(ApiOptions.tenant_id == tenant_id, ApiOptions.entity == "order")
    )
    return options or ApiOptions(tenant_id=tenant_id, entity="order", sharing_rule="private")


def bss_users(session: Session, tenant_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.tenant_id == tenant_id, User.kind == "bss", User.active.is_(True))
            .order_by(User.name)
        )
    )


def save_api_options(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    responsible_user_id: int | None,
    sharing_rule: str,
) -> ApiOptions:
    with write_transaction(session):
        errors: dict[str, list[str]] = {}
        if responsible_user_id is not None and responsible_user_id not in {
            u.id for u in bss_users(session, tenant_id)
        }:
            errors["responsible_user_id"] = [texts.API_OPTIONS_USER_INVALID]
        if sharing_rule not in dict(SHARING_RULES):
            errors["sharing_rule"] = [texts.API_OPTIONS_SHARING_INVALID]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        options = get_api_options(session, tenant_id)
        options.responsible_user_id = responsible_user_id
        options.sharing_rule = sharing_rule
        session.add(options)
        session.flush()
        record_audit(
            session,
            tenant_id,
            actor,
            "api_options",
            options.id,
            "update",
            {"responsible_user_id": responsible_user_id, "sharing_rule": sharing_rule},
        )
        return options
