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

from sqlalchemy import (
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from core.db import Money
from core.enums import ExecutionType
from core.models import (
    AddOn,
    BundleComponent,
    Plan,
    PlanPrice,
    Product,
    ProductType,
    ProductUpgrade,
)
from core.rules import promotions as promotion_rules
from core.rules.catalogue import trial_days_for
from core.rules.execution import bundle_execution_type, product_execution_type
from core.rules.promotions import PromotionTerms
from core.services import pricing
from core.services import promotions as promotion_service
from core.services.errors import NotFound
from core.services.orders import _contains as contains_pattern


@dataclass
class PricedPlan:
    plan: Plan
    price: Decimal | None
    # the best promotion of the day for this plan (core.rules.promotions), and its price then
    promotion: PromotionTerms | None = None
    # its free trial in days (core.rules.catalogue.trial_days_for), None: no trial
    trial_days: int | None = None

    @property
    def sale_price(self) -> Decimal | None:
        if self.price is None or self.promotion is None:
            return None
        return self.price - promotion_rules.unit_discount(self.promotion, self.price)


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

    @property
    def manual(self) -> bool:
        return self.execution_type == ExecutionType.MANUAL

    @property
    def promotions_today(self) -> list[PromotionTerms]:
        """The promotions that price some plan today, once each (the page's badge)."""
        return list({p.promotion.id: p.promotion for p in self.plans if p.promotion}.values())

    @property
    def trial_days(self) -> int | None:
        """The longest trial of its plans (the "Start with a free trial" box shows then)."""
        return max((p.trial_days for p in self.plans if p.trial_days), default=None)

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


def promotions(
    session: Session, tenant_id: int, product_ids: Iterable[int], on: date
) -> dict[int, list[PromotionTerms]]:
    """Product id -> its active promotions around that day, for core.rules.promotions (one
    query)."""
    return promotion_service.load_terms(session, tenant_id, product_ids, on)


def _views(
    session: Session,
    tenant_id: int,
    products: list[Product],
    price_list_id,
    on: date,
    form_only: bool = False,
    promos: dict[int, list[PromotionTerms]] | None = None,
    plan_prices: dict[int, Decimal] | None = None,
) -> list[ProductView]:
    bundles = _components(session, [p.id for p in products if p.is_bundle])
    if plan_prices is None:
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
                plans=[
                    _priced_plan(
                        pl, plan_prices.get(pl.id), promos.get(product.id, ()), on, product
                    )
                    for pl in product.plans
                ],
                addons=[PricedAddOn(a, addon_prices.get(a.id)) for a in product.addons],
                components=components,
            )
        )
    return views


# a visitor without a price list sees no price: promotions are compared on this one instead
_NOMINAL_PRICE = Decimal("100.00")


def _priced_plan(
    plan: Plan, price: Decimal | None, promos, on: date, product: Product
) -> PricedPlan:
    unit = price if price is not None else _NOMINAL_PRICE
    return PricedPlan(
        plan,
        price,
        promotion_rules.best_promotion(promos, plan.product_id, plan.id, unit, on),
        trial_days_for(plan.trial_days, product.trial_days),
    )


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


# a product's cheapest plan in a price list, read with the product: its price ("from ...")
# and its billing cycle (what that price is for)
def _cheapest(column):
    return (
        select(column)
        .select_from(PlanPrice)
        .join(Plan, Plan.id == PlanPrice.plan_id)
        .where(Plan.product_id == Product.id, PlanPrice.price_list_id == bindparam("price_list_id"))
        .order_by(PlanPrice.price, Plan.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


# the longest trial of a product's plans: the plan's own length, else the product's (the SQL
# form of core.rules.catalogue.trial_days_for, read back through it)
_LONGEST_TRIAL = (
    select(func.max(func.coalesce(Plan.trial_days, Product.trial_days)))
    .where(Plan.product_id == Product.id)
    .correlate(Product)
    .scalar_subquery()
)
_FROM_PRICE = _cheapest(PlanPrice.price)
_FROM_CYCLE = _cheapest(Plan.billing_cycle)
# PostgreSQL (issue 19, sixth pass): the cheapest plan found once per product, its price and
# its cycle together, by a LATERAL join (two scalar subqueries ran the same search twice: a
# sixth of the statement's buffers and ~0.1 ms of the server's CPU a page); SQLite has no
# LATERAL and keeps the two subqueries (same rows)
_CHEAPEST_PLAN = (
    select(PlanPrice.price.label("price"), Plan.billing_cycle.label("billing_cycle"))
    .select_from(PlanPrice)
    .join(Plan, Plan.id == PlanPrice.plan_id)
    .where(Plan.product_id == Product.id, PlanPrice.price_list_id == bindparam("price_list_id"))
    .order_by(PlanPrice.price, Plan.id)
    .limit(literal_column("1", Integer))
    .lateral("cheapest_plan")
)
# what the Storefront sells: published products that are not retired (core.rules.catalogue)
ON_SALE = (Product.active.is_(True), Product.published.is_(True))


def _catalogue_statement(
    priced: bool, text: bool, product_type: bool, limited: bool, lateral: bool = False
):
    """The statement of a catalogue page, built once per kind (issue 19: building it cost as
    much as running it); tenant, price list, search pattern and type are bound parameters.
    ``lateral``: the cheapest plan by a LATERAL join (PostgreSQL)."""
    lateral = lateral and priced
    key = (priced, text, product_type, limited, lateral)
    statement = _CATALOGUE_STATEMENTS.get(key)
    if statement is not None:
        return statement
    # no price list (a visitor): no price, typed as one (PostgreSQL types a bare NULL as text)
    # (labelled: two bare NULL casts in one select are one column to the result's keymap, and
    # a tenant without a default price list answered its visitors with an error)
    if lateral:
        from_price = _CHEAPEST_PLAN.c.price.label("from_price")
        from_cycle = _CHEAPEST_PLAN.c.billing_cycle.label("from_cycle")
    else:
        from_price = (_FROM_PRICE if priced else cast(null(), Money)).label("from_price")
        from_cycle = (_FROM_CYCLE if priced else cast(null(), String(20))).label("from_cycle")
    statement = (
        select(
            Product.id,
            Product.code,
            Product.name,
            Product.description,
            Product.is_bundle,
            _LONGEST_TRIAL,
            ProductType.non_automatic_execution,
            Product.unit,
            from_price,
            from_cycle,
        )
        .join(ProductType, ProductType.id == Product.product_type_id)
        .where(Product.tenant_id == bindparam("tenant_id"), *ON_SALE)
    )
    if lateral:
        statement = statement.outerjoin(_CHEAPEST_PLAN, true())
    if text:
        pattern = bindparam("pattern")
        statement = statement.where(
            or_(func.lower(Product.name).like(pattern), func.lower(Product.code).like(pattern))
        )
    if product_type:
        statement = statement.where(Product.product_type_id == bindparam("product_type_id"))
    statement = statement.order_by(Product.name, Product.id)
    _CATALOGUE_STATEMENTS[key] = statement
    return statement


_CATALOGUE_STATEMENTS: dict[tuple[bool, ...], object] = {}


def _page_of(statement, offset: int, limit: int | None):
    """The page's statement with the product types (``_with_product_types``), built once per
    kind and page. Its OFFSET and LIMIT are written into the SQL, not bound (issue 19, sixth
    pass): PostgreSQL cannot estimate a bound LIMIT, so it found its generic plan of the
    statement dearer than a custom one and planned it anew on every execution (~0.6 ms of the
    server's CPU, as much as running it); written, each page's prepared statement keeps its
    generic plan. (Written when the statement is built, not at each execution as
    ``literal_execute`` would: that cost ~0.1 ms of the app's CPU a page.)"""
    key = (statement, int(offset), None if limit is None else int(limit))
    page = _PAGES.get(key)
    if page is None:
        paged = statement.offset(literal_column(str(key[1]), Integer))
        if limit is not None:
            paged = paged.limit(literal_column(str(key[2]), Integer))
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        page = _PAGES[key] = _with_product_types(paged)
    return page


_PAGES: dict[tuple, object] = {}
_PAGES_MAX = 1_000  # pages of every kind kept; beyond, they are built again


def _catalogue_query(
    tenant_id, price_list_id, offset, limit, text, product_type_id, lateral: bool = False
):
    statement = _catalogue_statement(
        price_list_id is not None,
        bool(text),
        product_type_id is not None,
        limit is not None,
        lateral,
    )
    statement = _page_of(statement, offset, limit)
    params = {"tenant_id": tenant_id}
    if price_list_id is not None:
        params["price_list_id"] = price_list_id
    if text:
        params["pattern"] = contains_pattern(text)
    if product_type_id is not None:
        params["product_type_id"] = product_type_id
    return statement, params


def _cards(session: Session, rows) -> list[ProductCard]:
    bundles = _components(session, [row[0] for row in rows if row[4]])
    cards = []
    for pid, code, name, description, is_bundle, trial_days, manual, unit, price, cycle in rows:
        components = bundles.get(pid, [])
        cards.append(
            ProductCard(
                product=ProductSummary(
                    pid, code, name, description, is_bundle, trial_days_for(trial_days, 0), unit
                ),
                execution_type=_type_of(manual, [c.execution_type for c in components]),
                from_price=price,
                components=components,
                from_cycle=cycle,
            )
        )
    return cards


def storefront_catalogue(
    session: Session,
    tenant_id: int,
    price_list_id: int | None,
    *,
    offset: int = 0,
    limit: int | None = None,
    text: str | None = None,
    product_type_id: int | None = None,
) -> tuple[list[ProductCard], list[tuple[int, str]]]:
    """A page of the catalogue by name, and the product types it can be filtered by (those
    with a product on sale). Each product comes with its execution type, its lowest plan price
    in the price list (none without one) and its bundle components; only products on sale,
    optionally those whose name or code holds ``text`` and those of one product type.
    One statement for the products with their prices and the product types (issue 19: a
    UNION ALL of the page's rows and the types' rows padded with NULLs, told apart by a first
    column), one for the components (only when the page holds bundles)."""
    # columns only: run on the session's connection, without the ORM's layer (~0.1 ms)
    connection = session.connection()
    statement, params = _catalogue_query(
        tenant_id,
        price_list_id,
        offset,
        limit,
        (text or "").strip(),
        product_type_id,
        lateral=connection.dialect.name == "postgresql",
    )
    rows = connection.execute(statement, params).all()
    products = [row[1:] for row in rows if row[0] == 0]
    types = [(row[1], row[3]) for row in rows if row[0] == 1]
    return _cards(session, products), types


def _with_product_types(page):
    rows = page.subquery("page")
    products = select(literal_column("0", Integer).label("part"), *rows.c)
    padding = [cast(null(), c.type) for c in rows.c]
    types = select(
        literal_column("1", Integer),
        ProductType.id,
        padding[1],
        ProductType.name,
        *padding[3:],
    ).where(ProductType.tenant_id == bindparam("tenant_id"), ProductType.id.in_(_TYPES_ON_SALE))
    both = union_all(products, types).subquery("both")
    # the page's order (name, id) within each part
    return select(*both.c).order_by(both.c.part, both.c.name, both.c.id)


# the product types the catalogue can be filtered by: those with a product on sale
_TYPES_ON_SALE = select(Product.product_type_id).where(
    Product.tenant_id == bindparam("tenant_id"), *ON_SALE
)


def _for_sale(*plan_options):
    return (
        select(Product)
        .where(
            Product.id == bindparam("product_id"),
            Product.tenant_id == bindparam("tenant_id"),
            *ON_SALE,
        )
        .options(
            joinedload(Product.product_type),
            joinedload(Product.plans).options(*plan_options),
            joinedload(Product.addons),
        )
    )


# a product with its type, plans and add-ons in one query (a handful of rows); built once
PRODUCT_FOR_SALE = _for_sale()
# the same with each plan's price in the price list ``price_list_id`` (issue 19)
_PRICED_PRODUCT_FOR_SALE = _for_sale(pricing.WITH_LIST_PRICE).execution_options(
    populate_existing=True
)


# the product page: the product's active promotions come with it, in the same query
# (populate_existing: a product already in the session gets today's promotions, not the ones
# it was loaded with)
# and its plans with their price in the price list ``price_list_id`` (issue 19, third pass:
# one statement for the page instead of two)
_PRODUCT_PAGE = _PRICED_PRODUCT_FOR_SALE.options(joinedload(Product.active_promotions))


def product_for_sale(session: Session, tenant_id: int, product_id: int) -> Product | None:
    """The tenant's active product with its type, plans and add-ons loaded (one query)."""
    params = {"product_id": product_id, "tenant_id": tenant_id}
    return session.scalars(PRODUCT_FOR_SALE, params).unique().first()


def priced_product_for_sale(
    session: Session, tenant_id: int, product_id: int, price_list_id: int | None
) -> tuple[Product | None, dict[int, Decimal]]:
    """:func:`product_for_sale` with its plans' prices in the price list (plan id -> price,
    as :func:`core.services.pricing.plan_prices` gives them), in the same one query."""
    params = {"product_id": product_id, "tenant_id": tenant_id, "price_list_id": price_list_id}
    product = session.scalars(_PRICED_PRODUCT_FOR_SALE, params).unique().first()
    return product, pricing.list_prices(product.plans) if product is not None else {}


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
        promos, plan_prices = {}, None
    else:
        # the page: the product's promotions and its plans' prices come with it, in the same
        # query
        params = {"product_id": product_id, "tenant_id": tenant_id, "price_list_id": price_list_id}
        product = session.scalars(_PRODUCT_PAGE, params).unique().first()
        promos = (
            {product_id: [promotion_service.terms_of(p) for p in product.active_promotions]}
            if product is not None
            else {}
        )
        plan_prices = pricing.list_prices(product.plans) if product is not None else None
    if product is None:
        raise NotFound("That product does not exist.")
    views = _views(session, tenant_id, [product], price_list_id, on, form_only, promos, plan_prices)
    return views[0]


def product_view(
    session: Session,
    tenant_id: int,
    product: Product,
    price_list_id: int | None,
    on: date,
    *,
    form_only: bool = False,
    plan_prices: dict[int, Decimal] | None = None,
) -> ProductView:
    """The view of a product already loaded by :func:`product_for_sale`; ``plan_prices``:
    its plans' prices when the caller has them (:func:`priced_product_for_sale`)."""
    return _views(session, tenant_id, [product], price_list_id, on, form_only, None, plan_prices)[0]


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
            *ON_SALE,
        )
        .options(selectinload(Product.plans))
        .order_by(Product.name)
    )
    result: dict[int, list[Product]] = {}
    for from_id, product in rows:
        result.setdefault(from_id, []).append(product)
    return result
