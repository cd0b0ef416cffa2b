"""The Storefront catalogue (PRODUCT.md 5.1): products with their plans, prices from the
customer's price list, add-ons, bundle components and execution type.

Every function runs a fixed number of queries whatever the size of the catalogue: a catalogue
page reads plain columns (no ORM objects), a product is read with its type, plans and add-ons in
one query, prices and bundle components take one query each. The statements a page runs on every
request are built once, with bound parameters (docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from core.enums import ExecutionType
from core.models import (
    AddOn,
    BundleComponent,
    Plan,
    Product,
    ProductType,
    ProductUpgrade,
    Promotion,
)
from core.rules.execution import bundle_execution_type, product_execution_type
from core.services import pricing
from core.services.errors import NotFound


@dataclass
class PricedPlan:
    plan: Plan
    price: Decimal | None


@dataclass
class PricedAddOn:
    addon: AddOn
    price: Decimal | None


@dataclass
class Component:
    product_id: int
    name: str
    quantity: int
    execution_type: str


@dataclass
class ProductView:
    product: Product
    execution_type: str
    plans: list[PricedPlan] = field(default_factory=list)
    addons: list[PricedAddOn] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    discount_percent: Decimal | None = None

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL

    @property
    def from_price(self) -> Decimal | None:
        prices = [p.price for p in self.plans if p.price is not None]
        return min(prices) if prices else None

    @property
    def unit(self) -> str:
        return self.product.unit

    @property
    def addon_cycle(self) -> str | None:
        """Add-ons are billed with their plan: the plans' cycle when they share one."""
        cycles = {p.plan.billing_cycle for p in self.plans}
        return cycles.pop() if len(cycles) == 1 else None


def _components(session: Session, bundle_ids: list[int]) -> dict[int, list[Component]]:
    """Bundle id -> its components with their execution types (one query)."""
    if not bundle_ids:
        return {}
    part = aliased(Product)
    rows = session.execute(
        select(
            BundleComponent.bundle_id,
            part.id,
            part.name,
            BundleComponent.quantity,
            ProductType.non_automatic_execution,
        )
        .join(part, part.id == BundleComponent.component_id)
        .join(ProductType, ProductType.id == part.product_type_id)
        .where(BundleComponent.bundle_id.in_(bundle_ids))
        .order_by(BundleComponent.id)
    )
    result: dict[int, list[Component]] = {}
    for bundle_id, pid, name, qty, manual in rows:
        result.setdefault(bundle_id, []).append(
            Component(pid, name, qty, product_execution_type(manual))
        )
    return result


def execution_types(session: Session, product_ids: Iterable[int]) -> dict[int, str]:
    """Product id -> execution type; a bundle is manual if any component is (two queries)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Product.id, Product.is_bundle, ProductType.non_automatic_execution)
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.id.in_(ids))
    ).all()
    return execution_types_of(session, rows)


def execution_types_of(session: Session, rows: Iterable[tuple[int, bool, bool]]) -> dict[int, str]:
    """(product id, is bundle, its type's non-automatic option) rows -> product id -> execution
    type; one query for the components, only when a bundle is among them."""
    rows = list(rows)
    bundles = _components(session, [pid for pid, is_bundle, _ in rows if is_bundle])
    return {
        pid: _type_of(manual, [c.execution_type for c in bundles.get(pid, [])])
        for pid, _is_bundle, manual in rows
    }


def _type_of(type_option: bool, component_types: list[str]) -> str:
    return bundle_execution_type([product_execution_type(type_option), *component_types])


def promotions(session: Session, tenant_id: int, product_ids: Iterable[int], on: date):
    """Product id -> best active promotion percentage that day (one query)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Promotion.product_id, Promotion.percent_off).where(
            Promotion.tenant_id == tenant_id,
            Promotion.product_id.in_(ids),
            Promotion.active.is_(True),
            Promotion.starts_on <= on,
            Promotion.ends_on >= on,
        )
    )
    best: dict[int, Decimal] = {}
    for product_id, percent in rows:
        best[product_id] = max(percent, best.get(product_id, Decimal(0)))
    return best


def _views(
    session: Session,
    tenant_id: int,
    products: list[Product],
    price_list_id,
    on: date,
    form_only: bool = False,
    promos: dict[int, Decimal] | None = None,
) -> list[ProductView]:
    bundles = _components(session, [p.id for p in products if p.is_bundle])
    plan_prices = pricing.plan_prices(
        session, price_list_id, [pl.id for p in products for pl in p.plans]
    )
    addon_prices = {}
    if not form_only:
        addon_prices = pricing.addon_prices(
            session, price_list_id, [a.id for p in products for a in p.addons]
        )
        if promos is None:
            promos = promotions(session, tenant_id, [p.id for p in products], on)
    promos = promos or {}
    views = []
    for product in products:
        components = bundles.get(product.id, [])
        views.append(
            ProductView(
                product=product,
                execution_type=_type_of(
                    product.product_type.non_automatic_execution,
                    [c.execution_type for c in components],
                ),
                plans=[PricedPlan(pl, plan_prices.get(pl.id)) for pl in product.plans],
                addons=[PricedAddOn(a, addon_prices.get(a.id)) for a in product.addons],
                components=components,
                discount_percent=promos.get(product.id),
            )
        )
    return views


@dataclass(frozen=True, slots=True)
class ProductSummary:
    id: int
    code: str
    name: str
    description: str
    is_bundle: bool
    trial_days: int | None
    unit: str = ""


@dataclass(slots=True)
class ProductCard:
    """One product of a catalogue page: plain values, no ORM objects (a page of 48 cards is
    read with one to three column queries)."""

    product: ProductSummary
    execution_type: str
    from_price: Decimal | None = None
    components: list[Component] = field(default_factory=list)
    from_cycle: str | None = None  # the billing cycle of the "from" price's plan

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL


def catalogue_page(
    session: Session,
    tenant_id: int,
    price_list_id: int | None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[ProductCard]:
    """A page of the catalogue by name: each product with its execution type, its lowest plan
    price in the price list (none without one) and its bundle components. One query for the
    products, one for the prices (only with a price list), one for the components (only when
    the page holds bundles)."""
    rows = session.execute(
        select(
            Product.id,
            Product.code,
            Product.name,
            Product.description,
            Product.is_bundle,
            Product.trial_days,
            ProductType.non_automatic_execution,
            Product.unit,
        )
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(Product.name, Product.id)
        .offset(offset)
        .limit(limit)
    ).all()
    ids = [row[0] for row in rows]
    from_prices = pricing.lowest_plan_prices(session, price_list_id, ids)
    bundles = _components(session, [row[0] for row in rows if row[4]])
    cards = []
    for pid, code, name, description, is_bundle, trial_days, manual, unit in rows:
        components = bundles.get(pid, [])
        price, cycle = from_prices.get(pid, (None, None))
        cards.append(
            ProductCard(
                product=ProductSummary(pid, code, name, description, is_bundle, trial_days, unit),
                execution_type=_type_of(manual, [c.execution_type for c in components]),
                from_price=price,
                components=components,
                from_cycle=cycle,
            )
        )
    return cards


# a product with its type, plans and add-ons in one query (a handful of rows); built once
PRODUCT_FOR_SALE = (
    select(Product)
    .where(
        Product.id == bindparam("product_id"),
        Product.tenant_id == bindparam("tenant_id"),
        Product.active.is_(True),
    )
    .options(
        joinedload(Product.product_type),
        joinedload(Product.plans),
        joinedload(Product.addons),
    )
)


_BEST_PROMOTION = (
    select(func.max(Promotion.percent_off))
    .where(
        Promotion.tenant_id == Product.tenant_id,
        Promotion.product_id == Product.id,
        Promotion.active.is_(True),
        Promotion.starts_on <= bindparam("on"),
        Promotion.ends_on >= bindparam("on"),
    )
    .correlate(Product)
    .scalar_subquery()
)
_PRODUCT_PAGE = PRODUCT_FOR_SALE.add_columns(_BEST_PROMOTION)


def product_for_sale(session: Session, tenant_id: int, product_id: int) -> Product | None:
    """The tenant's active product with its type, plans and add-ons loaded (one query)."""
    params = {"product_id": product_id, "tenant_id": tenant_id}
    return session.scalars(PRODUCT_FOR_SALE, params).unique().first()


def product_detail(
    session: Session,
    tenant_id: int,
    product_id: int,
    price_list_id: int | None,
    on: date,
    *,
    form_only: bool = False,
) -> ProductView:
    """A product page's view. ``form_only``: just what the add-to-basket form shows (plans
    with their prices, add-ons by name), without add-on prices and promotions."""
    if form_only:
        product = product_for_sale(session, tenant_id, product_id)
        promos = {}
    else:
        # the page: the best promotion of the day comes with the product, in the same query
        params = {"product_id": product_id, "tenant_id": tenant_id, "on": on}
        row = session.execute(_PRODUCT_PAGE, params).unique().first()
        product, percent = row if row is not None else (None, None)
        promos = {product_id: percent} if percent is not None else {}
    if product is None:
        raise NotFound("That product does not exist.")
    return _views(session, tenant_id, [product], price_list_id, on, form_only, promos)[0]


def product_view(
    session: Session,
    tenant_id: int,
    product: Product,
    price_list_id: int | None,
    on: date,
    *,
    form_only: bool = False,
) -> ProductView:
    """The view of a product already loaded by :func:`product_for_sale`."""
    return _views(session, tenant_id, [product], price_list_id, on, form_only)[0]


def upgrade_targets(
    session: Session, tenant_id: int, product_ids: Iterable[int]
) -> dict[int, list[Product]]:
    """Product id -> the products it may be upgraded to (one query)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(ProductUpgrade.from_product_id, Product)
        .join(Product, Product.id == ProductUpgrade.to_product_id)
        .where(
            ProductUpgrade.from_product_id.in_(ids),
            Product.tenant_id == tenant_id,
            Product.active.is_(True),
        )
        .options(selectinload(Product.plans))
        .order_by(Product.name)
    )
    result: dict[int, list[Product]] = {}
    for from_id, product in rows:
        result.setdefault(from_id, []).append(product)
    return result
