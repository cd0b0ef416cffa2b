"""Preview states of the catalogue back office (issue 15) and of the Storefront pages it changes:
fixture data only, registered into webapp.preview_fixtures (which imports this module last)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from core import texts
from core.rules.catalogue import (
    BILLING_CYCLE_LABELS,
    BillingKind,
    ProductStatus,
    encode_cursor,
    trial_days_for,
)
from core.services.catalogue_admin import HistoryLine, ProductRow
from webapp.preview_fixtures import (
    AUTOMATIC_LINES,
    BSS_ADMIN,
    NOW,
    PRODUCT_TYPES,
    _basket,
    _line,
    basket_view,
    catalogue,
    state,
)

_TYPE_CHOICES = [(t.id, t.name) for t in PRODUCT_TYPES]
_LISTS = [NS(id=1, name="Partner", currency="EUR"), NS(id=2, name="Standard", currency="EUR")]
_MONTHLY = NS(
    id=21,
    name="Monthly",
    billing_cycle="monthly",
    commitment_months=0,
    min_quantity=1,
    max_quantity=300,
    trial_days=None,  # the product's
)
_ANNUAL = NS(
    id=22,
    name="Annual",
    billing_cycle="annual",
    commitment_months=12,
    min_quantity=1,
    max_quantity=300,
    trial_days=0,  # no trial on the yearly plan
)
_STORAGE = NS(id=31, name="Extra Storage 100 GB", min_quantity=1, max_quantity=300)
_LINKS = NS(
    upgrades=[NS(id=6, code="M365-PREM", name="Microsoft 365 Business Premium")],
    components=[],
    execution_type="automatic",
)
_BUNDLE_LINKS = NS(
    upgrades=[],
    components=[
        NS(id=1, code="AZ-BACKUP", name="Azure Backup", quantity=1, execution_type="automatic"),
        NS(id=2, code="MNG-FW", name="Managed Firewall Setup", quantity=2, execution_type="manual"),
    ],
    execution_type="manual",
)
_PARTS = NS(
    price_lists=_LISTS,
    plans=[
        NS(row=_MONTHLY, prices={1: Decimal("10.50"), 2: Decimal("11.70")}),
        NS(row=_ANNUAL, prices={2: Decimal("126.00")}),
    ],
    addons=[NS(row=_STORAGE, prices={1: Decimal("1.80"), 2: Decimal("2.00")})],
)
_ROWS = [
    ProductRow(1, "AZ-BACKUP", "Azure Backup", "Cloud Services", "recurring", "published", False),
    ProductRow(
        2, "MNG-FW", "Managed Firewall Setup", "Managed Services", "one_off", "published", False
    ),
    ProductRow(
        3,
        "M365-STD",
        "Microsoft 365 Business Standard",
        "Cloud Services",
        "recurring",
        "unpublished",
        False,
    ),
    ProductRow(
        4, "OLD-EXCH", "Hosted Exchange 2013", "Cloud Services", "recurring", "retired", False
    ),
    ProductRow(
        5, "SEC-BUNDLE", "Security Bundle", "Managed Services", "recurring", "published", True
    ),
]


def _filter_form(**data):
    from bss_admin.catalogue.forms import ProductFilterForm

    form = ProductFilterForm(formdata=None, data=data)
    form.product_type.choices = [("", "Any")] + _TYPE_CHOICES
    return form


def _list(rows, *, next_page=False, **filters):
    return {
        "form": _filter_form(**filters),
        "result": NS(rows=rows, product_types=_TYPE_CHOICES),
        "next_url": "/_preview/bss/catalogue-products?after=" + encode_cursor("Security Bundle", 5)
        if next_page
        else None,
        "first_url": None,
    }


@state(
    "bss",
    "catalogue-products",
    "bss_admin/catalogue/products.html",
    "Catalogue: products (each status, a next page)",
    user=BSS_ADMIN,
)
def catalogue_products():
    return _list(_ROWS, next_page=True)


@state(
    "bss",
    "catalogue-products-none",
    "bss_admin/catalogue/products.html",
    "Catalogue: products, nothing matches the search",
    user=BSS_ADMIN,
)
def catalogue_products_none():
    return _list([], q="no such thing", status=ProductStatus.RETIRED)


def _product_form(product=None, errors=None, types=True, **data):
    from bss_admin.catalogue.forms import (
        ComponentForm,
        ProductForm,
        RemoveForm,
        UpgradeTargetForm,
    )

    form = ProductForm(formdata=None, obj=product, data=data or None)
    form.product_type_id.choices = _TYPE_CHOICES if types else []
    return {
        "form": form,
        "product": product,
        "errors": errors or {},
        "history": [],
        "parts": _PARTS if product is not None else None,
        "cycle_labels": BILLING_CYCLE_LABELS,
        "trial_days_for": trial_days_for,
        "links": _LINKS if product is not None else None,
        "upgrade_form": UpgradeTargetForm(formdata=None),
        "component_form": ComponentForm(formdata=None),
        "link_errors": {},
        "remove_form": RemoveForm(formdata=None),
    }


_PRODUCT = NS(
    id=1,
    code="AZ-BACKUP",
    name="Azure Backup",
    description="Simple, secure and cost-effective backup to the cloud.",
    product_type_id=1,
    billing_kind=BillingKind.RECURRING,
    published=True,
    active=True,
    trial_days=30,
)
_HISTORY = [
    HistoryLine(
        NOW - timedelta(hours=2),
        "Sam Admin <admin@skyline.example>",
        "update",
        {"name": ["Azure Backup (beta)", "Azure Backup"], "published": [False, True]},
    ),
    HistoryLine(
        NOW - timedelta(days=30),
        "Sam Admin <admin@skyline.example>",
        "create",
        {"code": [None, "AZ-BACKUP"], "name": [None, "Azure Backup (beta)"]},
    ),
]


@state(
    "bss",
    "catalogue-product-new",
    "bss_admin/catalogue/product.html",
    "Catalogue: new product",
    user=BSS_ADMIN,
)
def catalogue_product_new():
    return _product_form()


@state(
    "bss",
    "catalogue-product-invalid",
    "bss_admin/catalogue/product.html",
    "Catalogue: new product refused (a message per field)",
    user=BSS_ADMIN,
)
def catalogue_product_invalid():
    return _product_form(
        errors={
            "code": [texts.CATALOGUE_CODE_TAKEN],
            "name": [texts.CATALOGUE_NAME_REQUIRED],
            "product_type_id": [texts.CATALOGUE_PRODUCT_TYPE_INVALID],
            "billing_kind": [texts.CATALOGUE_BILLING_KIND_INVALID],
            "unit": [texts.CATALOGUE_UNIT_TOO_LONG.format(max=40)],
            "trial_days": [texts.PRODUCT_TRIAL_INVALID.format(max=365)],
        },
        code="m365-std",
        trial_days="400",
    )


@state(
    "bss",
    "catalogue-product-no-types",
    "bss_admin/catalogue/product.html",
    "Catalogue: new product before any product type exists",
    user=BSS_ADMIN,
)
def catalogue_product_no_types():
    return _product_form(types=False)


@state(
    "bss",
    "catalogue-product",
    "bss_admin/catalogue/product.html",
    "Catalogue: a product with its history (before → after)",
    user=BSS_ADMIN,
)
def catalogue_product():
    context = _product_form(_PRODUCT)
    context["history"] = _HISTORY
    return context


@state(
    "bss",
    "catalogue-product-retired",
    "bss_admin/catalogue/product.html",
    "Catalogue: a retired product",
    user=BSS_ADMIN,
)
def catalogue_product_retired():
    retired = NS(**{**vars(_PRODUCT), "active": False, "published": False})
    context = _product_form(retired)
    context["history"] = [
        HistoryLine(NOW, "Sam Admin <admin@skyline.example>", "retire", {"active": [True, False]}),
        *_HISTORY,
    ]
    return context


# --- the Storefront pages the catalogue changes --------------------------------------------------


@state(
    "storefront",
    "catalogue-search",
    "storefront/catalogue/list.html",
    "Catalogue: searched and filtered by product type",
)
def sf_catalogue_search():
    return {
        "products": catalogue()[:2],
        "product_types": _TYPE_CHOICES[:2],
        "search": {"q": "backup", "type": 1},
        "page_number": 1,
        "has_next": False,
    }


@state(
    "storefront",
    "catalogue-search-none",
    "storefront/catalogue/list.html",
    "Catalogue: nothing matches the search",
)
def sf_catalogue_search_none():
    return {
        "products": [],
        "product_types": _TYPE_CHOICES[:2],
        "search": {"q": "quantum"},
        "page_number": 1,
        "has_next": False,
    }


@state(
    "storefront",
    "basket-unavailable",
    "storefront/basket/basket.html",
    "Basket holding a product retired since: no checkout",
)
def sf_basket_unavailable():
    gone = _line(9, "Hosted Exchange 2013 (Monthly)", "4.00", 3)
    gone.unavailable = True
    lines = [*AUTOMATIC_LINES, gone]
    view = basket_view(lines)
    view.unavailable = True
    return _basket(view)


# --- price lists --------------------------------------------------------------------------------

_PRICE_LISTS = [
    NS(id=1, name="Partner", currency="EUR", is_default=False),
    NS(id=2, name="Standard", currency="EUR", is_default=True),
    NS(id=3, name="US resellers", currency="USD", is_default=False),
]


@state(
    "bss",
    "catalogue-price-lists",
    "bss_admin/catalogue/price_lists.html",
    "Catalogue: price lists",
    user=BSS_ADMIN,
)
def catalogue_price_lists():
    return {"price_lists": _PRICE_LISTS}


def _price_list_form(price_list=None, errors=None, **data):
    from bss_admin.catalogue.forms import PriceListForm

    return {
        "form": PriceListForm(formdata=None, obj=price_list, data=data or None),
        "price_list": price_list,
        "errors": errors or {},
        "history": [],
    }


@state(
    "bss",
    "catalogue-price-list",
    "bss_admin/catalogue/price_list.html",
    "Catalogue: a price list with its history",
    user=BSS_ADMIN,
)
def catalogue_price_list():
    context = _price_list_form(_PRICE_LISTS[2])
    context["history"] = [
        HistoryLine(
            NOW,
            "Sam Admin <admin@skyline.example>",
            "prices",
            {"plan-201": ["11.70", "12.90"], "addon-31": [None, "2.40"]},
        ),
        HistoryLine(
            NOW - timedelta(days=3),
            "Sam Admin <admin@skyline.example>",
            "update",
            {"name": ["US", "US resellers"], "currency": ["EUR", "USD"]},
        ),
    ]
    return context


@state(
    "bss",
    "catalogue-price-list-invalid",
    "bss_admin/catalogue/price_list.html",
    "Catalogue: new price list refused",
    user=BSS_ADMIN,
)
def catalogue_price_list_invalid():
    return _price_list_form(
        errors={
            "name": [texts.PRICE_LIST_NAME_TAKEN],
            "currency": [texts.PRICE_LIST_CURRENCY_INVALID],
        },
        name="standard",
        currency="€",
    )


@state(
    "bss",
    "catalogue-price-list-default-refused",
    "bss_admin/catalogue/price_list.html",
    "Catalogue: the default price list unticked (refused: make another one the default)",
    user=BSS_ADMIN,
)
def catalogue_price_list_default_refused():
    return _price_list_form(
        _PRICE_LISTS[1],
        errors={"is_default": [texts.PRICE_LIST_DEFAULT_REQUIRED]},
        name="Standard",
        currency="EUR",
        is_default=False,
    )


def _prices(errors=None, typed=None):
    from bss_admin.catalogue.forms import PriceFilterForm, PricesForm
    from core.services.price_lists import PricedProduct, PriceRow

    products = [
        PricedProduct(
            1,
            "AZ-BACKUP",
            "Azure Backup",
            [PriceRow("plan-11", "Monthly", "monthly", Decimal("9.00"))],
        ),
        PricedProduct(
            2,
            "M365-STD",
            "Microsoft 365 Business Standard",
            [
                PriceRow("plan-21", "Monthly", "monthly", Decimal("11.70")),
                PriceRow("plan-22", "Annual", "annual", Decimal("126.00")),
                PriceRow("addon-31", "Add-on: Extra Storage 100 GB", "1–300", None),
            ],
        ),
        PricedProduct(3, "NEW-SVC", "New service without plans", []),
    ]
    errors = errors or {}
    return {
        "form": PricesForm(formdata=None),
        "filters": PriceFilterForm(formdata=None),
        "result": NS(price_list=_PRICE_LISTS[1], products=products, next_cursor="x"),
        "typed": typed or {},
        "errors": errors,
        "refused": texts.PRICES_REFUSED.format(count=len(errors)) if errors else None,
        "action": "/_preview/bss/catalogue-prices",
        "next_url": "/_preview/bss/catalogue-prices?after=x",
        "first_url": None,
    }


@state(
    "bss",
    "catalogue-prices",
    "bss_admin/catalogue/prices.html",
    "Catalogue: bulk price edit of a price list",
    user=BSS_ADMIN,
)
def catalogue_prices():
    return _prices()


@state(
    "bss",
    "catalogue-prices-refused",
    "bss_admin/catalogue/prices.html",
    "Catalogue: bulk price edit refused row by row (nothing saved)",
    user=BSS_ADMIN,
)
def catalogue_prices_refused():
    return _prices(
        errors={"plan-22": texts.PRICE_INVALID, "addon-31": texts.PRICE_TOO_LARGE},
        typed={"plan-21": "12.90", "plan-22": "-5", "addon-31": "1000000000000"},
    )


# --- plans and add-ons ----------------------------------------------------------------------------


def _part(is_plan, part=None, errors=None, prices=None, **data):
    from bss_admin.catalogue.forms import AddOnForm, PlanForm

    form = (PlanForm if is_plan else AddOnForm)(formdata=None, obj=part, data=data or None)
    return {
        "form": form,
        "product": _PRODUCT,
        "part": part,
        "is_plan": is_plan,
        "errors": errors or {},
        "price_lists": _LISTS,
        "prices": prices or {},
        "action": "/_preview/bss/catalogue-plan",
    }


@state(
    "bss",
    "catalogue-plan",
    "bss_admin/catalogue/part.html",
    "Catalogue: a plan with its price per price list",
    user=BSS_ADMIN,
)
def catalogue_plan():
    return _part(True, _ANNUAL, prices={2: Decimal("126.00")})


@state(
    "bss",
    "catalogue-plan-invalid",
    "bss_admin/catalogue/part.html",
    "Catalogue: new plan refused (quantities, commitment, a price)",
    user=BSS_ADMIN,
)
def catalogue_plan_invalid():
    return _part(
        True,
        errors={
            "commitment_months": [texts.PLAN_ONE_OFF_NO_COMMITMENT],
            "max_quantity": [texts.QUANTITY_RANGE_INVERTED],
            "trial_days": [texts.PLAN_TRIAL_INVALID.format(max=365)],
            "price-1": [texts.PRICE_INVALID],
        },
        prices={1: "-3", 2: "450.00"},
        name="Set-up",
        billing_cycle="one_off",
        commitment_months="12",
        min_quantity="5",
        max_quantity="2",
        trial_days="two weeks",
    )


@state(
    "bss",
    "catalogue-addon",
    "bss_admin/catalogue/part.html",
    "Catalogue: an add-on with its quantity limits and prices",
    user=BSS_ADMIN,
)
def catalogue_addon():
    return _part(False, _STORAGE, prices={1: Decimal("1.80"), 2: Decimal("2.00")})


# --- bundles and upgrade targets ------------------------------------------------------------------


@state(
    "bss",
    "catalogue-bundle",
    "bss_admin/catalogue/product.html",
    "Catalogue: a bundle with a manual component (delivered manually)",
    user=BSS_ADMIN,
)
def catalogue_bundle():
    context = _product_form(
        NS(**{**vars(_PRODUCT), "code": "SEC-BUNDLE", "name": "Security Bundle"})
    )
    context["links"] = _BUNDLE_LINKS
    return context


@state(
    "bss",
    "catalogue-component-refused",
    "bss_admin/catalogue/product.html",
    "Catalogue: component and upgrade target refused",
    user=BSS_ADMIN,
)
def catalogue_component_refused():
    from bss_admin.catalogue.forms import ComponentForm, UpgradeTargetForm

    context = _product_form(_PRODUCT)
    context["component_form"] = ComponentForm(
        formdata=None, data={"code": "SEC-BUNDLE", "quantity": "0"}
    )
    context["upgrade_form"] = UpgradeTargetForm(formdata=None, data={"code": "AZ-BACKUP"})
    context["link_errors"] = {
        "component": {
            "code": [texts.BUNDLE_COMPONENT_NESTED],
            "quantity": [texts.BUNDLE_QUANTITY_INVALID.format(max=1000)],
        },
        "upgrade": {"code": [texts.UPGRADE_TARGET_SELF]},
    }
    return context


@state(
    "bss",
    "catalogue-component-preview",
    "bss_admin/catalogue/component_preview.html",
    "Catalogue: live execution type of a bundle (htmx fragment)",
    user=BSS_ADMIN,
    block="preview",
)
def catalogue_component_preview():
    return {"product_id": 1, "code": "MNG-FW", "kind": "manual", "problem": None}


@state(
    "bss",
    "catalogue-component-preview-page",
    "bss_admin/catalogue/component_preview.html",
    "Catalogue: execution type preview as a page (no JavaScript), unknown code",
    user=BSS_ADMIN,
)
def catalogue_component_preview_page():
    return {
        "product_id": 1,
        "code": "NOPE",
        "kind": "automatic",
        "problem": texts.CATALOGUE_CODE_UNKNOWN,
    }


# --- CSV import and export ------------------------------------------------------------------------


def _csv_page(report=None, errors=None):
    from bss_admin.catalogue.forms import ImportForm

    return {
        "form": ImportForm(formdata=None),
        "report": report,
        "errors": errors or {},
        "dry_run": True,
    }


@state(
    "bss",
    "catalogue-csv",
    "bss_admin/catalogue/csv.html",
    "Catalogue: CSV export and import",
    user=BSS_ADMIN,
)
def catalogue_csv():
    return _csv_page()


@state(
    "bss",
    "catalogue-csv-checked",
    "bss_admin/catalogue/csv.html",
    "Catalogue: CSV dry run, every row valid (nothing changed)",
    user=BSS_ADMIN,
)
def catalogue_csv_checked():
    from core.services.catalogue_csv import ImportReport

    return _csv_page(ImportReport(rows=3000))


@state(
    "bss",
    "catalogue-csv-refused",
    "bss_admin/catalogue/csv.html",
    "Catalogue: CSV refused with every row's error (nothing imported)",
    user=BSS_ADMIN,
)
def catalogue_csv_refused():
    from core.services.catalogue_csv import ImportReport

    return _csv_page(
        ImportReport(
            rows=5,
            errors=[
                (3, texts.CATALOGUE_CODE_INVALID),
                (3, texts.CSV_PRODUCT_TYPE_UNKNOWN.format(name="Nope")),
                (4, texts.CSV_PRODUCT_UNKNOWN),
                (5, texts.PRICE_INVALID),
                (6, texts.CSV_DUPLICATE_ROW.format(record="product", line=2)),
            ],
        )
    )


@state(
    "bss",
    "catalogue-csv-unreadable",
    "bss_admin/catalogue/csv.html",
    "Catalogue: CSV upload that is not a catalogue file",
    user=BSS_ADMIN,
)
def catalogue_csv_unreadable():
    return _csv_page(errors={"file": [texts.CSV_FILE_UNREADABLE]})


# --- promotions -----------------------------------------------------------------------------------


def _promotion_rows():
    from datetime import date

    from core.rules.promotions import PromotionTerms
    from core.services.promotions import PromotionRow

    def row(i, name, code, product, plan, kind, value, start, end, active=True):
        terms = PromotionTerms(
            i,
            i,
            None,
            kind,
            Decimal(value),
            date.fromisoformat(start),
            date.fromisoformat(end),
            active,
        )
        return PromotionRow(i, name, code, product, plan, terms)

    return [
        row(
            1,
            "Spring backup",
            "AZ-BACKUP",
            "Azure Backup",
            None,
            "percent",
            "10",
            "2026-03-01",
            "2026-03-31",
        ),
        row(
            2,
            "Annual push",
            "M365-STD",
            "Microsoft 365 Business Standard",
            "Annual",
            "amount",
            "15",
            "2026-04-01",
            "2026-04-30",
        ),
        row(
            3,
            "Winter sale",
            "PRIV-CLOUD",
            "Dedicated Private Cloud",
            None,
            "percent",
            "5",
            "2025-12-01",
            "2025-12-31",
        ),
        row(
            4,
            "Paused",
            "MNG-FW",
            "Managed Firewall Setup",
            None,
            "amount",
            "50",
            "2026-03-01",
            "2026-06-30",
            False,
        ),
    ]


@state(
    "bss",
    "catalogue-promotions",
    "bss_admin/catalogue/promotions.html",
    "Catalogue: promotions (today, later, expired, inactive)",
    user=BSS_ADMIN,
)
def catalogue_promotions():
    return {"rows": _promotion_rows(), "today": NOW.date()}


def _promotion_form(errors=None, promotion=None, **data):
    from bss_admin.catalogue.forms import PromotionForm

    return {
        "form": PromotionForm(formdata=None, data=data or None),
        "promotion": promotion,
        "errors": errors or {},
    }


@state(
    "bss",
    "catalogue-promotion",
    "bss_admin/catalogue/promotion.html",
    "Catalogue: a fixed-amount promotion on one plan",
    user=BSS_ADMIN,
)
def catalogue_promotion():
    return _promotion_form(
        promotion=NS(id=2, name="Annual push"),
        name="Annual push",
        kind="amount",
        value="15.00",
        product_code="M365-STD",
        plan_name="Annual",
        starts_on="2026-04-01",
        ends_on="2026-04-30",
        active=True,
    )


@state(
    "bss",
    "catalogue-promotion-invalid",
    "bss_admin/catalogue/promotion.html",
    "Catalogue: new promotion refused",
    user=BSS_ADMIN,
)
def catalogue_promotion_invalid():
    return _promotion_form(
        errors={
            "value": [texts.PROMOTION_PERCENT_RANGE],
            "plan_name": [texts.PROMOTION_PLAN_UNKNOWN],
            "ends_on": [texts.PROMOTION_DATES_INVERTED],
        },
        name="Too good",
        kind="percent",
        value="150",
        product_code="M365-STD",
        plan_name="Weekly",
        starts_on="2026-04-30",
        ends_on="2026-04-01",
        active=True,
    )


@state(
    "storefront",
    "product-promotions",
    "storefront/catalogue/product.html",
    "Product page: a percentage and a fixed amount on one plan (crossed-out prices)",
)
def sf_product_promotions():
    from datetime import date

    from core.rules.promotions import PromotionTerms
    from webapp.preview_fixtures import ANNUAL, M365, MONTHLY, _product_context, _product_view

    ten = PromotionTerms(
        1, M365.id, None, "percent", Decimal("10"), date(2026, 3, 1), date(2026, 3, 31)
    )
    fifteen = PromotionTerms(
        2, M365.id, ANNUAL.id, "amount", Decimal("15"), date(2026, 3, 1), date(2026, 3, 31)
    )
    view = _product_view(M365)
    view.plans = [
        NS(plan=MONTHLY, price=Decimal("10.50"), promotion=ten, sale_price=Decimal("9.45")),
        NS(plan=ANNUAL, price=Decimal("115.00"), promotion=fifteen, sale_price=Decimal("100.00")),
    ]
    view.promotions_today = [ten, fifteen]
    return _product_context(view)
