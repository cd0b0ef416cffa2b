"""Fixture data and the list of preview states (PRODUCT.md section 10). No database.

Templates receive plain objects, so the fixtures are ``SimpleNamespace`` values with the
attributes the templates read. A *state* is one template rendered with one context; it has its
own URL, ``/_preview/<group>/<name>``. To add a state, write a function that returns the
template's context and decorate it::

    @state("storefront", "basket-empty", "storefront/basket.html", "Basket, empty")
    def basket_empty():
        return {"basket": basket(items=[])}

``user`` chooses who is signed in (``CUSTOMER``, ``BSS_ADMIN``, ``BSS_OPERATOR`` or
``ANONYMOUS``); ``block`` renders only that named block (an htmx partial) inside a plain frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from core import texts
from core.rules.pricing import split_totals  # issue 13 (prices)
from core.rules.statuses import DEFAULT_OFFER_STATUSES, DEFAULT_ORDER_STATUSES

# --- people and places -----------------------------------------------------------------------

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)

TENANT = NS(
    id=1,
    name="Skyline Cloud",
    slug="reseller",
    host="localhost",
    currency="EUR",
    timezone="Europe/Athens",
    parent=NS(id=2, name="Nimbus Distribution", slug="distributor"),
)


def _user(**values) -> NS:
    base = dict(
        id=1,
        is_authenticated=True,
        is_active=True,
        is_anonymous=False,
        tenant_id=TENANT.id,
        tenant=TENANT,
        timezone="Europe/Athens",
        date_format="%d/%m/%Y",
        session_version=1,
        active=True,
    )
    base.update(values)
    user = NS(**base)
    user.get_id = lambda: f"{user.id}:1"
    return user


ACME = NS(
    id=11,
    name="Acme Ltd",
    kind="end_customer",
    email="billing@acme.example",
    payment_method="card",
    credit_limit=None,
    currency="EUR",
)
GLOBEX = NS(
    id=12,
    name="Globex Corp",
    kind="end_customer",
    email="accounts@globex.example",
    payment_method="on_account",
    credit_limit=Decimal("500.00"),
    currency="EUR",
    billing_name=None,
    billing_address="Friedrichstraße 100\n10117 Berlin\nGermany",
)
CUSTOMER = _user(
    id=21,
    kind="storefront",
    role="customer",
    name="Alice Archer",
    email="alice@acme.example",
    account=ACME,
    account_id=ACME.id,
)
BSS_ADMIN = _user(id=31, kind="bss", role="admin", name="Ada Admin", email="admin@skyline.example")
BSS_OPERATOR = _user(
    id=32, kind="bss", role="operator", name="Otto Operator", email="operator@skyline.example"
)
ANONYMOUS = None  # Flask-Login's anonymous user
BASKET_COUNT = 3  # the header's basket counter for a signed-in customer

# --- statuses --------------------------------------------------------------------------------

ORDER_STATUSES = [
    NS(
        id=number,
        number=number,
        description=description,
        type=type_,
        storefront_type=storefront_type,
        color=color,
        active=True,
        mandatory_key=key,
        deleted_at=None,
    )
    for key, number, description, type_, storefront_type, color in DEFAULT_ORDER_STATUSES
] + [
    NS(
        id=9,
        number=9,
        description="Awaiting Customer Call",
        type="in_progress",
        storefront_type="viewable",
        color="#0f766e",
        active=False,
        mandatory_key=None,
        deleted_at=None,
    )
]
STATUS = {s.mandatory_key or "custom": s for s in ORDER_STATUSES}
OFFER_STATUSES = [
    NS(
        id=100 + number,
        number=number,
        description=description,
        type=type_,
        color=color,
        active=True,
        default_key=key,
        mandatory_key=None,
        deleted_at=None,
    )
    for key, number, description, type_, color in DEFAULT_OFFER_STATUSES
]


def status_colors() -> list[str]:
    return sorted({s.color.lower() for s in ORDER_STATUSES + OFFER_STATUSES})


# --- products --------------------------------------------------------------------------------

# connector: the provisioning connector in Setup (issue 16); none is the manual one
CLOUD = NS(
    id=1, name="Cloud Services", is_asset=False, non_automatic_execution=False, connector="sandbox"
)
MANAGED = NS(
    id=2, name="Managed Services", is_asset=False, non_automatic_execution=True, connector=None
)
ASSETS = NS(
    id=3,
    name="Microsoft Perpetual License Assets",
    is_asset=True,
    non_automatic_execution=False,
    connector=None,
)
PRODUCT_TYPES = [CLOUD, MANAGED, ASSETS]

# --- the registry of states ------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    group: str
    name: str
    template: str
    title: str
    context: Callable[[], dict]
    user: object = None
    block: str | None = None
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.name)


STATES: dict[tuple[str, str], State] = {}
GROUPS = {
    "storefront": "Storefront",
    "bss": "BSS",
    "setup": "BSS Setup",
    "auth": "Sign-in",
    "errors": "Error pages",
    "design": "Design system",
    "emails": "E-mails",  # accounts and people (issue 14)
    # job queue (issue 16)
    "queue": "Job queue",
    "email": "E-mails",
}


def state(
    group: str, name: str, template: str, title: str, *, user=CUSTOMER, block=None, note: str = ""
):
    """Register the decorated context function as the preview state ``group/name``."""

    def register(context: Callable[[], dict]) -> Callable[[], dict]:
        key = (group, name)
        if key in STATES:
            raise ValueError(f"preview state {group}/{name} is defined twice")
        STATES[key] = State(group, name, template, title, context, user, block, note)
        return context

    return register


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


# --- design system ---------------------------------------------------------------------------


@state(
    "design",
    "styleguide",
    "preview/styleguide.html",
    "Style guide: tokens and components",
    note="Every component class of the stylesheet in one page.",
)
def styleguide():
    return {
        "order_statuses": ORDER_STATUSES,
        "offer_statuses": OFFER_STATUSES,
        "banner_text": texts.MANUAL_BASKET_BANNER,
        "credit_text": texts.CREDIT_LIMIT_EXCEEDED_RIBBON.format(amount="€120.00"),
        "backorder_text": texts.BACKORDER_RIBBON.format(reseller="Skyline Cloud"),
        "hold_texts": [
            texts.HOLD_RIBBONS["manual_execution"],
            texts.HOLD_RIBBONS["credit_limit"].format(detail="€620.00 of €500.00 credit used"),
            texts.HOLD_RIBBONS["payment_failed"].format(detail="the card was declined"),
        ],
    }


@state(
    "design",
    "styleguide-bss",
    "preview/styleguide_bss.html",
    "Style guide in the BSS (denser)",
    user=BSS_ADMIN,
)
def styleguide_bss():
    return styleguide()


@state(
    "design",
    "dialog",
    "preview/dialog.html",
    "Dialog (pop-up) on a page",
    note="A <dialog data-autoshow> opened modally by app.js; Escape closes it.",
)
def design_dialog():
    return {"message": texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET}


@state(
    "design",
    "flashes",
    "storefront/catalogue/list.html",
    "Flash messages (success, info, error)",
    note="Flashed messages as they appear after a redirect.",
)
def design_flashes():
    return {
        "products": catalogue(),
        "preview_flashes": [
            ("success", texts.STATUS_SAVED),
            ("info", texts.LOGGED_OUT),
            ("error", texts.CSRF_FAILED),
        ],
    }


def _with_errors(form, errors: dict | None):
    """A form as it comes back from a refused post: these messages under these fields."""
    for name, messages in (errors or {}).items():
        getattr(form, name).errors = list(messages)
    return form


# --- sign-in ---------------------------------------------------------------------------------


def _login_form(email: str = "", errors: dict | None = None):
    from webapp.login import LoginForm

    form = LoginForm(formdata=None, data={"email": email})
    return _with_errors(form, errors)


@state("auth", "storefront-login", "storefront/login.html", "Storefront sign-in", user=ANONYMOUS)
def storefront_login():
    return {"form": _login_form(), "error": None}


@state(
    "auth",
    "storefront-login-failed",
    "storefront/login.html",
    "Storefront sign-in, wrong password",
    user=ANONYMOUS,
)
def storefront_login_failed():
    return {"form": _login_form("alice@acme.example"), "error": texts.LOGIN_FAILED}


@state(
    "auth",
    "storefront-login-invalid",
    "storefront/login.html",
    "Storefront sign-in, form validation errors",
    user=ANONYMOUS,
)
def storefront_login_invalid():
    required = ["This field is required."]
    return {
        "form": _login_form(errors={"email": required, "password": required}),
        "error": None,
    }


@state(
    "auth",
    "storefront-signed-out",
    "storefront/login.html",
    "Storefront sign-in after signing out",
    user=ANONYMOUS,
)
def storefront_signed_out():
    return {"form": _login_form(), "error": None, "preview_flashes": [("info", texts.LOGGED_OUT)]}


@state("auth", "bss-login", "bss_admin/login.html", "BSS sign-in", user=ANONYMOUS)
def bss_login():
    return {"form": _login_form(), "error": None}


@state(
    "auth",
    "bss-login-failed",
    "bss_admin/login.html",
    "BSS sign-in, wrong password",
    user=ANONYMOUS,
)
def bss_login_failed():
    return {"form": _login_form("admin@skyline.example"), "error": texts.LOGIN_FAILED}


@state(
    "auth", "bss-login-throttled", "bss_admin/login.html", "BSS sign-in, throttled", user=ANONYMOUS
)
def bss_login_throttled():
    return {"form": _login_form("admin@skyline.example"), "error": texts.LOGIN_THROTTLED}


# --- error pages -----------------------------------------------------------------------------

for _status, _message in (
    (400, texts.CSRF_FAILED),
    (403, texts.FORBIDDEN),
    (404, texts.NOT_FOUND),
    (500, texts.SERVER_ERROR),
    (503, texts.THROTTLE_UNAVAILABLE),  # the throttles' storage (Redis) does not answer
):

    def _error_context(status=_status, message=_message):
        return {"status": status, "message": message}

    state("errors", str(_status), "errors/error.html", f"Error {_status}", user=ANONYMOUS)(
        _error_context
    )

# --- BSS Setup -------------------------------------------------------------------------------


@state(
    "setup",
    "product-types",
    "bss_admin/setup/product_types.html",
    "Product Types list",
    user=BSS_ADMIN,
)
def setup_product_types():
    return {"product_types": PRODUCT_TYPES, "connector_labels": dict(_connector_choices())}


@state(
    "setup",
    "product-types-empty",
    "bss_admin/setup/product_types.html",
    "Product Types list, empty",
    user=BSS_ADMIN,
)
def setup_product_types_empty():
    return {"product_types": [], "connector_labels": dict(_connector_choices())}


def _connector_choices() -> list[tuple[str, str]]:
    """The built-in connectors, as the plugin manager lists them (issue 16)."""
    from core.connectors import load_registry

    return load_registry(entry_points=False).choices


def _product_type_form(obj=None, errors: dict | None = None, **data):
    from bss_admin.forms import ProductTypeForm

    form = ProductTypeForm(formdata=None, obj=obj, data=data or None)
    form.connector.choices = _connector_choices()
    form.connector.data = form.connector.data or "manual"
    return _with_errors(form, errors)


@state(
    "setup",
    "product-type-new",
    "bss_admin/setup/product_type.html",
    "New product type",
    user=BSS_ADMIN,
)
def setup_product_type_new():
    return {"form": _product_type_form(), "product_type": None, "errors": {}}


@state(
    "setup",
    "product-type-edit",
    "bss_admin/setup/product_type.html",
    "Product type details (service)",
    user=BSS_ADMIN,
)
def setup_product_type_edit():
    return {"form": _product_type_form(MANAGED), "product_type": MANAGED, "errors": {}}


@state(
    "setup",
    "product-type-asset",
    "bss_admin/setup/product_type.html",
    "Product type details (asset: no Customer Request)",
    user=BSS_ADMIN,
)
def setup_product_type_asset():
    return {"form": _product_type_form(ASSETS), "product_type": ASSETS, "errors": {}}


@state(
    "setup",
    "product-type-precondition",
    "bss_admin/setup/product_type.html",
    "Setup error message: the [seed 000] precondition",
    user=BSS_ADMIN,
    note="Turning on non-automatic execution without an In progress / Viewable status.",
)
def setup_product_type_precondition():
    form = _product_type_form(CLOUD)
    form.non_automatic_execution.data = True
    return {
        "form": form,
        "product_type": CLOUD,
        "errors": {"non_automatic_execution": [texts.NON_AUTOMATIC_PRECONDITION]},
    }


@state(
    "setup",
    "product-type-invalid",
    "bss_admin/setup/product_type.html",
    "Product type, form validation errors",
    user=BSS_ADMIN,
)
def setup_product_type_invalid():
    form = _product_type_form(errors={"name": [texts.PRODUCT_TYPE_NAME_REQUIRED]})
    return {
        "form": form,
        "product_type": None,
        "errors": {"name": [texts.PRODUCT_TYPE_NAME_TAKEN]},
    }


@state(
    "setup",
    "product-type-connector-unknown",
    "bss_admin/setup/product_type.html",
    "Product type, a connector that is not installed refused (issue 16)",
    user=BSS_ADMIN,
    note="A crafted or stale post names a connector the plugin manager did not find.",
)
def setup_product_type_connector_unknown():
    form = _product_type_form(CLOUD)
    return {
        "form": form,
        "product_type": CLOUD,
        "errors": {"connector": [texts.PRODUCT_TYPE_CONNECTOR_UNKNOWN]},
    }


@state(
    "setup",
    "product-type-form-partial",
    "bss_admin/setup/product_type.html",
    "Product type form alone (the htmx partial), with the precondition error",
    user=BSS_ADMIN,
    block="product_type_form",
)
def setup_product_type_partial():
    return setup_product_type_precondition()


def _status_table(kind: str, errors=None, **extra):
    from bss_admin.forms import NewOrderStatusForm, OfferStatusForm, OrderStatusForm

    form_class = OrderStatusForm if kind == "order" else OfferStatusForm
    new_form_class = NewOrderStatusForm if kind == "order" else OfferStatusForm
    context = {
        "kind": kind,
        "title": "Order Status" if kind == "order" else "Offer Status",
        "statuses": ORDER_STATUSES if kind == "order" else OFFER_STATUSES,
        "errors": errors or {},
        "row_values": {},
        "new_form": new_form_class(formdata=None),
        "row_form": form_class,
    }
    context.update(extra)
    return context


@state(
    "setup", "order-statuses", "bss_admin/setup/statuses.html", "Order Status table", user=BSS_ADMIN
)
def setup_order_statuses():
    return _status_table("order")


@state(
    "setup",
    "order-statuses-row-error",
    "bss_admin/setup/statuses.html",
    "Order Status table, a row refused",
    user=BSS_ADMIN,
)
def setup_order_statuses_row_error():
    return _status_table("order", errors={"9": [texts.STATUS_DESCRIPTION_TAKEN]})


@state(
    "setup",
    "order-statuses-row-type-error",
    "bss_admin/setup/statuses.html",
    "Order Status table, a row's Type refused (shown on the Type field)",
    user=BSS_ADMIN,
)
def setup_order_statuses_row_type_error():
    return _status_table("order", errors={"9": [texts.STATUS_SYSTEM_ONLY_TYPE_CHANGE]})


@state(
    "setup",
    "order-statuses-table-error",
    "bss_admin/setup/statuses.html",
    "Order Status table, a rule about the whole table",
    user=BSS_ADMIN,
)
def setup_order_statuses_table_error():
    return _status_table("order", errors={"": [texts.STATUS_ONE_ACTIVE_EXECUTED]})


@state(
    "setup",
    "order-statuses-new-error",
    "bss_admin/setup/statuses.html",
    "Order Status table, the new row refused",
    user=BSS_ADMIN,
)
def setup_order_statuses_new_error():
    return _status_table("order", errors={"new": [texts.STATUS_SYSTEM_ONLY_TYPE]})


@state(
    "setup", "offer-statuses", "bss_admin/setup/statuses.html", "Offer Status table", user=BSS_ADMIN
)
def setup_offer_statuses():
    return _status_table("offer")


@state(
    "setup",
    "offer-statuses-error",
    "bss_admin/setup/statuses.html",
    "Offer Status table, last of its Type",
    user=BSS_ADMIN,
)
def setup_offer_statuses_error():
    return _status_table("offer", errors={"103": [texts.OFFER_STATUS_LAST_OF_TYPE]})


def _api_form(errors: dict | None = None):
    from bss_admin.forms import ApiOptionsForm

    form = ApiOptionsForm(formdata=None, data={"responsible_user_id": "31", "sharing_rule": "team"})
    form.responsible_user_id.choices = [("", "— nobody —")] + [
        (str(u.id), u.name) for u in (BSS_ADMIN, BSS_OPERATOR)
    ]
    return _with_errors(form, errors)


@state(
    "setup", "api-options", "bss_admin/setup/api_options.html", "Use of API Options", user=BSS_ADMIN
)
def setup_api_options():
    return {"form": _api_form(), "errors": {}}


@state(
    "setup",
    "api-options-invalid",
    "bss_admin/setup/api_options.html",
    "Use of API Options, validation errors",
    user=BSS_ADMIN,
)
def setup_api_options_invalid():
    return {
        "form": _api_form(),
        "errors": {
            "responsible_user_id": [texts.API_OPTIONS_USER_INVALID],
            "sharing_rule": [texts.API_OPTIONS_SHARING_INVALID],
        },
    }


# --- Storefront: catalogue -------------------------------------------------------------------

M365 = NS(
    id=101,
    code="M365-STD",
    name="Microsoft 365 Business Standard",
    description="Office apps, e-mail, file storage and Teams for up to 300 users.",
    is_bundle=False,
    trial_days=30,
)
PRIV_CLOUD = NS(
    id=102,
    code="PRIV-CLOUD",
    name="Private Cloud Hosting",
    description="A dedicated virtual data centre, set up and run by our engineers.",
    is_bundle=False,
    trial_days=None,
)
SEC_BUNDLE = NS(
    id=103,
    code="SEC-BUNDLE",
    name="Security Bundle",
    description="Backup and a managed firewall in one subscription.",
    is_bundle=True,
    trial_days=None,
)
AZ_BACKUP = NS(
    id=104,
    code="AZ-BACKUP",
    name="Azure Backup",
    description="Backups of servers and workstations to Azure, kept for 90 days.",
    is_bundle=False,
    trial_days=14,
)
MONTHLY = NS(id=201, name="Monthly", billing_cycle="monthly", min_quantity=1, max_quantity=300)
ANNUAL = NS(id=202, name="Annual", billing_cycle="annual", min_quantity=1, max_quantity=300)
ONE_OFF = NS(id=203, name="Set-up", billing_cycle="one_off", min_quantity=1, max_quantity=20)
ADDON_STORAGE = NS(id=301, name="Extra file storage (10 GB)", min_quantity=1, max_quantity=100)
ADDON_ARCHIVE = NS(id=302, name="Exchange Online Archiving", min_quantity=1, max_quantity=300)


def _product_view(product, manual=False, from_price=None, components=(), discount=None):
    return NS(
        product=product,
        unit=getattr(product, "unit", ""),
        addon_cycle=None,  # monthly and annual plans: add-ons follow the chosen plan
        addon_cycles=["monthly", "annual"],
        from_cycle="monthly",
        manual=manual,
        from_price=from_price,
        components=list(components),
        discount_percent=discount,
        # --- catalogue back office gaps (issue 15): the trial is each plan's
        trial_days=product.trial_days,
        plans=[
            NS(plan=MONTHLY, price=Decimal("10.50"), trial_days=product.trial_days),
            NS(plan=ANNUAL, price=Decimal("115.00"), trial_days=None),
        ],
        addons=[
            NS(addon=ADDON_STORAGE, price=Decimal("2.00")),
            NS(addon=ADDON_ARCHIVE, price=Decimal("3.00")),
        ],
    )


def catalogue():
    return [
        _product_view(M365, from_price=Decimal("10.50")),
        _product_view(AZ_BACKUP, from_price=Decimal("4.20")),
        _product_view(PRIV_CLOUD, manual=True, from_price=Decimal("120.00")),
        _product_view(
            SEC_BUNDLE,
            manual=True,
            from_price=Decimal("49.00"),
            components=[NS(name="Azure Backup"), NS(name="Managed Firewall")],
        ),
    ]


@state("storefront", "catalogue", "storefront/catalogue/list.html", "Catalogue, signed in")
def sf_catalogue():
    return {"products": catalogue()}


@state(
    "storefront",
    "catalogue-anonymous",
    "storefront/catalogue/list.html",
    "Catalogue, anonymous visitor",
    user=ANONYMOUS,
)
def sf_catalogue_anonymous():
    return {"products": catalogue()}


@state("storefront", "catalogue-empty", "storefront/catalogue/list.html", "Catalogue, empty")
def sf_catalogue_empty():
    return {"products": []}


def _add_form(errors: dict | None = None):
    from storefront.forms import AddToBasketForm

    form = AddToBasketForm(formdata=None)
    form.plan_id.choices = [("201", "Monthly: €10.50"), ("202", "Annual: €115.00")]
    return _with_errors(form, errors)


def _product_context(view, **extra):
    context = {
        "view": view,
        "form": _add_form(),
        "errors": {},
        "added": False,
        "basket_manual": False,
        "error": None,
        "oob": False,
    }
    context.update(extra)
    return context


@state(
    "storefront",
    "product",
    "storefront/catalogue/product.html",
    "Product page (automatic, trial, add-ons, promotion)",
)
def sf_product():
    return _product_context(_product_view(M365, discount=Decimal("10")))


@state(
    "storefront",
    "product-manual-bundle",
    "storefront/catalogue/product.html",
    "Product page (bundle with a manual component)",
)
def sf_product_bundle():
    view = _product_view(
        SEC_BUNDLE,
        manual=True,
        components=[
            NS(quantity=1, name="Azure Backup", execution_type="automatic"),
            NS(quantity=1, name="Managed Firewall", execution_type="manual"),
        ],
    )
    view.addons = []
    return _product_context(view)


@state(
    "storefront",
    "product-anonymous",
    "storefront/catalogue/product.html",
    "Product page, anonymous visitor",
    user=ANONYMOUS,
)
def sf_product_anonymous():
    return _product_context(_product_view(M365))


@state(
    "storefront",
    "product-added-manual",
    "storefront/catalogue/product.html",
    "Product page, added to a manual basket (banner)",
)
def sf_product_added():
    return _product_context(_product_view(PRIV_CLOUD, manual=True), added=True, basket_manual=True)


@state(
    "storefront",
    "product-invalid",
    "storefront/catalogue/product.html",
    "Product page, form validation errors",
)
def sf_product_invalid():
    return _product_context(
        _product_view(M365),
        errors={
            "quantity": [texts.QUANTITY_INVALID.format(min=1, max=300)],
            "addon_301": [texts.QUANTITY_INVALID.format(min=0, max=100)],
        },
    )


@state(
    "storefront",
    "product-add-form-partial",
    "storefront/catalogue/product.html",
    "Add-to-basket form alone (htmx partial), added",
    block="add_form",
)
def sf_product_add_partial():
    return _product_context(_product_view(M365), added=True)


# --- Storefront: basket ----------------------------------------------------------------------


def _line(
    id,
    description,
    unit,
    qty,
    manual=False,
    parent=None,
    fixed=False,
    discount=None,
    cycle="monthly",
    unit_name="user",
):
    return NS(
        item=NS(id=id, parent_item_id=parent, quantity=qty),
        description=description,
        manual=manual,
        discount_percent=discount,
        unit_price=Decimal(unit),
        quantity_fixed=fixed,
        amount=Decimal(unit) * qty,
        billing_cycle=cycle,
        unit=unit_name,
    )


def basket_view(lines=(), manual=False, excess="0", credit_limit=False):
    lines = list(lines)
    total = sum((line.amount for line in lines), Decimal("0"))
    by_type = {}
    for line in lines:
        kind = "manual" if line.manual else "automatic"
        by_type[kind] = by_type.get(kind, 0) + 1
    return NS(
        manual=manual,
        mixed=len(by_type) > 1,
        lines_by_type=by_type,
        credit=NS(excess=Decimal(excess)),
        credit_ribbon=credit_ribbon(total, excess) if credit_limit or Decimal(excess) else None,
        empty=not lines,
        all_lines=lambda: lines,
        total=total,
        count=len(lines),
        totals=split_totals((line.billing_cycle, line.amount) for line in lines),
    )


# --- credit ribbon and mixed basket (issue 13, Storefront checkout) ---
def credit_ribbon(total, excess="0", limit="1500.00"):
    """The ribbon of an account with a credit limit: a basket of ``total`` exceeding the
    available credit by ``excess``."""
    from core.rules.credit import CreditRibbon

    total, excess, limit = Decimal(total), Decimal(excess), Decimal(limit)
    available = max(total - excess, Decimal("0.00")) if excess else Decimal("600.00")
    return CreditRibbon(limit, limit - available, available, total, excess)


@state(
    "storefront",
    "basket-credit-within",
    "storefront/basket/basket.html",
    "Basket of a credit-limit account within the limit: the informative credit ribbon",
)
def sf_basket_credit_within():
    return _basket(basket_view(AUTOMATIC_LINES, credit_limit=True))


@state(
    "storefront",
    "basket-mixed",
    "storefront/basket/basket.html",
    "Basket made mixed by a Setup change: the message and the two Remove buttons",
)
def sf_basket_mixed():
    return _basket(basket_view(AUTOMATIC_LINES + MANUAL_LINES, manual=True))


# --- end credit ribbon and mixed basket ---


AUTOMATIC_LINES = [
    _line(1, "Microsoft 365 Business Standard · Monthly", "10.50", 10, discount=Decimal("10")),
    _line(2, "Extra file storage (10 GB)", "2.00", 5, parent=1),
    _line(3, "Azure Backup · Monthly (30-day trial)", "0.00", 1, fixed=True),
]
MANUAL_LINES = [
    _line(4, "Private Cloud Hosting · Monthly", "120.00", 5, manual=True),
    _line(
        5,
        "Managed Firewall · Set-up",
        "350.00",
        1,
        manual=True,
        fixed=True,
        cycle="one_off",
        unit_name="",
    ),
]


def _basket(view, **extra):
    context = {"view": view, "errors": {}, "oob": False}
    context.update(extra)
    return context


@state(
    "storefront",
    "basket-empty",
    "storefront/basket/basket.html",
    "Basket, empty",
    note="The header counter still shows the fixture count.",
)
def sf_basket_empty():
    return _basket(basket_view(), basket_count=lambda: 0)


@state(
    "storefront",
    "basket-full",
    "storefront/basket/basket.html",
    "Basket, full (automatic services, add-on, trial, promotion)",
)
def sf_basket_full():
    return _basket(basket_view(AUTOMATIC_LINES))


@state(
    "storefront",
    "basket-manual",
    "storefront/basket/basket.html",
    "Basket with manual services: the blue banner",
)
def sf_basket_manual():
    return _basket(basket_view(MANUAL_LINES, manual=True))


@state(
    "storefront",
    "basket-credit",
    "storefront/basket/basket.html",
    "Basket over the credit limit: the credit ribbon",
)
def sf_basket_credit():
    return _basket(basket_view(AUTOMATIC_LINES + MANUAL_LINES[:1], excess="120.00"))


@state(
    "storefront",
    "basket-manual-credit",
    "storefront/basket/basket.html",
    "Basket with manual services over the credit limit: banner and ribbon",
)
def sf_basket_manual_credit():
    return _basket(basket_view(MANUAL_LINES, manual=True, excess="370.00"))


@state(
    "storefront", "basket-invalid", "storefront/basket/basket.html", "Basket, a quantity refused"
)
def sf_basket_invalid():
    return _basket(
        basket_view(AUTOMATIC_LINES),
        errors={1: [texts.QUANTITY_INVALID.format(min=1, max=300)]},
    )


@state(
    "storefront",
    "basket-partial",
    "storefront/basket/basket.html",
    "Basket region alone (htmx partial, with the counter swapped out of band)",
    block="basket",
)
def sf_basket_partial():
    return _basket(basket_view(MANUAL_LINES, manual=True), oob=True)


@state(
    "storefront",
    "mixed-manual-into-automatic",
    "storefront/basket/mixed.html",
    "Mixed basket: a manual service into an automatic basket",
)
def sf_mixed_manual():
    return {"message": texts.MIXED_BASKET_MANUAL_INTO_AUTOMATIC, "back": "#main"}


@state(
    "storefront",
    "mixed-automatic-into-manual",
    "storefront/basket/mixed.html",
    "Mixed basket: an automatic service into a manual basket",
)
def sf_mixed_automatic():
    return {"message": texts.MIXED_BASKET_AUTOMATIC_INTO_MANUAL, "back": "#main"}


# --- Storefront: checkout --------------------------------------------------------------------


def _item(id, description, unit, qty, manual=False, parent=None, executed=0):
    set_up = "Set-up" in description
    return NS(
        id=id,
        description=description,
        unit_price=Decimal(unit),
        quantity=qty,
        executed_quantity=executed,
        execution_type="manual" if manual else "automatic",
        parent_item_id=parent,
        discount_percent=None,
        plan=ONE_OFF if set_up else MONTHLY,  # an add-on's too: it follows its item
        product=NS(unit="" if set_up else "user"),
    )


def order(number="SO0000123", status="submitted", items=None, manual=False, **extra):
    items = items or [
        _item(1, "Microsoft 365 Business Standard · Monthly", "9.45", 10),
        _item(2, "Extra file storage (10 GB)", "2.00", 5, parent=1),
    ]
    values = dict(
        id=int(number[2:]),
        number=number,
        currency="EUR",
        items=items,
        total=sum((i.unit_price * i.quantity for i in items), Decimal("0")),
        status=STATUS[status],
        storefront_status=STATUS[status],
        execution_type="manual" if manual else "automatic",
        payment_method="card",
        billing_name="Acme Ltd",
        billing_address="12 Harbour Street\nPiraeus 185 31",
        order_date=ago(days=2, hours=3),
        scheduled_for=None,
        account=ACME,
        account_id=ACME.id,
        locked=status == "executed",
        parent_order=None,
        sub_orders=[],
        source="storefront",
    )
    values.update(extra)
    return NS(**values)


MANUAL_ITEMS = [_item(4, "Private Cloud Hosting · Monthly", "120.00", 5, manual=True)]


def _billing_form(errors: dict | None = None):
    from storefront.forms import BillingForm

    form = BillingForm(
        formdata=None,
        data={
            "billing_name": "Acme Ltd",
            "billing_address": "12 Harbour Street",
            "payment_method": "card",
        },
    )
    form.payment_method.choices = [("card", "Card"), ("on_account", "On account")]
    return _with_errors(form, errors)


@state(
    "storefront",
    "checkout-billing",
    "storefront/checkout/billing.html",
    "Checkout step 2: billing and payment",
)
def sf_checkout_billing():
    return {"order": order(status="draft"), "form": _billing_form(), "errors": {}}


@state(
    "storefront",
    "checkout-billing-manual-invalid",
    "storefront/checkout/billing.html",
    "Checkout step 2, manual order, validation errors",
)
def sf_checkout_billing_invalid():
    return {
        "order": order(status="draft", items=MANUAL_ITEMS, manual=True),
        "form": _billing_form(),
        "errors": {
            "billing_name": ["Enter the name to bill."],
            "payment_method": ["Choose a payment method."],
        },
    }


def _order_tax(net, rate="23", note=None):
    """An order's VAT as the review shows it (core.services.invoicing.OrderTax)."""
    rate = Decimal(rate)
    tax = (Decimal(net) * rate / 100).quantize(Decimal("0.01"))
    return NS(net=Decimal(net), tax=tax, gross=Decimal(net) + tax, rate=rate, note=note)


# the default order()'s total (104.50) with Irish VAT: what a card checkout charges at once
DUE_NOW = _order_tax(Decimal("104.50")).gross
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient, "
    "Article 196 Council Directive 2006/112/EC"
)


def _place_form():
    from storefront.forms import PlaceOrderForm

    form = PlaceOrderForm(formdata=None)
    form.schedule_on.data = (NOW + timedelta(days=1)).strftime("%d/%m/%Y")
    return form


def _review(manual=False, excess="0", schedulable=True, needs_card=True, amount_due_now=None):
    return NS(
        manual=manual,
        credit=NS(excess=Decimal(excess)),
        credit_ribbon=credit_ribbon("620.00", excess) if Decimal(excess) else None,
        schedulable=schedulable,
        needs_card=needs_card,
        amount_due_now=amount_due_now,
        first_date=(NOW + timedelta(days=1)).date(),
        last_date=(NOW + timedelta(days=90)).date(),
    )


def _review_context(review, the_order, **extra):
    if getattr(review, "tax", None) is None:
        review.tax = _order_tax(the_order.total)
    context = {
        "review": review,
        "order": the_order,
        "form": _place_form(),
        "errors": {},
        "error": None,
        "method_label": "Card",
    }
    context.update(extra)
    return context


@state(
    "storefront",
    "checkout-review",
    "storefront/checkout/review.html",
    "Checkout step 3: review, card payment, schedulable",
)
def sf_checkout_review():
    return _review_context(_review(amount_due_now=DUE_NOW), order(status="draft"))


@state(
    "storefront",
    "checkout-review-manual",
    "storefront/checkout/review.html",
    "Checkout step 3: review of a manual order (banner)",
)
def sf_checkout_review_manual():
    return _review_context(
        _review(manual=True, schedulable=False, needs_card=False),
        order(status="draft", items=MANUAL_ITEMS, manual=True),
    )


@state(
    "storefront",
    "checkout-review-credit",
    "storefront/checkout/review.html",
    "Checkout step 3: on account over the credit limit (ribbon)",
)
def sf_checkout_review_credit():
    the_order = order(status="draft", payment_method="on_account", account=GLOBEX)
    review = _review(excess="120.00", needs_card=False)
    review.tax = _order_tax(the_order.total, "0", REVERSE_CHARGE_NOTE)  # a German business
    return _review_context(review, the_order, method_label="On account")


@state(
    "storefront",
    "checkout-review-declined",
    "storefront/checkout/review.html",
    "Checkout step 3: card declined, field errors",
)
def sf_checkout_review_declined():
    return _review_context(
        _review(amount_due_now=DUE_NOW),
        order(status="draft"),
        error="The card was declined. Nothing was charged; check the details or use another card.",
        errors={
            "card_number": ["Enter the 16 digits of the card number."],
            "schedule_on": ["Choose a date from tomorrow to 90 days ahead."],
        },
    )


def _confirmation(kind, message, the_order, invoices=()):
    return {
        "order": the_order,
        "result": NS(kind=kind, message=message, order=the_order, invoices=list(invoices)),
    }


@state(
    "storefront",
    "confirmation-manual",
    "storefront/checkout/confirmation.html",
    "Confirmation of a manual order",
)
def sf_confirmation_manual():
    return _confirmation(
        "manual", texts.MANUAL_ORDER_CONFIRMATION, order(items=MANUAL_ITEMS, manual=True)
    )


@state(
    "storefront",
    "confirmation-automatic",
    "storefront/checkout/confirmation.html",
    "Confirmation of an automatic order (executed, with its invoice)",
)
def sf_confirmation_automatic():
    return _confirmation(
        "automatic",
        texts.AUTOMATIC_ORDER_CONFIRMATION,
        order(status="executed"),
        [NS(id=7, number="INV0000007")],
    )


@state(
    "storefront",
    "confirmation-credit",
    "storefront/checkout/confirmation.html",
    "Confirmation of an order held for the credit limit",
)
def sf_confirmation_credit():
    return _confirmation("credit", texts.CREDIT_REVIEW_CONFIRMATION, order())


@state(
    "storefront",
    "confirmation-scheduled",
    "storefront/checkout/confirmation.html",
    "Confirmation of a scheduled order",
)
def sf_confirmation_scheduled():
    day = (NOW + timedelta(days=7)).strftime("%d/%m/%Y")
    return _confirmation(
        "scheduled", texts.SCHEDULED_ORDER_CONFIRMATION.format(date=day), order(status="scheduled")
    )


@state(
    "storefront",
    "confirmation-payment-failed",
    "storefront/checkout/confirmation.html",
    "Confirmation after a failed payment",
)
def sf_confirmation_failed():
    message = texts.PAYMENT_FAILED_CONFIRMATION.format(reason="the card was declined.")
    return _confirmation("payment_failed", message, order())


# --- Storefront: orders, invoices, subscriptions ---------------------------------------------

ORDER_STATUS_KEYS = [s.mandatory_key for s in ORDER_STATUSES if s.mandatory_key]


@state(
    "storefront", "orders", "storefront/orders/list.html", "Orders list: an order in every status"
)
def sf_orders():
    orders = [
        order(number=f"SO00001{n:02d}", status=key, order_date=ago(days=n))
        for n, key in enumerate(ORDER_STATUS_KEYS, start=1)
    ]
    return {"result": NS(orders=orders, page=2, has_next=True)}


@state("storefront", "orders-empty", "storefront/orders/list.html", "Orders list, empty")
def sf_orders_empty():
    return {"result": NS(orders=[], page=1, has_next=False)}


def _order_detail(the_order, can_cancel=False, invoices=()):
    """The customer's order page reads the service's own OrderDetail (its explanations, the
    delivery of each item, who it is billed to)."""
    from core.services.billing import OrderDetail

    the_order.__dict__.setdefault("holds", [])
    the_order.__dict__.setdefault("rejection_reason", None)
    detail = OrderDetail(the_order, list(invoices), [], can_cancel)
    return {"order": the_order, "detail": detail}


def _open_hold(reason):
    return NS(reason=reason, detail=None, placed_at=ago(days=1), released_at=None)


# the open holds of an order in each status (why it waits, on the customer's order page)
_STATUS_HOLDS = {
    "submitted": ["manual_execution"],
    "pending_reseller_approval": ["reseller_approval"],
    "scheduled": ["scheduled"],
}


for _key in ORDER_STATUS_KEYS:

    def _order_in_status(key=_key):
        manual = key in ("submitted", "canceled")
        items = MANUAL_ITEMS if manual else None
        extra = {"holds": [_open_hold(r) for r in _STATUS_HOLDS.get(key, ())]}
        if key == "scheduled":
            extra["scheduled_for"] = (NOW + timedelta(days=7)).date()
        if key == "canceled_by_reseller":
            extra["rejection_reason"] = "Not in this quarter's budget: order again in January."
        the_order = order(status=key, items=items, manual=manual, **extra)
        invoices = [NS(id=7, number="INV0000007", total=the_order.total, currency="EUR")]
        return _order_detail(
            the_order,
            can_cancel=key in ("submitted", "pending_reseller_approval"),
            invoices=invoices if key == "executed" else (),
        )

    state(
        "storefront",
        f"order-{_key.replace('_', '-')}",
        "storefront/orders/detail.html",
        f"Order in status {STATUS[_key].description}",
    )(_order_in_status)


@state(
    "storefront",
    "order-partially-delivered",
    "storefront/orders/detail.html",
    "Order partially delivered",
)
def sf_order_partial():
    items = [
        _item(6, "Managed Firewall · Set-up", "350.00", 4, manual=True, executed=1),
        _item(7, "Private Cloud Hosting · Monthly", "120.00", 2, manual=True, executed=2),
    ]
    return _order_detail(order(number="SO0000124", items=items, manual=True))


@state(
    "storefront",
    "order-credit-review",
    "storefront/orders/detail.html",
    "Order waiting for a credit review (over the credit limit), billed to the account",
)
def sf_order_credit_review():
    the_order = order(
        number="SO0000125",
        account=GLOBEX,
        account_id=GLOBEX.id,
        billing_name=None,
        billing_address=None,
        payment_method="on_account",
        holds=[_open_hold("credit_limit")],
    )
    return _order_detail(the_order, can_cancel=True)


def _credit_note(number="CN0000002"):
    """A credit note as the invoices list shows it: issued, never open."""
    note = _invoice(number)
    note.kind, note.status, note.paid = "credit_note", "issued", False
    return note


def _invoice(number="INV0000007", paid=True):
    lines = [
        NS(
            description="Microsoft 365 Business Standard · Monthly",
            quantity=10,
            unit_price=Decimal("9.45"),
            amount=Decimal("94.50"),
            order_item=NS(plan=MONTHLY, product=NS(unit="user")),
            # recurring billing (issue 17): the period billed, the line's VAT
            period_start=ago(days=2).date(),
            period_end=(ago(days=2) + timedelta(days=30)).date(),
            tax_rate=Decimal("23.00"),
            tax_amount=Decimal("21.74"),
        ),
        NS(
            description="Extra file storage (10 GB)",
            quantity=5,
            unit_price=Decimal("2.00"),
            amount=Decimal("10.00"),
            order_item=NS(plan=MONTHLY, product=NS(unit="user")),
            period_start=None,
            period_end=None,
            tax_rate=Decimal("23.00"),
            tax_amount=Decimal("2.30"),
        ),
    ]
    net = sum((x.amount for x in lines), Decimal(0))
    tax = sum((x.tax_amount for x in lines), Decimal(0))
    return NS(
        id=int("".join(c for c in number if c.isdigit())),
        number=number,
        issued_at=ago(days=2),
        paid=paid,
        currency="EUR",
        lines=lines,
        # recurring billing (issue 17): kind, status, dates, totals net / VAT / gross
        kind="invoice",
        status="paid" if paid else "open",
        issue_date=ago(days=2).date(),
        due_date=(ago(days=2) + timedelta(days=14)).date(),
        net_total=net,
        tax_total=tax,
        total=net + tax,
        tax_note=None,
        locale="en_IE",
        credit_note_for_id=None,
        order_id=None,
    )


@state("storefront", "invoices", "storefront/invoices/list.html", "Invoices list")
def sf_invoices():
    return {
        "invoices": [_invoice("INV0000007"), _invoice("INV0000006", paid=False), _credit_note()],
        "page_no": 1,
        "has_next": True,
    }


@state("storefront", "invoices-empty", "storefront/invoices/list.html", "Invoices list, empty")
def sf_invoices_empty():
    return {"invoices": [], "page_no": 1, "has_next": False}


@state("storefront", "invoice", "storefront/invoices/detail.html", "Invoice")
def sf_invoice():
    return {"invoice": _invoice(), "credited_invoice": None}


def _subscription(
    id,
    product,
    plan,
    qty,
    status="active",
    trial=False,
    addons=(),
    manual=False,
    room=10,
    addons_to_buy=(),
    upgrades=(),
    on_sale=True,
):
    sub = NS(
        id=id,
        product=product,
        plan=plan,
        quantity=qty,
        status=status,
        is_trial=trial,
        trial_ends_on=(NOW + timedelta(days=12)).date() if trial else None,
        addons=list(addons),
        start_date=ago(days=40).date(),
        # recurring billing (issue 17): billing terms
        unit_price=Decimal("9.45"),
        currency="EUR",
        billing_cycle="monthly",
        commitment_months=12 if id == 1 else 0,
        next_billing_date=(NOW + timedelta(days=12 if trial else 20)).date(),
        term_end=(NOW + timedelta(days=12 if trial else 20)).date(),
        auto_renew=id != 3,
        ended_on=None,
        # billing changes (issue 17): the trial's continuation
        trial_converts=True,
    )
    return NS(
        subscription=sub,
        manual=manual,
        room=room,
        addons_to_buy=list(addons_to_buy),
        upgrade_targets=list(upgrades),
        on_sale=on_sale,
        next_amount=None if trial else Decimal("9.45") * qty,
    )


def subscriptions():
    return [
        _subscription(
            1,
            M365,
            MONTHLY,
            10,
            addons=[NS(id=1, addon_id=ADDON_STORAGE.id, addon=ADDON_STORAGE, quantity=5)],
            addons_to_buy=[ADDON_ARCHIVE],
            upgrades=[NS(id=105, name="Microsoft 365 Business Premium")],
        ),
        _subscription(2, AZ_BACKUP, MONTHLY, 1, trial=True, room=0),
        _subscription(3, PRIV_CLOUD, MONTHLY, 5, manual=True),
    ]


@state(
    "storefront",
    "subscriptions",
    "storefront/subscriptions/list.html",
    "My subscriptions (automatic, trial, manual)",
)
def sf_subscriptions():
    return {"views": subscriptions()}


@state(
    "storefront",
    "subscriptions-not-sold",
    "storefront/subscriptions/list.html",
    "My subscriptions, one of a product no longer sold (no licenses nor add-ons; upgrade kept)",
)
def sf_subscriptions_not_sold():
    retired = _subscription(
        1,
        M365,
        MONTHLY,
        10,
        addons=[NS(id=1, addon_id=ADDON_STORAGE.id, addon=ADDON_STORAGE, quantity=5)],
        room=0,
        upgrades=[NS(id=105, name="Microsoft 365 Business Premium")],
        on_sale=False,
    )
    return {"views": [retired, *subscriptions()[1:]]}


@state(
    "storefront",
    "subscriptions-empty",
    "storefront/subscriptions/list.html",
    "My subscriptions, empty",
)
def sf_subscriptions_empty():
    return {"views": []}


def _popup(message):
    return {"title": "This action cannot be performed", "message": message, "mixed": True}


@state(
    "storefront",
    "popup-manual-subscription",
    "storefront/subscriptions/blocked.html",
    "Pop-up: manual subscription, automatic basket",
    block="dialog",
    note="The dialog htmx shows over My subscriptions.",
)
def sf_popup_manual():
    return _popup(texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET)


@state(
    "storefront",
    "popup-automatic-subscription",
    "storefront/subscriptions/blocked.html",
    "Pop-up: automatic subscription, manual basket",
    block="dialog",
)
def sf_popup_automatic():
    return _popup(texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET)


@state(
    "storefront",
    "popup-manual-subscription-page",
    "storefront/subscriptions/blocked.html",
    "Pop-up without JavaScript: the page (manual subscription)",
)
def sf_popup_manual_page():
    return _popup(texts.POPUP_MANUAL_SUBSCRIPTION_AUTOMATIC_BASKET)


@state(
    "storefront",
    "popup-automatic-subscription-page",
    "storefront/subscriptions/blocked.html",
    "Pop-up without JavaScript: the page (automatic subscription)",
)
def sf_popup_automatic_page():
    return _popup(texts.POPUP_AUTOMATIC_SUBSCRIPTION_MANUAL_BASKET)


def schedule_window_for(_order) -> NS:
    """Stand-in for the Storefront's helper: the dates a scheduled order may move to."""
    return NS(first=(NOW + timedelta(days=1)).date(), last=(NOW + timedelta(days=90)).date())


# --- BSS: dashboard and orders ---------------------------------------------------------------


def _row(n, key, account="Acme Ltd", manual=False, total="600.00", **extra):
    values = dict(
        id=120 + n,
        number=f"SO00001{20 + n:02d}",
        account_name=account,
        name=None,
        status=STATUS[key],
        execution_type="manual" if manual else "automatic",
        order_date=ago(hours=5 * n),
        total=Decimal(total),
        currency="EUR",
        is_sub_order=False,
        partly_executed=False,
    )
    values.update(extra)
    return NS(**values)


def _unexecuted():
    return [
        _row(1, "submitted", manual=True, **_waiting(("manual_execution",), 5, "h")),
        _row(
            2,
            "submitted",
            "Globex Corp",
            manual=True,
            total="1400.00",
            partly_executed=True,
            **_waiting(("manual_execution", "credit_limit"), 2, "d"),
        ),
        _row(3, "pending_reseller_approval", "Initech", total="42.00", **_waiting((), 15, "min")),
    ]


def _waiting(reasons, amount, unit):
    return {"waiting_reasons": reasons, "waited": NS(amount=amount, unit=unit)}


@state("bss", "dashboard", "bss_admin/dashboard.html", "Dashboard (admin)", user=BSS_ADMIN)
def bss_dashboard():
    return {"unexecuted": _unexecuted(), "manual": _unexecuted()[:2], "submitted_status_id": 2}


@state(
    "bss",
    "dashboard-empty",
    "bss_admin/dashboard.html",
    "Dashboard, nothing to do",
    user=BSS_OPERATOR,
)
def bss_dashboard_empty():
    return {"unexecuted": [], "manual": [], "submitted_status_id": 2}


@state(
    "bss",
    "dashboard-unexecuted-partial",
    "bss_admin/dashboard_unexecuted.html",
    "Unexecuted Orders widget alone (polled by htmx)",
    user=BSS_ADMIN,
    block="unexecuted_widget",
)
def bss_dashboard_widget():
    return {"unexecuted": _unexecuted(), "submitted_status_id": 2}


def _filter_form():
    from bss_admin.order_forms import OrderFilterForm

    form = OrderFilterForm(formdata=None)
    form.status.choices = [("", "Any status")] + [
        (str(s.id), s.description) for s in ORDER_STATUSES
    ]
    form.account.choices = [("", "Any account"), ("11", "Acme Ltd"), ("12", "Globex Corp")]
    for name in ("execution_type", "sort"):
        field = getattr(form, name, None)
        if field is not None and not field.choices:
            field.choices = [("", "Any")]
    return form


@state("bss", "orders", "bss_admin/orders/list.html", "Orders list: every status", user=BSS_ADMIN)
def bss_orders():
    rows = [
        _row(n, key, manual=key in ("submitted", "canceled"), is_sub_order=n == 3)
        for n, key in enumerate(ORDER_STATUS_KEYS, start=1)
    ]
    return {
        "form": _filter_form(),
        "result": NS(rows=rows),
        "first_url": "#orders-table",
        "next_url": "#orders-table",
    }


@state(
    "bss",
    "orders-empty",
    "bss_admin/orders/list.html",
    "Orders list, nothing found",
    user=BSS_ADMIN,
)
def bss_orders_empty():
    return {"form": _filter_form(), "result": NS(rows=[]), "first_url": None, "next_url": None}


@state(
    "bss",
    "orders-dates-refused",
    "bss_admin/orders/list.html",
    "Orders list, From after To (said on the From field)",
    user=BSS_ADMIN,
)
def bss_orders_dates_refused():
    form = _filter_form()
    form.date_from.errors = [texts.FILTER_DATES_INVERTED]
    return {"form": form, "result": NS(rows=[]), "first_url": None, "next_url": None}


@state(
    "bss",
    "orders-date-invalid",
    "bss_admin/orders/list.html",
    "Orders list, an invalid date (said on its field, not used)",
    user=BSS_ADMIN,
)
def bss_orders_date_invalid():
    form = _filter_form()
    form.date_to.errors = [texts.FILTER_DATE_INVALID]
    return {"form": form, "result": NS(rows=[]), "first_url": None, "next_url": None}


def _facts(status_type, **values):
    from core.rules.permissions import OrderFacts

    return OrderFacts(status_type=status_type, **values)


def _records_panel(with_records=True, errors=None):
    from bss_admin.backorder_views import FORMS

    forms = NS(**{key: cls(formdata=None, prefix=key) for key, cls in FORMS.items()})
    records = NS(activities=[], emails=[], cases=[])
    if with_records:
        records = NS(
            activities=[
                (
                    NS(
                        subject="Called the customer",
                        at=ago(hours=20),
                        notes="Delivery agreed for Monday.",
                    ),
                    "Otto Operator",
                )
            ],
            emails=[
                NS(
                    subject="Your private cloud",
                    at=ago(hours=30),
                    sender="ops@skyline.example",
                    recipient="alice@acme.example",
                    body="",
                )
            ],
            cases=[
                NS(
                    title="VPN access for the firewall",
                    created_at=ago(hours=10),
                    status="open",
                    description="",
                )
            ],
        )
    return NS(
        records=records,
        forms=forms,
        errors=errors or {},
        message=None,
        next_url="#order-records",
        case_labels={"open": "Open", "in_progress": "In progress", "closed": "Closed"},
        open="activity" if errors else None,
    )


def _bss_order(key="submitted", items=None, manual=True, source="storefront", **extra):
    the_order = order(
        status=key,
        items=items or [_item(4, "Private Cloud Hosting · Monthly", "120.00", 5, manual=True)],
        manual=manual,
        name="Private cloud for the Athens office" if manual else None,
        order_type="New business",
        executed_at=ago(hours=1) if key == "executed" else None,
        copied_from_id=None,
        sales_rep="Otto Operator",
        contact="Alice Archer",
        campaign=None,
        source=source,
        tenant_id=TENANT.id,
        backorder_reseller_name="Skyline Cloud",
        responsible_user_id=None,
        custom_fields=None,
    )
    for name, value in extra.items():
        setattr(the_order, name, value)
    return the_order


def _history(*steps):
    lines = []
    previous = None
    for hours, actor, key, note in steps:
        lines.append(
            NS(
                at=ago(hours=hours),
                actor=actor,
                kind="status",
                from_status=previous,
                to_status=STATUS[key],
                note=note,
            )
        )
        previous = STATUS[key]
    return lines


def _detail(the_order, facts, holds=(), sub_orders=(), parent=None, history=None):
    from core.rules.permissions import allowed_actions, editable_fields, status_hint

    actions = allowed_actions(facts)
    detail = NS(
        order=the_order,
        account=the_order.account,
        status=the_order.status,
        items=[NS(item=i, remaining=i.quantity - i.executed_quantity) for i in the_order.items],
        holds=list(holds),
        sub_orders=list(sub_orders),
        parent=parent,
        history=history
        or _history(
            (50, "Alice Archer", "draft", "Basket checked out"),
            (
                49,
                "System",
                the_order.status.mandatory_key or "submitted",
                "Placed on the Storefront",
            ),
        ),
        facts=facts,
        actions=actions,
        fields=editable_fields(facts),
        responsible_name="Otto Operator",
        statuses_by_id={s.id: s for s in ORDER_STATUSES},
        status_hint=status_hint(facts),
        payment_methods=("on_account", "card")
        if getattr(the_order.account, "payment_method", "card") == "on_account"
        else ("card",),
    )
    detail.can = lambda action: action in actions
    detail.status_by_id = lambda status_id: detail.statuses_by_id.get(status_id)
    return detail


def _quick_add(errors=None):
    from bss_admin.order_forms import QuickAddForm

    form = QuickAddForm(formdata=None)
    form.product_plan.choices = [
        ("", "Choose a product"),
        ("101-201", "M365-STD · Monthly"),
        ("102-201", "PRIV-CLOUD · Monthly"),
    ]
    return _with_errors(form, errors)


def _order_page(detail, **extra):
    context = {
        "d": detail,
        "quick_add": _quick_add(),
        "errors": {},
        "message": None,
        "quantities": {},
        "execute_values": None,
        "msg_at": None,
        "records_panel": _records_panel(),
    }
    context.update(extra)
    return context


def _hold(reason, detail=None):
    return NS(reason=reason, detail=detail)


@state(
    "bss",
    "order-manual-submitted",
    "bss_admin/orders/detail.html",
    "Order: Submitted manual order with the manual-execution ribbon",
    user=BSS_OPERATOR,
)
def bss_order_manual():
    the_order = _bss_order()
    return _order_page(_detail(the_order, _facts("in_progress"), holds=[_hold("manual_execution")]))


@state(
    "bss",
    "order-credit-and-payment",
    "bss_admin/orders/detail.html",
    "Order: credit-limit and payment-failed ribbons",
    user=BSS_ADMIN,
)
def bss_order_credit():
    the_order = _bss_order(
        manual=False,
        items=[_item(1, "Microsoft 365 Business Standard · Monthly", "10.50", 60)],
        account=GLOBEX,
        payment_method="on_account",
    )
    return _order_page(
        _detail(
            the_order,
            _facts("in_progress"),
            holds=[
                _hold("credit_limit", "€630.00 of €500.00 credit used."),
                _hold("payment_failed", "the card was declined."),
            ],
        )
    )


@state(
    "bss",
    "order-executed-locked",
    "bss_admin/orders/detail.html",
    "Order: executed and locked",
    user=BSS_ADMIN,
)
def bss_order_executed():
    items = [_item(1, "Microsoft 365 Business Premium · Monthly", "19.80", 10, executed=10)]
    the_order = _bss_order("executed", items=items, manual=False)
    history = _history(
        (30, "Alice Archer", "draft", "Basket checked out"),
        (29, "System", "executing", "Payment captured"),
        (29, "System", "executed", "Executed automatically"),
    )
    return _order_page(
        _detail(
            the_order,
            _facts("automatic_execute", any_executed=True, has_remaining=False),
            history=history,
        )
    )


def _partial_order():
    items = [
        _item(6, "Managed Firewall · Set-up", "350.00", 4, manual=True, executed=1),
        _item(7, "Managed Firewall · Monthly support", "90.00", 4, manual=True, executed=1),
    ]
    the_order = _bss_order(items=items, number="SO0000124", account=GLOBEX)
    subs = [
        NS(id=125, number="SO0000125", status_id=STATUS["executed"].id, executed_at=ago(hours=6))
    ]
    history = _history(
        (52, "Bob Brown", "draft", "Basket checked out"),
        (51, "System", "submitted", "Manual execution required"),
    )
    history.append(
        NS(
            at=ago(hours=6),
            actor="Otto Operator",
            kind="partial",
            from_status=STATUS["submitted"],
            to_status=STATUS["submitted"],
            note="Executed 1 of 4 and 1 of 4: sub-order SO0000125",
        )
    )
    return the_order, subs, history


@state(
    "bss",
    "order-partially-executed",
    "bss_admin/orders/detail.html",
    "Order: partially executed, with its sub-order",
    user=BSS_OPERATOR,
)
def bss_order_partial():
    the_order, subs, history = _partial_order()
    facts = _facts("in_progress", any_executed=True)
    return _order_page(
        _detail(
            the_order, facts, holds=[_hold("manual_execution")], sub_orders=subs, history=history
        )
    )


@state(
    "bss",
    "order-partial-execution-refused",
    "bss_admin/orders/detail.html",
    "Order: partial execution refused (quantity errors)",
    user=BSS_OPERATOR,
)
def bss_order_partial_refused():
    the_order, subs, history = _partial_order()
    facts = _facts("in_progress", any_executed=True)
    return _order_page(
        _detail(
            the_order, facts, holds=[_hold("manual_execution")], sub_orders=subs, history=history
        ),
        message="Nothing was executed: check the quantities.",
        msg_at="products",
        errors={"6": ["Execute at most 3."]},
        execute_values={"execute-6": "5", "execute-7": "1"},
    )


@state(
    "bss",
    "order-sub-order",
    "bss_admin/orders/detail.html",
    "Order: a sub-order (executed part of another order)",
    user=BSS_OPERATOR,
)
def bss_order_sub():
    items = [_item(8, "Managed Firewall · Set-up", "350.00", 1, manual=True, executed=1)]
    the_order = _bss_order("executed", items=items, number="SO0000125", account=GLOBEX)
    parent = NS(id=124, number="SO0000124")
    return _order_page(
        _detail(
            the_order,
            _facts("automatic_execute", is_sub_order=True, any_executed=True, has_remaining=False),
            parent=parent,
        )
    )


@state(
    "bss",
    "order-backorder",
    "bss_admin/orders/detail.html",
    "Order: back-order with its ribbon (distributor)",
    user=BSS_ADMIN,
)
def bss_order_backorder():
    items = [_item(9, "Microsoft 365 Business Standard · Monthly", "8.90", 10, executed=10)]
    the_order = _bss_order(
        "executed", items=items, manual=False, source="backorder", number="SO0000301"
    )
    facts = _facts("automatic_execute", is_backorder=True, any_executed=True, has_remaining=False)
    return {**_order_page(_detail(the_order, facts)), "backorder_facts": _backorder_facts}


@state(
    "bss",
    "order-scheduled",
    "bss_admin/orders/detail.html",
    "Order: scheduled by the customer (no Execute before its date; Cancel stays)",
    user=BSS_OPERATOR,
)
def bss_order_scheduled():
    day = (NOW + timedelta(days=7)).date()
    the_order = _bss_order("scheduled", manual=False, scheduled_for=day)
    hold = _hold("scheduled", detail=day.isoformat())
    return _order_page(_detail(the_order, _facts("scheduled"), holds=[hold]))


@state("bss", "order-canceled", "bss_admin/orders/detail.html", "Order: canceled", user=BSS_ADMIN)
def bss_order_canceled():
    the_order = _bss_order("canceled")
    return _order_page(_detail(the_order, _facts("cancelled")))


@state(
    "bss",
    "order-draft-quick-add-error",
    "bss_admin/orders/detail.html",
    "Order: draft, Quick Add validation errors, no items",
    user=BSS_OPERATOR,
)
def bss_order_quick_add_error():
    the_order = _bss_order("draft", manual=False)
    the_order.items = []
    detail = _detail(the_order, _facts("in_progress"))
    detail.items = []
    return _order_page(
        detail,
        quick_add=_quick_add(
            {
                "product_plan": ["Choose a product and plan."],
                "quantity": ["Number must be between 1 and 100000."],
            }
        ),
        errors={"product_plan": ["Choose a product and plan."]},
        message="Check the item.",
        msg_at="products",
        records_panel=_records_panel(
            with_records=False, errors={"activity": {"subject": [texts.ACTIVITY_SUBJECT_REQUIRED]}}
        ),
    )


def _quick_add_search(typed=None, matches=()):
    """Quick Add past picking.LIMIT priced plans: a name to type, the matches to choose."""
    form = _quick_add()
    form.product_search.data = typed
    form.product_plan.choices = [("", "Choose a product"), *matches]
    return form


@state(
    "bss",
    "order-quick-add-many-plans",
    "bss_admin/orders/detail.html",
    "Order: Quick Add with too many plans to list (a name to type)",
    user=BSS_OPERATOR,
)
def bss_order_quick_add_many_plans():
    the_order = _bss_order("draft", manual=False)
    return _order_page(
        _detail(the_order, _facts("in_progress")),
        quick_add=_quick_add_search(),
        many_plans=True,
    )


@state(
    "bss",
    "order-quick-add-search",
    "bss_admin/orders/detail.html",
    "Order: Quick Add by name, several plans match (choose one)",
    user=BSS_OPERATOR,
)
def bss_order_quick_add_search():
    the_order = _bss_order("draft", manual=False)
    error = texts.QUICK_ADD_SEARCH.format(count=3)
    matches = [
        ("101-201", "Microsoft 365 Business Standard (Monthly)"),
        ("101-202", "Microsoft 365 Business Standard (Yearly)"),
        ("103-204", "Microsoft 365 E3 (Monthly)"),
    ]
    return _order_page(
        _detail(the_order, _facts("in_progress")),
        quick_add=_quick_add_search("Microsoft 365", matches),
        many_plans=True,
        errors={"product_search": [error]},
        message="Check the item.",
        msg_at="products",
    )


@state(
    "bss",
    "order-products-partial",
    "bss_admin/orders/detail.html",
    "Order products region alone (htmx partial)",
    user=BSS_OPERATOR,
    block="products",
)
def bss_order_products_partial():
    return bss_order_partial()


def _new_order_form(errors=None):
    from bss_admin.order_forms import NewOrderForm

    form = NewOrderForm(formdata=None)
    form.account_id.choices = [("", "Choose an account"), ("11", "Acme Ltd"), ("12", "Globex Corp")]
    form.status_id.choices = [(str(s.id), s.description) for s in ORDER_STATUSES[:2]]
    return _with_errors(form, errors)


@state("bss", "order-new", "bss_admin/orders/new.html", "New order", user=BSS_OPERATOR)
def bss_order_new():
    return {"form": _new_order_form(), "errors": {}}


@state(
    "bss",
    "order-new-invalid",
    "bss_admin/orders/new.html",
    "New order, validation errors",
    user=BSS_OPERATOR,
)
def bss_order_new_invalid():
    return {"form": _new_order_form(), "errors": {"account_id": ["Choose an account."]}}


@state(
    "bss",
    "order-new-account-inactive",
    "bss_admin/orders/new.html",
    "New order for a deactivated account",
    user=BSS_OPERATOR,
)
def bss_order_new_account_inactive():
    errors = {"account_id": [texts.ACCOUNT_INACTIVE_NO_ORDER]}
    return {"form": _new_order_form(), "errors": errors}


def _edit_form(detail):
    from bss_admin.order_forms import EditOrderForm

    form = EditOrderForm(formdata=None, obj=detail.order)
    form.status_id.choices = [(str(s.id), s.description) for s in ORDER_STATUSES[:2]]
    if hasattr(form, "responsible_user_id"):
        form.responsible_user_id.choices = [
            ("", "— nobody —"),
            ("31", "Ada Admin"),
            ("32", "Otto Operator"),
        ]
    return form


@state("bss", "order-edit", "bss_admin/orders/edit.html", "Edit order (open)", user=BSS_OPERATOR)
def bss_order_edit():
    detail = _detail(_bss_order(), _facts("in_progress"))
    return {
        "d": detail,
        "form": _edit_form(detail),
        "errors": {},
        "message": None,
        "records_panel": _records_panel(with_records=False),
    }


@state(
    "bss",
    "order-edit-locked",
    "bss_admin/orders/edit.html",
    "Edit order (executed: status and payment method locked)",
    user=BSS_OPERATOR,
)
def bss_order_edit_locked():
    detail = _detail(_bss_order("executed"), _facts("automatic_execute", any_executed=True))
    return {
        "d": detail,
        "form": _edit_form(detail),
        "message": None,
        "errors": {"name": [texts.TEXT_TOO_LONG.format(max=200)]},
        "records_panel": _records_panel(with_records=False),
    }


# --- BSS: back-orders and subscriptions ------------------------------------------------------


def _backorder_labels():
    from core.rules.backorders import BackorderAction

    return BackorderAction.LABELS


@state(
    "bss",
    "backorders",
    "bss_admin/backorders/list.html",
    "Back-orders (distributor)",
    user=BSS_ADMIN,
)
def bss_backorders():
    labels = _backorder_labels()
    rows = [
        NS(
            order=_bss_order(
                "executed",
                manual=False,
                source="backorder",
                number=f"SO00003{n:02d}",
                backorder_action=action,
                order_date=ago(days=n),
            ),
            billing_name="Skyline Cloud",
            account_name=account,
        )
        for n, (action, account) in enumerate(
            zip(labels, ["Acme Ltd", "Globex Corp", "Initech", "Acme Ltd"], strict=False), start=1
        )
    ]
    return {
        "listing": NS(rows=rows, next_cursor="cursor"),
        "backorder_action_labels": labels,
        "form": _backorder_filter_form(),
        "next_url": "/bss/backorders?after=cursor",
        "first_url": None,
    }


@state(
    "bss",
    "backorders-empty",
    "bss_admin/backorders/list.html",
    "Back-orders, none yet",
    user=BSS_ADMIN,
)
def bss_backorders_empty():
    return {
        "listing": NS(rows=[], next_cursor=None),
        "backorder_action_labels": _backorder_labels(),
        "form": _backorder_filter_form(),
        "next_url": None,
        "first_url": None,
    }


@state(
    "bss",
    "subscriptions",
    "bss_admin/backorders/subscriptions.html",
    "Subscriptions",
    user=BSS_ADMIN,
)
def bss_subscriptions():
    rows = []
    for view in subscriptions():
        sub = view.subscription
        sub.order_id = 123
        rows.append(
            NS(
                subscription=sub,
                account_name="Acme Ltd",
                product_name=sub.product.name,
                plan_name=sub.plan.name,
                order_number="SO0000123",
            )
        )
    return {"listing": NS(rows=rows, page=2, has_next=False)}


# --- Storefront: reseller approvals, scheduled order -----------------------------------------

CAROL = _user(
    id=23,
    kind="storefront",
    role="customer",
    name="Carol Chen",
    email="carol@bluesky.example",
    account_id=13,
)


def _approval_orders():
    return [
        order(
            number="SO0000140",
            status="pending_reseller_approval",
            account=NS(name="Initech"),
            order_date=ago(hours=3),
        ),
        order(
            number="SO0000141",
            status="pending_reseller_approval",
            account=NS(name="Initech"),
            scheduled_for=(NOW + timedelta(days=5)).date(),
            items=MANUAL_ITEMS,
            manual=True,
        ),
    ]


@state(
    "storefront",
    "reseller-approvals",
    "storefront/reseller/approvals.html",
    "Reseller: pending approvals",
    user=CAROL,
)
def sf_reseller_approvals():
    return {
        "reseller": NS(name="BlueSky IT"),
        "orders": _approval_orders(),
        "errors": {},
        "values": {},
        "message": None,
    }


@state(
    "storefront",
    "reseller-approvals-invalid",
    "storefront/reseller/approvals.html",
    "Reseller: rejection without a reason",
    user=CAROL,
)
def sf_reseller_approvals_invalid():
    orders = _approval_orders()
    return {
        "reseller": NS(name="BlueSky IT"),
        "orders": orders,
        "errors": {orders[0].id: texts.RESELLER_REASON_REQUIRED},
        "values": {},
        "message": None,
    }


@state(
    "storefront",
    "reseller-approvals-decided",
    "storefront/reseller/approvals.html",
    "Reseller: an order rejected, answered in place (focus on the result)",
    user=CAROL,
)
def sf_reseller_approvals_decided():
    orders = _approval_orders()
    return {
        "reseller": NS(name="BlueSky IT"),
        "orders": orders[1:],
        "errors": {},
        "values": {},
        "message": None,
        "done": texts.RESELLER_REJECTED.format(number=orders[0].number),
    }


@state(
    "storefront",
    "reseller-approvals-empty",
    "storefront/reseller/approvals.html",
    "Reseller: nothing to approve",
    user=CAROL,
)
def sf_reseller_approvals_empty():
    return {
        "reseller": NS(name="BlueSky IT"),
        "orders": [],
        "errors": {},
        "values": {},
        "message": None,
    }


@state(
    "storefront",
    "scheduled-order",
    "storefront/scheduled/order.html",
    "Scheduled order: reschedule or cancel",
)
def sf_scheduled_order():
    return {
        "order": order(status="scheduled", scheduled_for=(NOW + timedelta(days=7)).date()),
        "schedule_error": None,
    }


@state(
    "storefront",
    "scheduled-order-invalid",
    "storefront/scheduled/order.html",
    "Scheduled order: date refused",
)
def sf_scheduled_order_invalid():
    return {
        "order": order(status="scheduled", scheduled_for=(NOW + timedelta(days=7)).date()),
        "schedule_error": "Choose a date from tomorrow to 90 days ahead.",
    }


@state(
    "storefront",
    "scheduled-order-executing",
    "storefront/scheduled/order.html",
    "Scheduled order: executing now",
)
def sf_scheduled_order_executing():
    return {"order": order(status="executing"), "schedule_error": None}


# --- BSS: offers and print-outs --------------------------------------------------------------

OFFER_STATUS = {s.default_key: s for s in OFFER_STATUSES}


def _offer(number="OF0000012", key="in_progress", converted=False, **extra):
    items = [
        NS(
            id=1,
            description="Microsoft 365 Business Premium · Annual",
            quantity=25,
            unit_price=Decimal("198.00"),
        ),
        NS(
            id=2,
            description="Private Cloud Hosting · Monthly",
            quantity=2,
            unit_price=Decimal("110.00"),
        ),
    ]
    values = dict(
        id=int(number[2:]),
        number=number,
        name="Office move 2026",
        account=ACME,
        status=OFFER_STATUS[key],
        status_id=OFFER_STATUS[key].id,
        valid_until=(NOW + timedelta(days=30)).date(),
        created_at=ago(days=3),
        converted_order_id=123 if converted else None,
        items=items,
    )
    values.update(extra)
    return NS(**values)


def _offer_filter_form():
    from bss_admin.offer_forms import OfferFilterForm

    form = OfferFilterForm(formdata=None)
    form.status.choices = [("", "Any status")] + [
        (str(s.id), s.description) for s in OFFER_STATUSES
    ]
    form.account.choices = [("", "Any account"), ("11", "Acme Ltd")]
    return form


@state("bss", "offers", "bss_admin/offers/list.html", "Offers list", user=BSS_OPERATOR)
def bss_offers():
    offers = [
        _offer("OF0000012"),
        _offer("OF0000011", "accepted"),
        _offer("OF0000010", "accepted", converted=True),
        _offer("OF0000009", "lost", name=None),
    ]
    return {
        "form": _offer_filter_form(),
        "result": NS(offers=offers),
        "previous_url": None,
        "next_url": "#offers-table",
    }


@state(
    "bss",
    "offers-many-accounts",
    "bss_admin/offers/list.html",
    "Offers list, too many accounts to list in the filter",
    user=BSS_OPERATOR,
)
def bss_offers_many_accounts():
    form = _offer_filter_form()
    form.account.choices = [("", "Any")]
    return {**bss_offers(), "form": form, "many_accounts": True}


def _offer_detail(offer, **extra):
    from bss_admin.offer_forms import OfferItemForm

    add_form = OfferItemForm(formdata=None)
    add_form.plan_id.choices = [("", "Choose a product"), ("201", "M365-STD · Monthly")]
    context = {
        "offer": offer,
        "error_message": None,
        "item_errors": {},
        "add_form": add_form,
        "add_errors": {},
        "total": sum((i.unit_price * i.quantity for i in offer.items), Decimal(0)),
        "history": [
            NS(at=ago(days=3), actor_label="Otto Operator", note="Offer created"),
            NS(at=ago(days=1), actor_label="Otto Operator", note="Status: In Progress"),
        ],
    }
    context.update(extra)
    return context


@state(
    "bss",
    "offer",
    "bss_admin/offers/detail.html",
    "Offer in progress (editable)",
    user=BSS_OPERATOR,
)
def bss_offer():
    return _offer_detail(_offer())


@state(
    "bss",
    "offer-invalid",
    "bss_admin/offers/detail.html",
    "Offer: item and Quick Add errors",
    user=BSS_OPERATOR,
)
def bss_offer_invalid():
    return _offer_detail(
        _offer(),
        error_message="Nothing was saved: check the highlighted fields.",
        item_errors={
            1: {
                "quantity": ["Enter a whole number of at least 1."],
                "unit_price": ["Enter a price such as 12.50."],
            }
        },
        add_errors={"plan_id": ["Choose a product and plan."]},
    )


@state(
    "bss",
    "offer-quick-add-search",
    "bss_admin/offers/detail.html",
    "Offer: Quick Add with too many plans to list, several match the typed name",
    user=BSS_OPERATOR,
)
def bss_offer_quick_add_search():
    context = _offer_detail(_offer())
    form = context["add_form"]
    form.plan_search.data = "Backup"
    form.plan_id.choices = [
        ("", "— choose —"),
        ("301", "Azure Backup (Monthly)"),
        ("302", "Veeam Backup (Monthly)"),
    ]
    return {
        **context,
        "many_plans": True,
        "add_errors": {"plan_search": [texts.QUICK_ADD_SEARCH.format(count=2)]},
    }


@state(
    "bss",
    "offer-accepted",
    "bss_admin/offers/detail.html",
    "Offer accepted (convert to order)",
    user=BSS_OPERATOR,
)
def bss_offer_accepted():
    return _offer_detail(_offer(key="accepted"))


@state(
    "bss",
    "offer-converted",
    "bss_admin/offers/detail.html",
    "Offer converted to an order (read-only)",
    user=BSS_OPERATOR,
)
def bss_offer_converted():
    return _offer_detail(_offer(key="accepted", converted=True))


def _offer_form(offer=None, errors=None):
    from bss_admin.offer_forms import OfferForm

    form = OfferForm(formdata=None, obj=offer)
    form.account_id.choices = [("", "Choose an account"), ("11", "Acme Ltd")]
    form.status_id.choices = [(str(s.id), s.description) for s in OFFER_STATUSES]
    return _with_errors(form, errors)


@state(
    "bss",
    "offer-new",
    "bss_admin/offers/new.html",
    "New offer, validation errors",
    user=BSS_OPERATOR,
)
def bss_offer_new():
    return {"form": _offer_form(), "errors": {"account_id": ["Choose an account."]}}


@state(
    "bss",
    "offer-new-search",
    "bss_admin/offers/new.html",
    "New offer, too many accounts to list: found by name, several match",
    user=BSS_OPERATOR,
)
def bss_offer_new_search():
    form = _offer_form()
    form.account_search.data = "Acme"
    form.account_id.choices = [("", "— choose —"), ("11", "Acme Ltd"), ("15", "Acme Labs")]
    return {
        "form": form,
        "errors": {"account_search": [texts.ORDER_ACCOUNT_SEARCH.format(count=2)]},
        "many_accounts": True,
    }


@state("bss", "offer-edit", "bss_admin/offers/edit.html", "Edit offer", user=BSS_OPERATOR)
def bss_offer_edit():
    offer = _offer()
    return {"offer": offer, "form": _offer_form(offer), "errors": {}, "error_message": None}


@state(
    "bss",
    "offer-edit-converted",
    "bss_admin/offers/edit.html",
    "Edit offer, converted (status locked)",
    user=BSS_OPERATOR,
)
def bss_offer_edit_converted():
    offer = _offer(key="accepted", converted=True)
    return {"offer": offer, "form": _offer_form(offer), "errors": {}, "error_message": None}


@state("bss", "order-print", "bss_admin/orders/print.html", "Order print-out", user=BSS_OPERATOR)
def bss_order_print():
    the_order, subs, history = _partial_order()
    return {"d": _detail(the_order, _facts("in_progress", any_executed=True))}


@state("bss", "offer-print", "bss_admin/offers/print.html", "Offer print-out", user=BSS_OPERATOR)
def bss_offer_print():
    offer = _offer(
        account=NS(
            name="Acme Ltd", billing_name="Acme Ltd", billing_address="12 Harbour Street, Piraeus"
        )
    )
    seller = NS(
        name="Skyline Cloud Limited",
        address="1 Harbour Square\nDublin 2, D02 X285\nIreland",
        vat_number="IE6388047V",
    )
    total = _offer_detail(offer)["total"]
    # Acme in Ireland: domestic VAT, as the invoice of its order would carry it
    return {"offer": offer, "total": total, "seller": seller, "tax": _order_tax(total)}


@state(
    "bss",
    "offer-print-reverse-charge",
    "bss_admin/offers/print.html",
    "Offer print-out for an EU business (reverse charge: no VAT, the invoice's note)",
    user=BSS_OPERATOR,
)
def bss_offer_print_reverse_charge():
    context = bss_offer_print()
    total = context["total"]
    context["offer"].account = NS(
        name="Globex Corp",
        billing_name="Globex Corp",
        billing_address="Friedrichstraße 100\n10117 Berlin\nGermany",
    )
    context["tax"] = _order_tax(total, "0", REVERSE_CHARGE_NOTE)
    return context


@state(
    "bss",
    "subscription",
    "bss_admin/backorders/subscription.html",
    "Subscription (distributor mirror: order, add-on sources, history)",
    user=BSS_ADMIN,
)
def bss_subscription():
    view = subscriptions()[0]
    sub = view.subscription
    source = NS(id=302, number="SO0000302")
    return {
        "d": NS(
            subscription=sub,
            product=sub.product,
            plan=sub.plan,
            account=ACME,
            order=NS(id=301, number="SO0000301"),
            addons=[NS(name=ADDON_STORAGE.name, addon=sub.addons[0], source_order=source)],
            history=[
                NS(
                    line=NS(at=ago(days=10), from_quantity=5, to_quantity=10),
                    label="Quantity change",
                    detail="licenses bought",
                    order=source,
                ),
                NS(
                    line=NS(at=ago(days=2), from_quantity=None, to_quantity=None),
                    label="Trial upgraded to paid",
                    detail=None,
                    order=None,
                ),
            ],
        )
    }


@state(
    "bss",
    "order-records",
    "bss_admin/backorders/order_records.html",
    "Order side records page (activities, e-mails, cases)",
    user=BSS_OPERATOR,
)
def bss_order_records():
    return {"order": _bss_order(source="backorder"), "records_panel": _records_panel()}


# --- payment failure, Pay now and the checkout pages (issue 13, points 9 and 14) -------------


def _pay_form():
    from storefront.forms import PayNowForm

    # the field messages come from the service (``pay_errors``), as on the live page
    return PayNowForm(formdata=None, data={"card_holder": "Alice Acme", "attempt": "2"})


def _failed_payment(status="declined", message="Your card was declined.", last4="0002", days=0):
    return NS(
        created_at=ago(days=days, minutes=5),
        card_last4=last4,
        amount=Decimal("104.50"),
        currency="EUR",
        status=status,
        message=message,
    )


def _pay_state(payments, can_pay=True, reason="Your card was declined."):
    return NS(
        payment_failed=True,
        reason=reason,
        can_pay=can_pay,
        attempt=len(payments) + 1,
        payments=payments,
        amount=Decimal("104.50") if can_pay else None,  # VAT included, as the attempts charged
    )


@state(
    "storefront",
    "order-payment-failed",
    "storefront/orders/detail.html",
    "Order whose card payment failed: flag, attempts and Pay now",
)
def sf_order_payment_failed():
    context = _order_detail(order(number="SO0000131"), can_cancel=True)
    context.update(pay=_pay_state([_failed_payment()]), pay_form=_pay_form(), pay_errors={})
    return context


@state(
    "storefront",
    "order-payment-failed-invalid",
    "storefront/orders/detail.html",
    "Pay now refused: card field errors, after a second declined attempt",
)
def sf_order_payment_failed_invalid():
    errors = {
        "card_number": ["Enter a valid card number."],
        "card_expiry": ["Enter a valid expiry date (month and year) in the future."],
    }
    context = _order_detail(order(number="SO0000131"), can_cancel=True)
    payments = [
        _failed_payment(days=1),
        _failed_payment("error", "The payment could not be processed.", "0119"),
    ]
    context.update(
        pay=_pay_state(payments, reason="The payment could not be processed."),
        pay_form=_pay_form(),
        pay_errors=errors,
    )
    return context


@state(
    "storefront",
    "orders-payment-failed",
    "storefront/orders/list.html",
    "Orders list with an order whose payment failed (flag and Pay now)",
)
def sf_orders_payment_failed():
    orders = [
        order(number="SO0000131", order_date=ago(hours=1)),
        order(number="SO0000128", status="executed", order_date=ago(days=3)),
    ]
    return {"result": NS(orders=orders, page=1, has_next=False), "awaiting_payment": {131}}


@state(
    "storefront",
    "confirmation-two-holds",
    "storefront/checkout/confirmation.html",
    "Confirmation of a manual order also over the credit limit (both said)",
)
def sf_confirmation_two_holds():
    context = _confirmation(
        "manual",
        texts.MANUAL_ORDER_CONFIRMATION,
        order(items=MANUAL_ITEMS, manual=True, payment_method="on_account", account=GLOBEX),
    )
    context["result"].messages = [texts.MANUAL_ORDER_CONFIRMATION, texts.CREDIT_REVIEW_CONFIRMATION]
    return context


# --- issue 13: Setup › Order Status rows, dashboard waiting reasons, back-orders -------------


@state(
    "setup",
    "order-statuses-row-saved",
    "bss_admin/setup/statuses.html",
    "Order Status table, one row just saved with htmx (only that row was replaced)",
    user=BSS_ADMIN,
)
def setup_order_statuses_row_saved():
    return _status_table("order", saved=2, colors_version="preview")


@state(
    "setup",
    "order-statuses-pale-colour",
    "bss_admin/setup/statuses.html",
    "Order Status table, a colour too pale for the badge refused",
    user=BSS_ADMIN,
)
def setup_order_statuses_pale_colour():
    return _status_table("order", errors={"9": [texts.STATUS_COLOR_TOO_PALE.format(ratio="1.0")]})


def _backorder_filter_form(reseller=None):
    from bss_admin.backorder_views import BackorderFilterForm

    form = BackorderFilterForm(formdata=None, data={"reseller": reseller})
    form.reseller.choices = [("", "Any"), (41, "Skyline Cloud"), (42, "Stratus Hosting")]
    form.account.choices = [("", "Any"), (11, "Acme Ltd"), (12, "Globex Corp"), (13, "Initech")]
    return form


def _backorder_facts(order):
    return NS(billing_to="Skyline Cloud", price_list="Tenant resellers", sharing_rule="Team")


@state(
    "bss",
    "backorders-filtered",
    "bss_admin/backorders/list.html",
    "Back-orders filtered by tenant reseller, second page (no match)",
    user=BSS_ADMIN,
)
def bss_backorders_filtered():
    return {
        "listing": NS(rows=[], next_cursor=None),
        "backorder_action_labels": _backorder_labels(),
        "form": _backorder_filter_form(reseller=42),
        "next_url": None,
        "first_url": "/bss/backorders?reseller=42",
    }


@state(
    "bss",
    "backorders-date-errors",
    "bss_admin/backorders/list.html",
    "Back-orders: a From date after the To date, said on the From field",
    user=BSS_ADMIN,
)
def bss_backorders_date_errors():
    from datetime import date

    form = _backorder_filter_form()
    form.date_from.data = date(2026, 12, 3)
    form.date_from.errors = [texts.FILTER_DATES_INVERTED]
    form.date_to.data = date(2026, 12, 1)
    return {
        "listing": NS(rows=[], next_cursor=None),
        "backorder_action_labels": _backorder_labels(),
        "form": form,
        "next_url": None,
        "first_url": None,
    }


@state(
    "bss",
    "order-backorder-print",
    "bss_admin/orders/print.html",
    "Back-order print-out: Billing To, price list, sharing rule",
    user=BSS_ADMIN,
)
def bss_order_backorder_print():
    return bss_order_backorder()


# --- BSS orders: confirmations, converted offers (issue 13 points 11, 17) --------------------


def _confirm(layout: str, **values):
    from webapp.confirm import Confirmation

    return {"layout": layout, "c": Confirmation(**values)}


def _execute_confirmation(partial: bool = False, warnings=(), choice=None):
    from webapp.confirm import ConfirmChoice

    number = "SO0000124" if partial else "SO0000123"
    lines = (
        ["Managed Firewall · Set-up × 2", "Managed Firewall · Monthly support × 1"]
        if partial
        else ["Private Cloud Hosting · Monthly × 5"]
    )
    return _confirm(
        "bss_admin/layout.html",
        title=(
            texts.CONFIRM_EXECUTE_PARTIAL_TITLE if partial else texts.CONFIRM_EXECUTE_TITLE
        ).format(number=number),
        message=texts.CONFIRM_EXECUTE_BODY,
        yes_label=texts.CONFIRM_EXECUTE_YES,
        action_url="#execute",
        back_url="#order",
        back_label=texts.CONFIRM_GO_BACK,
        lines=lines,
        warnings=[
            texts.CONFIRM_HOLD_WARNING.format(hold=texts.HOLD_LABELS[reason]) for reason in warnings
        ],
        hidden={"execute-6": "2", "execute-7": "1"} if partial else {},
        choice=ConfirmChoice("executed_status_id", texts.ORDER_EXECUTED_STATUS_LABEL, choice)
        if choice
        else None,
        danger=False,
    )


@state(
    "bss",
    "confirm-execute",
    "confirm/confirm.html",
    "Confirm Execute Order (page without JavaScript)",
    user=BSS_OPERATOR,
)
def bss_confirm_execute():
    return _execute_confirmation()


@state(
    "bss",
    "confirm-execute-holds",
    "confirm/confirm.html",
    "Confirm Execute Order: credit and payment holds open, a Delivered status to choose",
    user=BSS_OPERATOR,
)
def bss_confirm_execute_holds():
    return _execute_confirmation(
        warnings=("credit_limit", "payment_failed"),
        choice=[("3", "Executed"), ("31", "Delivered on site")],
    )


@state(
    "bss",
    "confirm-execute-partial",
    "confirm/confirm.html",
    "Confirm Execute selected quantities",
    user=BSS_OPERATOR,
)
def bss_confirm_execute_partial():
    return _execute_confirmation(partial=True)


@state(
    "bss",
    "confirm-execute-dialog",
    "confirm/confirm.html",
    "Confirm Execute Order, as the dialog htmx opens",
    user=BSS_OPERATOR,
    block="dialog",
)
def bss_confirm_execute_dialog():
    return _execute_confirmation(warnings=("credit_limit",))


def _cancel_confirmation(layout: str):
    return _confirm(
        layout,
        title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number="SO0000123"),
        message=texts.CONFIRM_CANCEL_ORDER_BODY,
        yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
        action_url="#cancel",
        back_url="#order",
        back_label=texts.CONFIRM_KEEP_ORDER,
    )


@state(
    "bss",
    "confirm-cancel",
    "confirm/confirm.html",
    "Confirm Cancel order",
    user=BSS_OPERATOR,
)
def bss_confirm_cancel():
    return _cancel_confirmation("bss_admin/layout.html")


def _delete_offer_confirmation():
    return _confirm(
        "bss_admin/layout.html",
        title=texts.CONFIRM_DELETE_OFFER_TITLE.format(number="OF0000042"),
        message=texts.CONFIRM_DELETE_OFFER_BODY,
        yes_label=texts.CONFIRM_DELETE_OFFER_YES,
        action_url="#delete",
        back_url="#offer",
        back_label=texts.CONFIRM_KEEP_OFFER,
        lines=(texts.CONFIRM_DELETE_OFFER_ITEMS.format(count=3),),
    )


@state(
    "bss",
    "confirm-delete-offer",
    "confirm/confirm.html",
    "Confirm Delete offer (page without JavaScript)",
    user=BSS_OPERATOR,
)
def bss_confirm_delete_offer():
    return _delete_offer_confirmation()


@state(
    "bss",
    "confirm-delete-offer-dialog",
    "confirm/confirm.html",
    "Confirm Delete offer, as the dialog htmx opens",
    user=BSS_OPERATOR,
    block="dialog",
)
def bss_confirm_delete_offer_dialog():
    return _delete_offer_confirmation()


@state(
    "storefront",
    "confirm-cancel",
    "confirm/confirm.html",
    "Confirm Cancel this order (page without JavaScript)",
)
def sf_confirm_cancel():
    return _cancel_confirmation("storefront/layout.html")


@state(
    "storefront",
    "confirm-cancel-dialog",
    "confirm/confirm.html",
    "Confirm Cancel this order, as the dialog htmx opens",
    block="dialog",
)
def sf_confirm_cancel_dialog():
    return _cancel_confirmation("storefront/layout.html")


@state(
    "bss",
    "order-from-offer",
    "bss_admin/orders/detail.html",
    "Order converted from an offer (links to the offer)",
    user=BSS_OPERATOR,
)
def bss_order_from_offer():
    the_order = _bss_order(manual=False, source="offer")
    detail = _detail(the_order, _facts("in_progress"))
    detail.offer = NS(id=401, number="OF0000401", name="Firewall refresh")
    return _order_page(detail)


# --- catalogue back office (issue 15): its states live beside its views ----------------------
from bss_admin.catalogue import preview as _catalogue_preview  # noqa: E402,F401

# isort: split
# --- public API keys (issue 18): the states live beside their pages ---------------------------
from bss_admin.api_keys import preview as _api_keys_preview  # noqa: E402,F401

# isort: split
# --- accounts and people (issue 14): their states live beside them ---------------------------
# --- job queue and e-mails (issue 16): states in their own module ----------------------------
from webapp import (  # noqa: E402,F401
    preview_accounts,
    preview_people,
    preview_queue,  # noqa: E402,F401
)

# isort: split
# --- recurring billing (issue 17): states in their own module --------------------------------
from webapp import preview_billing  # noqa: E402,F401

# isort: split
# --- billing changes (issue 17, point 3): states in their own module --------------------------
from webapp import preview_billing_changes  # noqa: E402,F401

# isort: split
# --- payment and dunning (issue 17): states in their own module -------------------------------
from webapp import preview_dunning  # noqa: E402,F401

# isort: split
# --- invoice and credit note e-mails (PRODUCT.md 11), and the confirmations of irreversible
# catalogue, account, people and API key actions: states in their own modules ------------------
from webapp import preview_confirmations, preview_invoice_messages  # noqa: E402,F401

# isort: split
# --- BSS order Edit: a Scheduled order, a refused payment method, a Cancelled status --------
from webapp import preview_order_edit  # noqa: E402,F401
