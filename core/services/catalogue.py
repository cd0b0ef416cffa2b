"""The Storefront catalogue (PRODUCT.md 5.1): products with their plans, prices from the
customer's price list, add-ons, bundle components and execution type.

Every function runs a fixed number of queries whatever the size of the catalogue: a catalogue
page and a product page read plain columns (no ORM objects); a product is read with its type,
plans, add-ons, their prices and its promotions in one query, a bundle's components in one
more. The statements a page runs on every request are built once, with bound parameters
(docs/PERFORMANCE.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Integer,
    String,
    and_,
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
from sqlalchemy.orm import Session, aliased, selectinload

from core.db import Money
from core.enums import ExecutionType
from core.models import (
    AddOn,
    AddOnPrice,
    BundleComponent,
    Plan,
    PlanPrice,
    Product,
    ProductType,
    ProductUpgrade,
    Promotion,
)
from core.rules import promotions as promotion_rules
from core.rules.catalogue import trial_days_for
from core.rules.execution import bundle_execution_type, product_execution_type
from core.rules.promotions import PromotionTerms
from core.services import promotions as promotion_service
from core.services.errors import NotFound
from core.services.picking import contains_pattern


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

    @property
    def addon_cycles(self) -> list[str]:
        """The plans' cycles, in the plans' order, once each: an add-on's price reads with each
        (it is billed with the plan chosen)."""
        return list(dict.fromkeys(p.plan.billing_cycle for p in self.plans))


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


# a visitor without a price list sees no price: promotions are compared on this one instead
_NOMINAL_PRICE = Decimal("100.00")


def _priced_plan(plan, price: Decimal | None, promos, on: date | None, product) -> PricedPlan:
    unit = price if price is not None else _NOMINAL_PRICE
    best = (
        promotion_rules.best_promotion(promos, plan.product_id, plan.id, unit, on)
        if promos
        else None
    )
    return PricedPlan(plan, price, best, trial_days_for(plan.trial_days, product.trial_days))


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


def _buyable(priced: bool):
    """What the catalogue lists of the products on sale: those a visitor can buy, with a plan
    priced in their price list ``:price_list_id`` (without a price list: with a plan). A
    product without one would show an empty plan table."""
    plans = select(Plan.id).where(Plan.product_id == Product.id)
    if priced:
        plans = plans.join(PlanPrice, PlanPrice.plan_id == Plan.id).where(
            PlanPrice.price_list_id == bindparam("price_list_id")
        )
    return plans.correlate(Product).exists()


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
        # an inner join: a product without a plan in the price list is not listed (_buyable)
        statement = statement.join(_CHEAPEST_PLAN, true())
    else:
        statement = statement.where(_buyable(priced))
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


def _page_of(statement, offset: int, limit: int | None, priced: bool):
    """The page's statement with the product types (``_with_product_types``), built once per
    kind and page. Its OFFSET and LIMIT are written into the SQL, not bound (issue 19, sixth
    pass): PostgreSQL cannot estimate a bound LIMIT, so it found its generic plan of the
    statement dearer than a custom one and planned it anew on every execution (~0.6 ms of the
    server's CPU, as much as running it); written, each page's prepared statement keeps its
    generic plan. (Written when the statement is built, not at each execution as
    ``literal_execute`` would: that cost ~0.1 ms of the app's CPU a page.)"""
    key = (statement, int(offset), None if limit is None else int(limit), priced)
    page = _PAGES.get(key)
    if page is None:
        paged = statement.offset(literal_column(str(key[1]), Integer))
        if limit is not None:
            paged = paged.limit(literal_column(str(key[2]), Integer))
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        page = _PAGES[key] = _with_product_types(paged, priced)
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
    statement = _page_of(statement, offset, limit, price_list_id is not None)
    params = {"tenant_id": tenant_id}
    if price_list_id is not None:
        params["price_list_id"] = price_list_id
    if text:
        params["pattern"] = contains_pattern(text)
    if product_type_id is not None:
        params["product_type_id"] = product_type_id
    return statement, params


@dataclass(slots=True)
class CataloguePage:
    """A page of the catalogue as read: its products' rows and the bundles' components. Its
    cards (:class:`ProductCard`) are built when read (iterating the page); ``key`` holds every
    value they show, for a memo of the page's HTML (storefront.views): a page read again as it
    was builds no card (issue 19, seventh pass: building the 48 cards and looking each up in
    the cards' memo was ~10 % of the page's CPU)."""

    rows: list[tuple]  # (id, code, name, description, is bundle, trial, manual, unit, price, cycle)
    components: dict[int, list[Component]]
    text: str = ""  # the search it answers ("": none)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: slice) -> CataloguePage:
        return CataloguePage(self.rows[index], self.components, self.text)

    def __iter__(self):
        return iter(self.cards)

    @property
    def cards(self) -> list[ProductCard]:
        return [self._card(row) for row in self.rows]

    def _card(self, row) -> ProductCard:
        pid, code, name, description, is_bundle, trial_days, manual, unit, price, cycle = row
        components = self.components.get(pid, [])
        return ProductCard(
            product=ProductSummary(
                pid, code, name, description, is_bundle, trial_days_for(trial_days, 0), unit
            ),
            execution_type=_type_of(manual, [c.execution_type for c in components]),
            from_price=price,
            components=components,
            from_cycle=cycle,
        )

    @property
    def key(self) -> tuple | None:
        """The rows and the components (prices are Money: always two places, so equal prices
        are written alike); None for a search's page: searches are countless, and a page's HTML
        is ~20 KB, so only the catalogue's own pages (by page and type) are kept whole."""
        if self.text:
            return None
        components = tuple(
            (pid, tuple((c.product_id, c.name, c.quantity, c.execution_type) for c in parts))
            for pid, parts in self.components.items()
        )
        return (tuple(self.rows), components)


def storefront_catalogue(
    session: Session,
    tenant_id: int,
    price_list_id: int | None,
    *,
    offset: int = 0,
    limit: int | None = None,
    text: str | None = None,
    product_type_id: int | None = None,
) -> tuple[CataloguePage, list[tuple[int, str]]]:
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
    components = _components(session, [row[0] for row in products if row[4]])
    return CataloguePage(products, components, text or ""), types


def _with_product_types(page, priced: bool):
    rows = page.subquery("page")
    products = select(literal_column("0", Integer).label("part"), *rows.c)
    padding = [cast(null(), c.type) for c in rows.c]
    types = select(
        literal_column("1", Integer),
        ProductType.id,
        padding[1],
        ProductType.name,
        *padding[3:],
    ).where(
        ProductType.tenant_id == bindparam("tenant_id"),
        ProductType.id.in_(_types_on_sale(priced)),
    )
    both = union_all(products, types).subquery("both")
    # the page's order (name, id) within each part
    return select(*both.c).order_by(both.c.part, both.c.name, both.c.id)


def _types_on_sale(priced: bool):
    """The product types the catalogue can be filtered by: those with a product it lists."""
    return select(Product.product_type_id).where(
        Product.tenant_id == bindparam("tenant_id"), *ON_SALE, _buyable(priced)
    )


# plain tables: the product page and the add read a product on sale as rows (issue 19,
# seventh pass: the ORM's joined load of the product, its type, plans, add-ons and promotions
# was ~30 % of the product page's CPU)
_product, _type, _plan, _plan_price, _addon, _addon_price, _promotion = (
    model.__table__
    for model in (Product, ProductType, Plan, PlanPrice, AddOn, AddOnPrice, Promotion)
)


def in_price_list(price_table, owner_column, owner_table):
    """The join of a plan's or add-on's price in the price list ``:price_list_id``."""
    return and_(
        price_table.c[owner_column] == owner_table.c.id,
        price_table.c.price_list_id == bindparam("price_list_id", type_=Integer),
    )


# a product's promotions around the day ``promotions_from`` .. ``promotions_to`` (the rule,
# core.rules.promotions, decides on the day; the dates only keep the rows few), as the basket's
# lines and the product page join them
def active_promotions_of(product_table):
    return and_(
        _promotion.c.product_id == product_table.c.id,
        _promotion.c.tenant_id == product_table.c.tenant_id,
        _promotion.c.active.is_(True),
        _promotion.c.starts_on <= bindparam("promotions_to"),
        _promotion.c.ends_on >= bindparam("promotions_from"),
    )


PROMOTION_COLUMNS = (
    _promotion.c.id,
    _promotion.c.plan_id,
    _promotion.c.kind,
    _promotion.c.percent_off,
    _promotion.c.amount_off,
    _promotion.c.starts_on,
    _promotion.c.ends_on,
)


def promotion_terms(product_id: int, columns) -> PromotionTerms:
    """The terms of a promotion read as :data:`PROMOTION_COLUMNS` (active: the join keeps only
    active ones), as :func:`core.services.promotions.terms_of` makes them of the ORM's row."""
    promo_id, plan_id, kind, percent, amount, starts, ends = columns
    value = promotion_service.discount_value(kind, percent, amount)
    return PromotionTerms(promo_id, product_id, plan_id, kind, value, starts, ends)


def promotion_window(on: date) -> dict[str, date]:
    """The bound days of :func:`active_promotions_of` for the day ``on`` (as load_terms)."""
    first, last = promotion_service.window(on)
    return {"promotions_from": first, "promotions_to": last}


@dataclass(frozen=True, slots=True)
class _TypeOfProduct:
    non_automatic_execution: bool


@dataclass(frozen=True, slots=True)
class PlanForSale:
    """A plan as the product page, the add-to-basket form and the add read it."""

    id: int
    product_id: int
    name: str
    billing_cycle: str
    min_quantity: int
    max_quantity: int
    trial_days: int | None
    commitment_months: int


@dataclass(frozen=True, slots=True)
class AddOnForSale:
    id: int
    name: str
    min_quantity: int
    max_quantity: int


@dataclass(slots=True)
class ProductForSale:
    """A product on sale with its plans and add-ons, read as rows (the attributes of
    :class:`core.models.Product` that the product page, the add and its form use)."""

    id: int
    name: str
    unit: str
    is_bundle: bool
    trial_days: int | None
    product_type: _TypeOfProduct
    plans: list[PlanForSale] = field(default_factory=list)
    addons: list[AddOnForSale] = field(default_factory=list)
    plan_prices: dict[int, Decimal] = field(default_factory=dict)  # in the price list given
    description: str = ""
    # the product page's (PRODUCT_PAGE) only
    addon_prices: dict[int, Decimal] = field(default_factory=dict)  # in the price list given
    promotions: list[PromotionTerms] = field(default_factory=list)  # around the day given


# the tenant's product on sale, its plans (with their price in ``price_list_id``) and its
# add-ons: one statement, built once; a row per plan and add-on pair (a product has few)
def product_for_sale_select(tenant_param: str):
    return (
        select(
            _product.c.id,
            _product.c.name,
            _product.c.unit,
            _product.c.is_bundle,
            _product.c.trial_days,
            _type.c.non_automatic_execution,
            _plan.c.id,
            _plan.c.name,
            _plan.c.billing_cycle,
            _plan.c.min_quantity,
            _plan.c.max_quantity,
            _plan.c.trial_days,
            _plan.c.commitment_months,
            _plan_price.c.price,
            _addon.c.id,
            _addon.c.name,
            _addon.c.min_quantity,
            _addon.c.max_quantity,
            _product.c.description,
        )
        .join(_type, _type.c.id == _product.c.product_type_id)
        .outerjoin(_plan, _plan.c.product_id == _product.c.id)
        .outerjoin(_plan_price, in_price_list(_plan_price, "plan_id", _plan))
        .outerjoin(_addon, _addon.c.product_id == _product.c.id)
        .where(
            _product.c.id == bindparam("product_id"),
            _product.c.tenant_id == bindparam(tenant_param),
            *_ON_SALE_COLUMNS,
        )
        .order_by(_plan.c.id, _addon.c.id)
    )


_ON_SALE_COLUMNS = (_product.c.active.is_(True), _product.c.published.is_(True))
PRODUCT_FOR_SALE = product_for_sale_select("tenant_id")
_N_FOR_SALE = 19  # the columns of product_for_sale_select
# the product page: the same with the add-ons' prices in the price list and the product's
# promotions around the day (a row per plan, add-on and promotion)
PRODUCT_PAGE = (
    product_for_sale_select("tenant_id")
    .add_columns(_addon_price.c.price, *PROMOTION_COLUMNS)
    .outerjoin(_addon_price, in_price_list(_addon_price, "addon_id", _addon))
    .outerjoin(_promotion, active_promotions_of(_product))
    .order_by(_promotion.c.id)
)


def product_of_rows(rows, page: bool = False) -> ProductForSale | None:
    """The product of :data:`PRODUCT_FOR_SALE`'s rows (``page``: of :data:`PRODUCT_PAGE`'s);
    None: no row, no such product on sale."""
    product = None
    plans: dict[int, PlanForSale] = {}
    addons: dict[int, AddOnForSale] = {}
    promotions: dict[int, PromotionTerms] = {}
    for row in rows:
        if product is None:
            product = ProductForSale(*row[:5], _TypeOfProduct(row[5]), description=row[18])
        plan_id, addon_id = row[6], row[14]
        if plan_id is not None and plan_id not in plans:
            plans[plan_id] = PlanForSale(plan_id, row[0], *row[7:13])
            if row[13] is not None:
                product.plan_prices[plan_id] = row[13]
        if addon_id is not None and addon_id not in addons:
            addons[addon_id] = AddOnForSale(addon_id, *row[15:18])
            if page and row[_N_FOR_SALE] is not None:
                product.addon_prices[addon_id] = row[_N_FOR_SALE]
        if page:
            promo = row[_N_FOR_SALE + 1 : _N_FOR_SALE + 8]
            if promo[0] is not None and promo[0] not in promotions:
                promotions[promo[0]] = promotion_terms(product.id, promo)
    if product is not None:
        product.plans = list(plans.values())
        product.addons = sorted(addons.values(), key=lambda a: a.id)
        product.promotions = list(promotions.values())
    return product


def view_of_product(
    product: ProductForSale,
    execution_type: str,
    on: date | None = None,
    components: list[Component] | None = None,
) -> ProductView:
    """The page's view of a product read as rows: its plans with their prices and the best of
    its promotions on the day ``on`` (read with the product: none for the form alone), its
    add-ons with their prices."""
    promos = product.promotions
    return ProductView(
        product=product,
        execution_type=execution_type,
        plans=[
            _priced_plan(plan, product.plan_prices.get(plan.id), promos, on, product)
            for plan in product.plans
        ],
        addons=[PricedAddOn(a, product.addon_prices.get(a.id)) for a in product.addons],
        components=components or [],
    )


def product_detail(
    session: Session,
    tenant_id: int,
    product_id: int,
    price_list_id: int | None,
    on: date,
    *,
    form_only: bool = False,
) -> ProductView:
    """A product page's view: the product on sale with its plans, their prices and promotions
    on the day ``on``, its add-ons with their prices, in one statement (and its components,
    a bundle's only, in one more). ``form_only``: just what the add-to-basket form shows
    (plans with their prices, add-ons by name), without add-on prices and promotions."""
    params = {"product_id": product_id, "tenant_id": tenant_id, "price_list_id": price_list_id}
    # plain rows on the session's connection: no ORM object is built (issue 19, seventh pass)
    connection = session.connection()
    if form_only:
        product = product_of_rows(connection.execute(PRODUCT_FOR_SALE, params))
    else:
        params |= promotion_window(on)
        product = product_of_rows(connection.execute(PRODUCT_PAGE, params), page=True)
    if product is None:
        raise NotFound("That product does not exist.")
    components = _components(session, [product.id]).get(product.id, []) if product.is_bundle else []
    execution_type = _type_of(
        product.product_type.non_automatic_execution, [c.execution_type for c in components]
    )
    return view_of_product(product, execution_type, on, components)


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
