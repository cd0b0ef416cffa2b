"""Price lists and their prices (issue 15, part C): create, rename, currency, and the bulk price
edit of a price list, a page of products at a time, saved at once or not at all.

A price changed here applies to what is priced from now on: orders, offers, invoices and
subscriptions keep the unit prices they were made with (they store them); a scheduled order is
re-priced when it executes, as it always was. Every change is in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import list_currencies
from sqlalchemy import delete, func, literal, or_, select, tuple_, update
from sqlalchemy.orm import Session

from core import texts
from core.db import write_transaction
from core.models import AddOn, AddOnPrice, Plan, PlanPrice, PriceList, Product, User
from core.rules import catalogue as rules
from core.services.audit import record_audit
from core.services.errors import NotFound, ValidationFailed
from core.services.picking import contains_pattern

PAGE_SIZE = 50
AUDIT_ENTITY = "price_list"
# the ISO 4217 codes a price list may be in (not XXX "no currency" nor XTS "testing")
CURRENCIES = frozenset(list_currencies()) - {"XXX", "XTS"}


# --- price lists ----------------------------------------------------------------------------------


def list_price_lists(session: Session, tenant_id: int) -> list[PriceList]:
    return list(
        session.scalars(
            select(PriceList)
            .where(PriceList.tenant_id == tenant_id)
            .order_by(PriceList.name, PriceList.id)
        )
    )


def get_price_list(session: Session, tenant_id: int, price_list_id: int) -> PriceList:
    price_list = session.scalar(
        select(PriceList).where(PriceList.id == price_list_id, PriceList.tenant_id == tenant_id)
    )
    if price_list is None:
        raise NotFound(texts.PRICE_LIST_NOT_FOUND)
    return price_list


def save_price_list(
    session: Session,
    tenant_id: int,
    actor: User | None,
    *,
    name: str,
    currency: str,
    price_list_id: int | None = None,
    is_default: bool = False,
) -> PriceList:
    """Create (``price_list_id=None``) or rename / change the currency of a price list.

    ``is_default``: the list visitors who are not signed in see, and new accounts get. A tenant
    has exactly one: its first price list becomes it, and making another one the default moves
    it there (unticking the default list itself is refused: make another one the default)."""
    name, currency = name.strip(), currency.strip().upper()
    with write_transaction(session):
        existing = get_price_list(session, tenant_id, price_list_id) if price_list_id else None
        taken = session.scalars(
            select(PriceList.name).where(
                PriceList.tenant_id == tenant_id,
                PriceList.id != (existing.id if existing else -1),
            )
        ).all()
        errors = rules.validate_price_list(name, currency, taken, CURRENCIES)
        current_default = session.scalar(
            select(PriceList)
            .where(PriceList.tenant_id == tenant_id, PriceList.is_default)
            .with_for_update()
        )
        if current_default is None:
            is_default = True  # the tenant's first (or only) list: visitors need one
        elif existing is not None and existing.is_default and not is_default:
            errors["is_default"] = [texts.PRICE_LIST_DEFAULT_REQUIRED]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        before = (
            {
                "name": existing.name,
                "currency": existing.currency,
                "is_default": existing.is_default,
            }
            if existing
            else {}
        )
        if is_default and current_default is not None and current_default is not existing:
            # one default per tenant (a partial unique index): unset the old one first
            session.execute(
                update(PriceList)
                .where(PriceList.id == current_default.id)
                .values(is_default=False)
                .execution_options(synchronize_session="fetch")
            )
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                current_default.id,
                "update",
                {"changes": {"is_default": [True, False]}},
            )
        price_list = existing or PriceList(tenant_id=tenant_id)
        price_list.name, price_list.currency = name, currency
        price_list.is_default = bool(is_default)
        session.add(price_list)
        session.flush()
        diff = rules.changes(
            before, {"name": name, "currency": currency, "is_default": bool(is_default)}
        )
        if diff:
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                price_list.id,
                "update" if existing else "create",
                {"changes": diff},
            )
        return price_list


# --- the bulk price edit ----------------------------------------------------------------------


@dataclass
class PriceRow:
    """One editable cell: a plan or an add-on of a product, and its price in the list."""

    key: str  # "plan-<id>" / "addon-<id>": the form field's name
    label: str
    detail: str  # billing cycle of a plan, quantity limits of an add-on
    price: Decimal | None


@dataclass
class PricedProduct:
    id: int
    code: str
    name: str
    rows: list[PriceRow] = field(default_factory=list)


@dataclass
class PricePage:
    price_list: PriceList
    products: list[PricedProduct]
    next_cursor: str | None

    @property
    def keys(self) -> list[str]:
        return [row.key for p in self.products for row in p.rows]


def price_page(
    session: Session,
    tenant_id: int,
    price_list_id: int,
    *,
    text: str | None = None,
    after: str | None = None,
    page_size: int = PAGE_SIZE,
) -> PricePage:
    """A page of the tenant's products (not retired) by name, with every plan and add-on and its
    price in the list: five queries whatever the size of the catalogue."""
    price_list = get_price_list(session, tenant_id, price_list_id)
    query = select(Product.id, Product.code, Product.name).where(
        Product.tenant_id == tenant_id, Product.active.is_(True)
    )
    text = (text or "").strip()
    if text:
        pattern = contains_pattern(text)
        query = query.where(
            or_(func.lower(Product.name).like(pattern), func.lower(Product.code).like(pattern))
        )
    cursor = rules.decode_cursor(after)
    if cursor is not None:
        query = query.where(
            tuple_(Product.name, Product.id) > tuple_(literal(cursor[0]), cursor[1])
        )
    found = session.execute(query.order_by(Product.name, Product.id).limit(page_size + 1)).all()
    products = {pid: PricedProduct(pid, code, name) for pid, code, name in found[:page_size]}
    ids = list(products)
    if ids:
        plans = session.execute(
            select(Plan.id, Plan.product_id, Plan.name, Plan.billing_cycle, PlanPrice.price)
            .outerjoin(
                PlanPrice,
                (PlanPrice.plan_id == Plan.id) & (PlanPrice.price_list_id == price_list.id),
            )
            .where(Plan.product_id.in_(ids))
            .order_by(Plan.id)
        )
        for plan_id, product_id, name, cycle, price in plans:
            products[product_id].rows.append(
                PriceRow(f"plan-{plan_id}", name, cycle.replace("_", "-"), price)
            )
        addons = session.execute(
            select(
                AddOn.id,
                AddOn.product_id,
                AddOn.name,
                AddOn.min_quantity,
                AddOn.max_quantity,
                AddOnPrice.price,
            )
            .outerjoin(
                AddOnPrice,
                (AddOnPrice.addon_id == AddOn.id) & (AddOnPrice.price_list_id == price_list.id),
            )
            .where(AddOn.product_id.in_(ids))
            .order_by(AddOn.id)
        )
        for addon_id, product_id, name, low, high, price in addons:
            products[product_id].rows.append(
                PriceRow(f"addon-{addon_id}", f"Add-on: {name}", f"{low}–{high}", price)
            )
    rows = list(products.values())
    next_cursor = (
        rules.encode_cursor(rows[-1].name, rows[-1].id) if len(found) > page_size else None
    )
    return PricePage(price_list, rows, next_cursor)


def _split(key: str) -> tuple[str, int] | None:
    kind, _, raw = key.partition("-")
    if kind not in ("plan", "addon") or not raw.isascii() or not raw.isdigit():
        return None
    number = int(raw)
    return (kind, number) if 0 < number < 2**63 else None


def save_prices(
    session: Session,
    tenant_id: int,
    actor: User | None,
    price_list_id: int,
    cells: dict[str, str],
) -> int:
    """Save every typed price of a bulk edit at once; returns how many changed. An empty cell
    removes the price (the plan or add-on is then not sold in this list). Refused when any
    cell is not a price or not a plan/add-on of the tenant: :class:`ValidationFailed` with a
    message per row key, and nothing saved. Saving the same table twice changes nothing the
    second time."""
    values, errors = rules.parse_prices(cells)
    parsed = {key: _split(key) for key in values}
    for key, target in parsed.items():
        if target is None:
            errors[key] = texts.PRICES_UNKNOWN_ROW
    with write_transaction(session):
        price_list = get_price_list(session, tenant_id, price_list_id)
        plan_ids = {n for kind, n in filter(None, parsed.values()) if kind == "plan"}
        addon_ids = {n for kind, n in filter(None, parsed.values()) if kind == "addon"}
        own_plans = set(
            session.scalars(
                select(Plan.id)
                .join(Product, Product.id == Plan.product_id)
                .where(Plan.id.in_(plan_ids), Product.tenant_id == tenant_id)
            )
        )
        own_addons = set(
            session.scalars(
                select(AddOn.id)
                .join(Product, Product.id == AddOn.product_id)
                .where(AddOn.id.in_(addon_ids), Product.tenant_id == tenant_id)
            )
        )
        for key, target in parsed.items():
            if target is not None and target[1] not in (
                own_plans if target[0] == "plan" else own_addons
            ):
                errors[key] = texts.PRICES_UNKNOWN_ROW
        if errors:
            raise ValidationFailed(texts.PRICES_REFUSED.format(count=len(errors)), errors)
        current = {
            f"plan-{row.plan_id}": row
            for row in session.scalars(
                select(PlanPrice)
                .where(PlanPrice.price_list_id == price_list.id, PlanPrice.plan_id.in_(plan_ids))
                .with_for_update()
            )
        }
        current |= {
            f"addon-{row.addon_id}": row
            for row in session.scalars(
                select(AddOnPrice)
                .where(
                    AddOnPrice.price_list_id == price_list.id, AddOnPrice.addon_id.in_(addon_ids)
                )
                .with_for_update()
            )
        }
        changed: dict[str, list] = {}
        for key, value in values.items():
            kind, number = parsed[key]
            row = current.get(key)
            old = row.price if row is not None else None
            if old == value:
                continue
            changed[key] = [old, value]
            if value is None:
                session.execute(
                    delete(PlanPrice).where(PlanPrice.id == row.id)
                    if kind == "plan"
                    else delete(AddOnPrice).where(AddOnPrice.id == row.id)
                )
            elif row is not None:
                row.price = value
            elif kind == "plan":
                session.add(PlanPrice(plan_id=number, price_list_id=price_list.id, price=value))
            else:
                session.add(AddOnPrice(addon_id=number, price_list_id=price_list.id, price=value))
        if changed:
            record_audit(
                session,
                tenant_id,
                actor,
                AUDIT_ENTITY,
                price_list.id,
                "prices",
                {"changes": changed},
            )
        return len(changed)
