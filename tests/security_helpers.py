"""Shared machinery of the security tests (issue 8): the roles and how they sign in, the
unrelated third tenant, the demo objects routes are called with, row counts of every table,
and how a response is classified (served, sent to a login page, 403, 404, error).

The expectations themselves live in tests/authz_matrix.py.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import select, text

from core.db import Base, write_transaction
from core.enums import AccountKind, PaymentMethod, Role, UserKind
from core.models import (
    Account,
    AddOn,
    ApiKey,
    Basket,
    BasketItem,
    Invoice,
    Notification,
    Offer,
    OfferItem,
    OfferStatus,
    Order,
    OrderItem,
    OrderStatus,
    OutboxItem,
    Plan,
    PriceList,
    Product,
    ProductType,
    Promotion,
    ProvisioningTask,
    Subscription,
    SubscriptionChange,
    Tenant,
    User,
    WebhookEndpoint,
)
from tests.authz_matrix import HIDDEN, LOGIN, OK

OTHER_HOST = "other.localhost"
PASSWORD = "demo-password"

# role -> (e-mail, signs in at the BSS?, host it signs in on)
ROLE_LOGINS: dict[str, tuple[str, bool, str] | None] = {
    "anonymous": None,
    "customer_a": ("alice@acme.example", False, "localhost"),
    "customer_b": ("bob@globex.example", False, "localhost"),
    "reseller": ("carol@bluesky.example", False, "localhost"),
    "operator": ("operator@skyline.example", True, "localhost"),
    "admin": ("admin@skyline.example", True, "localhost"),
    "distributor": ("admin@nimbus.example", True, "localhost"),
    "other_tenant": ("admin@othercloud.example", True, "localhost"),
    # a customer of the unrelated tenant who replays their session cookie on this Storefront
    "other_customer": ("eve@othercorp.example", False, OTHER_HOST),
}


def add_other_tenant(session, hash_password) -> Tenant:
    """A third tenant, unrelated to the demo's, with a BSS admin and a Storefront customer."""
    from core.services.tenants import create_tenant

    with write_transaction(session):
        tenant = create_tenant(session, name="Other Cloud", slug="othercloud", host=OTHER_HOST)
        prices = PriceList(tenant_id=tenant.id, name="Standard")
        session.add(prices)
        session.flush()
        account = Account(
            tenant_id=tenant.id,
            name="Other Corp",
            kind=AccountKind.END_CUSTOMER,
            price_list_id=prices.id,
            payment_method=PaymentMethod.CARD,
            email="it@othercorp.example",
        )
        session.add(account)
        session.flush()
        for email, kind, role, account_id in (
            ("admin@othercloud.example", UserKind.BSS, Role.ADMIN, None),
            ("eve@othercorp.example", UserKind.STOREFRONT, Role.CUSTOMER, account.id),
        ):
            session.add(
                User(
                    tenant_id=tenant.id,
                    kind=kind,
                    role=role,
                    email=email,
                    name=email.split("@")[0].title(),
                    password_hash=hash_password(PASSWORD),
                    account_id=account_id,
                )
            )
    return tenant


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh context, as in production.

    The ``app`` fixture keeps an application context pushed for the whole test, and Flask reuses
    it for test-client requests, so ``g`` (Flask-Login's ``g._login_user``, ``g.tenant``...) would
    leak from one request into the next and hide authorization bugs.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def client_for(app) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=True)


def sign_in(app, role: str):
    """A fresh test client signed in as ``role`` (anonymous: not signed in)."""
    client = client_for(app)
    login = ROLE_LOGINS[role]
    if login is None:
        return client
    email, bss, host = login
    url = "/bss/login" if bss else "/login"
    base = f"http://{host}/"
    data = {"email": email, "password": PASSWORD}
    if app.config.get("WTF_CSRF_ENABLED", True):
        data["csrf_token"] = csrf_token_of(client.get(url, base_url=base))
    response = client.post(url, data=data, base_url=base)
    assert response.status_code in (303, 204), (role, response.status_code)
    if host != "localhost":
        cookie = client.get_cookie("session", domain=host)
        client.set_cookie("session", cookie.value, domain="localhost")
    return client


def csrf_token_of(response) -> str | None:
    """The CSRF token a page carries (a hidden input, or the htmx header on <body>)."""
    html = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    field_ = html.find("input", attrs={"name": "csrf_token"})
    if field_ is not None:
        return field_.get("value")
    body = html.find("body")
    if body is not None and body.get("hx-headers"):
        match = re.search(r'"X-CSRFToken"\s*:\s*"([^"]+)"', body["hx-headers"])
        if match:
            return match.group(1)
    return None


def row_counts(session) -> dict[str, int]:
    """Rows of every table, in one statement."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    columns = ", ".join(f'(SELECT count(*) FROM "{t}") AS "c_{t}"' for t in tables)
    session.rollback()
    row = session.execute(text(f"SELECT {columns}")).one()
    session.rollback()
    return dict(zip(tables, row, strict=True))


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {t: (before[t], after[t]) for t in before if before[t] != after.get(t)}


# --- the objects routes are called with ---------------------------------------------------------


def _tenant_id(session, slug: str) -> int:
    return session.scalar(select(Tenant.id).where(Tenant.slug == slug))


def _account_id(session, name: str) -> int:
    tenant = _tenant_id(session, "reseller")
    return session.scalar(
        select(Account.id).where(Account.tenant_id == tenant, Account.name == name)
    )


def _first(session, query):
    value = session.scalar(query.limit(1))
    assert value is not None, f"no object for {query}"
    return value


def _orders_of(session, account_name: str):
    return (
        select(Order.id)
        .where(
            Order.account_id == _account_id(session, account_name), Order.parent_order_id.is_(None)
        )
        .order_by(Order.id)
    )


def _executed_order_a(session):
    executed = session.scalar(
        select(Order.id)
        .join(Invoice, Invoice.order_id == Order.id)
        .where(Order.account_id == _account_id(session, "Acme Ltd"))
        .order_by(Order.id)
        .limit(1)
    )
    assert executed is not None
    return executed


OBJECTS = {
    # an open (Submitted, manual) order of customer A (Acme), in the demo tenant
    "order_a": lambda s: _first(s, _orders_of(s, "Acme Ltd")),
    # customer A's executed order (it has an invoice)
    "order_a_executed": _executed_order_a,
    "invoice_a": lambda s: _first(
        s,
        select(Invoice.id)
        .where(Invoice.account_id == _account_id(s, "Acme Ltd"))
        .order_by(Invoice.id),
    ),
    "item_a": lambda s: _first(
        s,
        select(OrderItem.id)
        .where(OrderItem.order_id == OBJECTS["order_a"](s))
        .order_by(OrderItem.id),
    ),
    "order_b": lambda s: _first(s, _orders_of(s, "Globex Corp")),
    "subscription_a": lambda s: _first(
        s,
        select(Subscription.id)
        .where(Subscription.account_id == _account_id(s, "Acme Ltd"))
        .order_by(Subscription.id),
    ),
    "account_a": lambda s: _account_id(s, "Acme Ltd"),
    # accounts and people (issue 14): the standard reseller's customer, whose user is no role
    "account_initech": lambda s: _account_id(s, "Initech"),
    "bss_user_spare": lambda s: _user_id(s, "spare@skyline.example"),
    "bss_invitation_token": lambda s: _invitation_token(s, "invited@skyline.example"),
    "storefront_invitation_token": lambda s: _invitation_token(s, "invited@acme.example"),
    "password_reset_token": lambda s: _invitation_token(
        s, "dave@initech.example", "password-reset"
    ),
    "email_change_token": lambda s: _invitation_token(
        s, "mover@acme.example", "email-change", "moved@acme.example"
    ),
    "order_status": lambda s: _first(
        s,
        select(OrderStatus.id)
        .where(OrderStatus.tenant_id == _tenant_id(s, "reseller"))
        .order_by(OrderStatus.number.desc()),
    ),
    "offer_status": lambda s: _first(
        s,
        select(OfferStatus.id)
        .where(OfferStatus.tenant_id == _tenant_id(s, "reseller"))
        .order_by(OfferStatus.number),
    ),
    "product_type": lambda s: _first(
        s,
        select(ProductType.id)
        .where(ProductType.tenant_id == _tenant_id(s, "reseller"))
        .order_by(ProductType.id),
    ),
    "product": lambda s: _first(
        s,
        select(Product.id).where(
            Product.tenant_id == _tenant_id(s, "reseller"), Product.code == "M365-STD"
        ),
    ),
    "basket_item_a": lambda s: _first(
        s,
        select(BasketItem.id)
        .join(Basket, Basket.id == BasketItem.basket_id)
        .where(Basket.user_id == _user_id(s, "alice@acme.example"))
        .order_by(BasketItem.id),
    ),
    # customer A's checkout in progress (a Draft order)
    "draft_order_a": lambda s: _first(
        s,
        select(Order.id)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(
            Order.account_id == _account_id(s, "Acme Ltd"),
            OrderStatus.mandatory_key == "draft",
        )
        .order_by(Order.id.desc()),
    ),
    # customer A's order placed on the Storefront (so it has a confirmation page)
    "placed_order_a": lambda s: _first(
        s,
        select(Order.id)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(
            Order.created_by_user_id == _user_id(s, "alice@acme.example"),
            OrderStatus.mandatory_key != "draft",
        )
        .order_by(Order.id.desc()),
    ),
    "pending_approval_order": lambda s: _first(
        s,
        select(Order.id)
        .join(OrderStatus, OrderStatus.id == Order.status_id)
        .where(
            Order.account_id == _account_id(s, "Initech"),
            OrderStatus.mandatory_key == "pending_reseller_approval",
        ),
    ),
    "offer": lambda s: _first(
        s,
        select(Offer.id).where(Offer.tenant_id == _tenant_id(s, "reseller")).order_by(Offer.id),
    ),
    "offer_item": lambda s: _first(
        s,
        select(OfferItem.id)
        .where(OfferItem.offer_id == OBJECTS["offer"](s))
        .order_by(OfferItem.id),
    ),
    # catalogue back office (issue 15): the demo tenant's Standard price list
    "price_list": lambda s: _first(
        s,
        select(PriceList.id).where(
            PriceList.tenant_id == _tenant_id(s, "reseller"), PriceList.name == "Standard"
        ),
    ),
    "plan": lambda s: _first(
        s, select(Plan.id).where(Plan.product_id == OBJECTS["product"](s)).order_by(Plan.id)
    ),
    "addon": lambda s: _first(
        s, select(AddOn.id).where(AddOn.product_id == OBJECTS["product"](s)).order_by(AddOn.id)
    ),
    "upgrade_target": lambda s: _first(
        s,
        select(Product.id).where(
            Product.tenant_id == _tenant_id(s, "reseller"), Product.code == "M365-PREM"
        ),
    ),
    "promotion": lambda s: _first(
        s,
        select(Promotion.id)
        .where(Promotion.tenant_id == _tenant_id(s, "distributor"))
        .order_by(Promotion.id),
    ),
    # public API (issue 18): the demo tenant's API key
    "api_key": lambda s: _first(
        s,
        select(ApiKey.id).where(ApiKey.tenant_id == _tenant_id(s, "reseller")).order_by(ApiKey.id),
    ),
    "mixed_case": lambda s: "case=" + _mixed_case() + "&back=/",
    "subscription_action": lambda s: "licenses",
    # billing changes (issue 17): a decrease's URL word, the demo's scheduled change of Acme
    "subscription_change_word": lambda s: "cancel",
    "subscription_change_a": lambda s: _first(
        s, select(SubscriptionChange.id).order_by(SubscriptionChange.id)
    ),
    "static_file": lambda s: "css/app.css",
    "preview_group": lambda s: _preview_state()[0],
    "preview_name": lambda s: _preview_state()[1],
    # job queue (issue 16): the e-mail of customer A's placed manual order, and its outbox item
    "notification": lambda s: _first(
        s,
        select(Notification.id)
        .where(Notification.tenant_id == _tenant_id(s, "reseller"))
        .order_by(Notification.id),
    ),
    "provisioning_task": lambda s: _first(
        s,
        select(ProvisioningTask.id)
        .where(ProvisioningTask.tenant_id == _tenant_id(s, "reseller"))
        .order_by(ProvisioningTask.id),
    ),
    "webhook_endpoint": lambda s: _first(
        s,
        select(WebhookEndpoint.id)
        .where(WebhookEndpoint.tenant_id == _tenant_id(s, "reseller"))
        .order_by(WebhookEndpoint.id),
    ),
    "webhook_action": lambda s: "disable",
    # recurring billing (issue 17): the demo tenant's billing run (add_world_objects)
    "billing_run": lambda s: _first(
        s, select(BillingRunRow.id).where(BillingRunRow.tenant_id == _tenant_id(s, "reseller"))
    ),
    "outbox_item": lambda s: _first(
        s,
        select(OutboxItem.id)
        .where(OutboxItem.tenant_id == _tenant_id(s, "reseller"))
        .order_by(OutboxItem.id),
    ),
}


from core.models import BillingRun as BillingRunRow  # noqa: E402  (issue 17)


def _user_id(session, email: str) -> int:
    return session.scalar(select(User.id).where(User.email == email))


def _invitation_token(session, email: str, purpose: str = "invitation", extra: str = "") -> str:
    from flask import current_app

    from core.services.tokens import make_token

    user = session.scalar(select(User).where(User.email == email))
    if user is None:  # an e-mail change already confirmed: the user has the new address
        user = session.scalar(select(User).where(User.email == extra))
    return make_token(current_app.secret_key, purpose, user, extra)


def add_people(session) -> None:
    """Accounts and people (issue 14): a spare BSS user of the demo tenant (deactivated and
    reactivated by the route tests; no role signs in with it) and an invited one."""
    from core.services.people import INVITED

    admin = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    with write_transaction(session):
        for email, password_hash in (
            ("spare@skyline.example", admin.password_hash),
            ("invited@skyline.example", INVITED),
        ):
            session.add(
                User(
                    tenant_id=admin.tenant_id,
                    kind=UserKind.BSS,
                    role=Role.OPERATOR,
                    email=email,
                    name=email.split("@")[0].title(),
                    password_hash=password_hash,
                )
            )
        acme = session.scalar(select(User).where(User.email == "alice@acme.example")).account_id
        for email, password_hash in (
            ("invited@acme.example", INVITED),
            ("mover@acme.example", admin.password_hash),  # changes their e-mail address
        ):
            session.add(
                User(
                    tenant_id=admin.tenant_id,
                    kind=UserKind.STOREFRONT,
                    role=Role.CUSTOMER,
                    account_id=acme,
                    email=email,
                    name=email.split("@")[0].title(),
                    password_hash=password_hash,
                )
            )


def _mixed_case() -> str:
    from core.rules.basket import CASES

    return CASES[0]


def add_world_objects(session, email: str = "alice@acme.example") -> None:
    """Objects the demo lacks: customer A has a placed Storefront order, a Draft order
    (checkout started) and an item in the basket; the demo tenant has an offer with an item."""
    from core.services import basket as basket_service
    from core.services import checkout as checkout_service
    from core.services import offers as offer_service

    user = session.scalar(select(User).where(User.email == email))
    tenant_id = user.tenant_id

    def add(code: str):
        product = session.scalar(
            select(Product).where(Product.tenant_id == tenant_id, Product.code == code)
        )
        basket_service.add_product(
            session, tenant_id, user, product.id, product.plans[0].id, 2, addons={}
        )

    add("PRIV-CLOUD")  # manual: placing it charges nothing
    placed = checkout_service.start_checkout(session, tenant_id, user)
    checkout_service.place(session, tenant_id, user, placed.id, when="now")
    add("M365-STD")
    checkout_service.start_checkout(session, tenant_id, user)
    basket = session.scalar(select(Basket).where(Basket.user_id == user.id))
    if basket is None or not basket.items:
        add("M365-STD")
    # an order of the standard reseller's customer (Initech), waiting for the reseller
    dave = session.scalar(select(User).where(User.email == "dave@initech.example"))
    product = session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == "PRIV-CLOUD")
    )
    basket_service.add_product(
        session, tenant_id, dave, product.id, product.plans[0].id, 1, addons={}
    )
    pending = checkout_service.start_checkout(session, tenant_id, dave)
    checkout_service.place(session, tenant_id, dave, pending.id, when="now")
    admin = session.scalar(select(User).where(User.email == "admin@skyline.example"))
    offer = offer_service.create_offer(
        session, tenant_id, admin, account_id=user.account_id, name="Security review offer"
    )
    plan = session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.code == "M365-STD")
    ).plans[0]
    offer_service.add_item(session, tenant_id, admin, offer.id, plan_id=plan.id, quantity=3)
    # public API (issue 18): an API key of the demo tenant, for the BSS API keys page
    from core.services import api_keys as api_key_service

    api_key_service.create_key(
        session, tenant_id, admin, name="ERP", user_id=admin.id, scope="read", expires_in_days=30
    )
    # job queue (issue 16): a webhook endpoint of the demo tenant (never called in these tests)
    from core.services import webhooks

    webhooks.create_endpoint(session, tenant_id, "http://127.0.0.1:9/hooks", [])
    # recurring billing (issue 17): a billing run of the demo tenant (its log page)
    from datetime import date

    from core.models import BillingRun

    with write_transaction(session):
        session.add(BillingRun(tenant_id=tenant_id, run_date=date(2026, 12, 1), status="done"))


def _preview_state() -> tuple[str, str]:
    from webapp import preview_fixtures

    group, name = next(iter(preview_fixtures.STATES))
    return group, name


_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_url(rule: str, values: dict[str, object]) -> str:
    """The rule with its parameters filled; the value under "?" is the query string."""

    def replace(match):
        name = match.group(1)
        return str(values[name])

    url = _PARAM.sub(replace, rule)
    return url + ("?" + str(values["?"]) if values.get("?") else "")


def rule_params(rule: str) -> list[str]:
    return _PARAM.findall(rule)


# --- classification -----------------------------------------------------------------------------

SERVED_ERRORS = {400, 401, 409, 422, 429}


def login_path_for(rule: str) -> str:
    return "/bss/login" if rule.startswith("/bss") else "/login"


def classify(response, rule: str):
    """OK, LOGIN (sent to the right login page), 403, 404, 405, or the unexpected code."""
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers.get("Location", ""))
        if location.path == login_path_for(rule):
            return LOGIN
        if location.path in ("/login", "/bss/login"):
            return f"wrong login {location.path}"
        return OK
    if code == 204 and response.headers.get("HX-Redirect"):
        target = urlsplit(response.headers["HX-Redirect"]).path
        if target == login_path_for(rule):
            return LOGIN
        return OK
    if code < 300 or code in SERVED_ERRORS:
        return OK
    return code


@dataclass
class Tally:
    """What a sweep checked, for the closing note."""

    checks: int = 0
    routes: set = field(default_factory=set)
    roles: set = field(default_factory=set)
    failures: list = field(default_factory=list)

    def record(self, route, role, expected, got, url):
        self.checks += 1
        self.routes.add(route)
        self.roles.add(role)
        if expected == HIDDEN and got in (404, OK):
            return
        if expected != got:
            self.failures.append(f"{route} as {role}: expected {expected}, got {got} ({url})")


# --- forms, discovered from the pages ------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, number, email, date, select, checkbox, radio, hidden, textarea, ...
    value: str | None  # what the page pre-fills (None: unchecked box / nothing)
    options: list[str] = field(default_factory=list)  # select / radio values
    required: bool = False


@dataclass
class FormSpec:
    page: str  # the page it was found on
    role: str  # who saw it
    action: str  # path (and query) it posts to
    fields: list[FormField]

    def defaults(self, fill_blank: bool = True) -> dict[str, object]:
        """What a user sends who fills blank text boxes with words and presses the button."""
        data: dict[str, list[str]] = {}
        for f in self.fields:
            if f.kind == "csrf":
                continue
            if f.kind in ("checkbox", "radio") and f.value is None:
                continue
            value = f.value or ""
            if fill_blank and not value and f.kind in ("text", "textarea", "search"):
                value = "Security check"
            data.setdefault(f.name, []).append(value)
        return data


def discover_forms(html: str, page_url: str, role: str) -> list[FormSpec]:
    """Every ``<form method=post>`` of a page, with its fields and pre-filled values."""
    from urllib.parse import urljoin

    found = []
    document = BeautifulSoup(html, "html.parser")
    for form in document.find_all("form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        action = urljoin("http://localhost" + page_url, form.get("action") or page_url)
        parts = urlsplit(action)
        if parts.netloc not in ("localhost", ""):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        fields: list[FormField] = []
        radios: dict[str, FormField] = {}
        tags = ["input", "select", "textarea", "button"]
        elements = [e for e in form.find_all(tags) if e.get("form") in (None, form.get("id"))]
        if form.get("id"):
            # fields outside the <form> element that belong to it (form="id")
            elements += [
                e for e in document.find_all(tags, attrs={"form": form["id"]}) if e not in elements
            ]
        for element in elements:
            name = element.get("name")
            if not name or element.has_attr("disabled"):
                continue
            required = element.has_attr("required")
            if element.name == "select":
                options = [o.get("value", o.get_text()) for o in element.find_all("option")]
                chosen = element.find("option", selected=True)
                value = chosen.get("value", chosen.get_text()) if chosen else None
                if value is None and options:
                    value = options[0]
                fields.append(FormField(name, "select", value, options, required))
            elif element.name == "textarea":
                fields.append(FormField(name, "textarea", element.get_text(), [], required))
            elif element.name == "button":
                if (element.get("type") or "submit") == "submit" and element.get("value"):
                    if not any(f.name == name for f in fields):
                        fields.append(FormField(name, "button", element["value"], []))
            else:
                kind = (element.get("type") or "text").lower()
                if kind in ("submit", "image", "reset", "file"):
                    if kind == "submit" and element.get("value") and name:
                        fields.append(FormField(name, "button", element["value"], []))
                    continue
                if name.endswith("csrf_token"):  # also prefixed forms' "<prefix>-csrf_token"
                    fields.append(FormField(name, "csrf", element.get("value"), []))
                    continue
                if kind == "checkbox":
                    value = element.get("value", "y") if element.has_attr("checked") else None
                    fields.append(FormField(name, "checkbox", value, [element.get("value", "y")]))
                    continue
                if kind == "radio":
                    entry = radios.get(name)
                    if entry is None:
                        entry = radios[name] = FormField(name, "radio", None, [], required)
                        fields.append(entry)
                    entry.options.append(element.get("value", "on"))
                    if element.has_attr("checked"):
                        entry.value = element.get("value", "on")
                    continue
                fields.append(FormField(name, kind, element.get("value", ""), [], required))
        found.append(FormSpec(page_url, role, path, fields))
        for button in form.find_all(["button", "input"], attrs={"formaction": True}):
            # a second action of the same form (e.g. Approve / Reject)
            other = urlsplit(urljoin("http://localhost" + page_url, button["formaction"]))
            other_path = other.path + (f"?{other.query}" if other.query else "")
            found.append(FormSpec(page_url, role, other_path, fields))
    return found


def url_of(session, key: str) -> str:
    """The URL of a matrix entry ("METHOD rule"), its parameters filled with demo objects."""
    from tests.authz_matrix import MATRIX

    rule = key.split(" ", 1)[1]
    _policy, params = MATRIX[key]
    missing = [p for p in rule_params(rule) if p not in params]
    assert not missing, f"{key}: the matrix names no object for {missing}"
    return build_url(rule, {name: OBJECTS[obj](session) for name, obj in params.items()})


def crawl_forms(session, clients: dict) -> dict[str, FormSpec]:
    """The POST forms found on every GET route of the matrix, seen by each role, by action."""
    from tests.authz_matrix import MATRIX, OK

    forms: dict[str, FormSpec] = {}
    for key, (policy, _params) in MATRIX.items():
        if not key.startswith("GET ") or "static" in key or "preview" in key:
            continue
        url = url_of(session, key)
        for role, client in clients.items():
            if policy[role] != OK:
                continue
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            for form in discover_forms(response.get_data(as_text=True), url, role):
                forms.setdefault(form.action.split("?", 1)[0], form)
    return forms


# --- the world the route-by-route tests run in ---------------------------------------------------


def make_world(app, session) -> dict:
    """Demo data (already loaded) + the unrelated tenant + the extra objects, and one signed-in
    client per role."""
    from tests.authz_matrix import ROLES
    from webapp.auth import hash_password

    add_other_tenant(session, hash_password)
    add_world_objects(session)
    add_people(session)
    clients = {role: sign_in(app, role) for role in ROLES}
    return {"app": app, "session": session, "clients": clients}


_CRAWLS: dict[str, dict] = {}


def form_data(world, url: str) -> dict:
    """What the page's own form for ``url`` sends (empty when no page shows one).

    Every test starts from the same data with the same ids, so one crawl per engine serves all.
    """
    key = world["app"].config["SQLALCHEMY_DATABASE_URI"]
    if key not in _CRAWLS:
        _CRAWLS[key] = crawl_forms(world["session"], world["clients"])
    form = _CRAWLS[key].get(url.split("?", 1)[0])
    return form.defaults() if form else {}


def reset_throttling() -> None:
    """Forget failed sign-ins (the limiter's storage is shared by the whole test process)."""
    from webapp.extensions import limiter

    try:
        limiter.reset()
    except Exception:  # noqa: BLE001  (storage not initialised yet)
        pass
