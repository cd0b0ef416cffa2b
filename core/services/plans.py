"""Plans and add-ons of a product (issue 15, part B), each with a price per price list.

Each use case validates with :mod:`core.rules.catalogue`, commits once and writes the audit
trail (before -> after, prices included); a refused save changes nothing. The BSS product page
reads a product's parts in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import texts
from core.db import write_transaction
from core.models import AddOn, AddOnPrice, Plan, PlanPrice, PriceList, Product, User
from core.rules import catalogue as rules
from core.rules.catalogue import AddOnInput, PlanInput
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed


@dataclass
class Part:
    """A plan or an add-on with its price in each price list (price list id -> price)."""

    row: Plan | AddOn
    prices: dict[int, Decimal] = field(default_factory=dict)


@dataclass
class ProductParts:
    price_lists: list[PriceList]
    plans: list[Part]
    addons: list[Part]


def price_lists_of(session: Session, tenant_id: int) -> list[PriceList]:
    return list(
        session.scalars(
            select(PriceList)
            .where(PriceList.tenant_id == tenant_id)
            .order_by(PriceList.name, PriceList.id)
        )
    )


def product_parts(session: Session, tenant_id: int, product_id: int) -> ProductParts:
    """The plans and add-ons of a product with every price (three queries: the price lists,
    the plans with their prices, the add-ons with theirs)."""
    lists = price_lists_of(session, tenant_id)
    plans = _parts_with_prices(session, Plan, PlanPrice, PlanPrice.plan_id, tenant_id, product_id)
    addons = _parts_with_prices(
        session, AddOn, AddOnPrice, AddOnPrice.addon_id, tenant_id, product_id
    )
    return ProductParts(lists, plans, addons)


def _parts_with_prices(session, model, price_model, part_key, tenant_id, product_id) -> list[Part]:
    """The product's plans (or add-ons) by id, each with its prices: one row per price (an
    outer join, so a part without prices has one row)."""
    query = (
        _of_product(model, tenant_id, product_id)
        .outerjoin(price_model, part_key == model.id)
        .add_columns(price_model.price_list_id, price_model.price)
        .order_by(price_model.price_list_id)
    )
    parts: dict[int, Part] = {}
    for row, list_id, price in session.execute(query):
        part = parts.get(row.id)
        if part is None:
            part = parts[row.id] = Part(row)
        if list_id is not None:
            part.prices[list_id] = price
    return list(parts.values())


def _of_product(model, tenant_id: int, product_id: int):
    return (
        select(model)
        .join(Product, Product.id == model.product_id)
        .where(model.product_id == product_id, Product.tenant_id == tenant_id)
        .order_by(model.id)
    )


def get_part(session: Session, tenant_id: int, model, product_id: int, part_id: int) -> Part:
    """A plan (``model=Plan``) or add-on of the tenant's product, with its prices."""
    row = session.scalar(_of_product(model, tenant_id, product_id).where(model.id == part_id))
    if row is None:
        raise NotFound(texts.PLAN_NOT_FOUND if model is Plan else texts.ADDON_NOT_FOUND)
    price_model, key = (PlanPrice, "plan_id") if model is Plan else (AddOnPrice, "addon_id")
    prices = dict(
        session.execute(
            select(price_model.price_list_id, price_model.price).where(
                getattr(price_model, key) == part_id
            )
        ).all()
    )
    return Part(row, prices)


def _check_prices(lists: list[PriceList], typed: dict[int, str]) -> tuple[dict, dict]:
    """Price list id -> parsed price, and ``price-<id>`` -> messages for the refused ones."""
    known = {pl.id for pl in lists}
    values, refused = rules.parse_prices({str(k): v for k, v in typed.items()})
    errors = {f"price-{k}": [message] for k, message in refused.items()}
    for list_id in typed:
        if list_id not in known:
            errors[f"price-{list_id}"] = [texts.PRICES_UNKNOWN_ROW]
    return {int(k): v for k, v in values.items()}, errors


def _save_part(
    session: Session,
    tenant_id: int,
    actor: User | None,
    model,
    product_id: int,
    part_id: int | None,
    fields: dict,
    validate,
    typed_prices: dict[int, str],
):
    """``validate(product, taken_names)``: field -> messages for the part, given its product
    and the names of the product's other parts of the same kind (read under the product's
    lock, so two saves of one name at once cannot both pass)."""
    with write_transaction(session):
        product = session.scalar(
            select(Product)
            .where(Product.id == product_id, Product.tenant_id == tenant_id)
            .with_for_update()
        )
        if product is None:
            raise NotFound(texts.CATALOGUE_PRODUCT_NOT_FOUND)
        existing = get_part(session, tenant_id, model, product_id, part_id) if part_id else None
        taken_names = session.scalars(
            select(model.name).where(model.product_id == product.id, model.id != (part_id or -1))
        ).all()
        lists = price_lists_of(session, tenant_id)
        prices, price_errors = _check_prices(lists, typed_prices)
        errors = validate(product, taken_names) | price_errors
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        row = existing.row if existing else model(product_id=product.id)
        before = {k: getattr(row, k) for k in fields} if existing else {}
        old_prices = existing.prices if existing else {}
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
        session.flush()
        names = {pl.id: pl.name for pl in lists}
        diff = rules.changes(before, fields)
        price_model, key = (PlanPrice, "plan_id") if model is Plan else (AddOnPrice, "addon_id")
        for list_id, price in prices.items():
            old = old_prices.get(list_id)
            if old == price:
                continue
            diff[f"price {names[list_id]}"] = [old, price]
            session.execute(
                delete(price_model).where(
                    getattr(price_model, key) == row.id, price_model.price_list_id == list_id
                )
            )
            if price is not None:
                session.add(price_model(**{key: row.id}, price_list_id=list_id, price=price))
        if diff:
            entity = "plan" if model is Plan else "addon"
            action = "update" if existing else "create"
            record_audit(session, tenant_id, actor, entity, row.id, action, {"changes": diff})
        return row


def save_plan(
    session: Session,
    tenant_id: int,
    actor: User | None,
    product_id: int,
    values: PlanInput,
    prices: dict[int, str],
    *,
    plan_id: int | None = None,
) -> Plan:
    """Create or update a plan of the product with its price in each price list typed (an
    empty price: not sold in that list) and its own free trial (None: the product's)."""
    values = PlanInput(
        values.name.strip(),
        values.billing_cycle,
        values.commitment_months,
        values.min_quantity,
        values.max_quantity,
        values.trial_days,
    )
    fields = {
        "name": values.name,
        "billing_cycle": values.billing_cycle,
        "commitment_months": values.commitment_months,
        "min_quantity": values.min_quantity,
        "max_quantity": values.max_quantity,
        "trial_days": values.trial_days,
    }
    return _save_part(
        session,
        tenant_id,
        actor,
        Plan,
        product_id,
        plan_id,
        fields,
        lambda product, taken: rules.validate_plan(
            values, billing_kind=product.billing_kind, taken_names=taken
        ),
        prices,
    )


def save_addon(
    session: Session,
    tenant_id: int,
    actor: User | None,
    product_id: int,
    values: AddOnInput,
    prices: dict[int, str],
    *,
    addon_id: int | None = None,
) -> AddOn:
    """Create or update an add-on of the product, with its quantity limits and prices."""
    values = AddOnInput(values.name.strip(), values.min_quantity, values.max_quantity)
    fields = {
        "name": values.name,
        "min_quantity": values.min_quantity,
        "max_quantity": values.max_quantity,
    }
    return _save_part(
        session,
        tenant_id,
        actor,
        AddOn,
        product_id,
        addon_id,
        fields,
        lambda _product, taken: rules.validate_addon(values, taken_names=taken),
        prices,
    )
