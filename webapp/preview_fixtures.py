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

CLOUD = NS(id=1, name="Cloud Services", is_asset=False, non_automatic_execution=False)
MANAGED = NS(id=2, name="Managed Services", is_asset=False, non_automatic_execution=True)
ASSETS = NS(
    id=3, name="Microsoft Perpetual License Assets", is_asset=True, non_automatic_execution=False
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
    "storefront/home.html",
    "Flash messages (success, info, error)",
    note="Flashed messages as they appear after a redirect.",
)
def design_flashes():
    return {
        "preview_flashes": [
            ("success", texts.STATUS_SAVED),
            ("info", texts.LOGGED_OUT),
            ("error", texts.CSRF_FAILED),
        ]
    }


# --- sign-in ---------------------------------------------------------------------------------


def _login_form(email: str = "", errors: dict | None = None):
    from webapp.login import LoginForm

    form = LoginForm(formdata=None, data={"email": email})
    for name, messages in (errors or {}).items():
        getattr(form, name).errors = list(messages)
    return form


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
):

    def _error_context(status=_status, message=_message):
        return {"status": status, "message": message}

    state("errors", str(_status), "errors/error.html", f"Error {_status}", user=ANONYMOUS)(
        _error_context
    )

# --- home pages ------------------------------------------------------------------------------


@state("storefront", "home", "storefront/home.html", "Storefront home, signed in")
def storefront_home():
    return {}


@state(
    "storefront",
    "home-anonymous",
    "storefront/home.html",
    "Storefront home, anonymous",
    user=ANONYMOUS,
)
def storefront_home_anonymous():
    return {}


# --- BSS Setup -------------------------------------------------------------------------------


@state(
    "setup",
    "product-types",
    "bss_admin/setup/product_types.html",
    "Product Types list",
    user=BSS_ADMIN,
)
def setup_product_types():
    return {"product_types": PRODUCT_TYPES}


@state(
    "setup",
    "product-types-empty",
    "bss_admin/setup/product_types.html",
    "Product Types list, empty",
    user=BSS_ADMIN,
)
def setup_product_types_empty():
    return {"product_types": []}


def _product_type_form(obj=None, errors: dict | None = None, **data):
    from bss_admin.forms import ProductTypeForm

    form = ProductTypeForm(formdata=None, obj=obj, data=data or None)
    for name, messages in (errors or {}).items():
        getattr(form, name).errors = list(messages)
    return form


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
    "product-type-form-partial",
    "bss_admin/setup/product_type.html",
    "Product type form alone (the htmx partial), with the precondition error",
    user=BSS_ADMIN,
    block="product_type_form",
)
def setup_product_type_partial():
    return setup_product_type_precondition()


def _status_table(kind: str, errors=None, **extra):
    from bss_admin.forms import OfferStatusForm, OrderStatusForm

    form_class = OrderStatusForm if kind == "order" else OfferStatusForm
    context = {
        "kind": kind,
        "title": "Order Status" if kind == "order" else "Offer Status",
        "statuses": ORDER_STATUSES if kind == "order" else OFFER_STATUSES,
        "errors": errors or {},
        "row_values": {},
        "new_form": form_class(formdata=None),
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
    for name, messages in (errors or {}).items():
        getattr(form, name).errors = list(messages)
    return form


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
