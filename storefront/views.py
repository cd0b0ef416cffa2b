"""Storefront views: parse the request, call a service, render.

Shared helpers of the Storefront view modules live here too (the signed-in customer, the
basket counter in the header)."""

from __future__ import annotations

from flask import g, request, url_for
from flask_login import current_user
from markupsafe import Markup

from core.db import writes_begun
from core.models import Account, User, UserKind
from core.services import basket as basket_service
from core.services import catalogue
from storefront import bp
from webapp.auth import lean_user
from webapp.extensions import db
from webapp.login import login_view, logout_view
from webapp.page_cache import share_page
from webapp.web import memo_fragment, page, request_memo


def customer() -> User:
    return current_user.user


def customer_account() -> Account:
    return db.session.get(Account, current_user.account_id)


def is_customer() -> bool:
    return (
        current_user.is_authenticated
        and current_user.kind == UserKind.STOREFRONT
        and current_user.tenant_id == g.tenant.id
    )


def viewer_price_list_id() -> int | None:
    """The prices a visitor sees: a customer's account's price list; anyone else the tenant's
    default price list (issue 13)."""
    if is_customer():
        return current_user.account.price_list_id  # read with the user (webapp.auth)
    return g.tenant.default_price_list_id


@bp.context_processor
def _basket_counter():
    # one query per page, only for signed-in customers
    def basket_count() -> int:
        if not is_customer():
            return 0
        memo = request_memo()
        if "basket_count" not in memo:  # a view that just changed the basket may have set it
            loaded = memo.get("basket_count_loaded")  # read with the user (webapp.auth)
            if loaded is not None and loaded[1] == writes_begun():
                memo["basket_count"] = loaded[0]
            else:
                memo["basket_count"] = basket_service.basket_count(db.session, current_user.id)
        return memo["basket_count"]

    return {"basket_count": basket_count, "is_customer": is_customer}


CATALOGUE_PAGE_SIZE = 48


@bp.app_template_global()
def product_cards(views) -> Markup:
    """The catalogue's cards (storefront/catalogue/_card.html), one a line; each rendered once
    per card's values (issue 19): a card is the same for every visitor, on whatever page. A
    page of the catalogue (``CataloguePage``) is kept whole too, by every value its cards
    show (issue 19, seventh pass): read again as it was, it builds and looks up no card."""
    if type(views) is catalogue.CataloguePage:
        key = views.key
        if key is not None:
            return memo_fragment(_CARDS, key, page=views)
    return Markup("\n".join([memo_fragment(_CARD, _card_key(view), view=view) for view in views]))


_CARD = "storefront/catalogue/_card.html"
_CARDS = "storefront/catalogue/_cards.html"  # product_cards of a page's cards


def _card_key(view) -> tuple | None:
    """Every value the card shows: the product (a frozen dataclass), its execution type, its
    "from" price (as written: 10.5 and 10.50 are equal Decimals), its cycle and its components;
    None (not kept) for anything but a ProductCard (the template preview's stand-ins)."""
    if type(view) is not catalogue.ProductCard:
        return None
    components = tuple(
        (c.product_id, c.name, c.quantity, c.execution_type) for c in view.components
    )
    price = None if view.from_price is None else str(view.from_price)
    return (view.product, view.execution_type, price, view.from_cycle, components)


@bp.route("/")
@lean_user
def home():
    """The catalogue: the products on sale with their price from the visitor's price list;
    search by name or code (``q``) and filter by product type (``type``)."""
    price_list_id = viewer_price_list_id()
    page_number = max(1, min(request.args.get("page", 1, type=int) or 1, 100_000))
    text = request.args.get("q", "")[:200].strip()
    product_type_id = request.args.get("type", type=int)
    if product_type_id is not None and not 0 < product_type_id < 2**63:
        product_type_id = None
    # the page and the product types of the filter in one statement (issue 19)
    products, product_types = catalogue.storefront_catalogue(
        db.session,
        g.tenant.id,
        price_list_id,
        offset=(page_number - 1) * CATALOGUE_PAGE_SIZE,
        limit=CATALOGUE_PAGE_SIZE + 1,  # one more tells whether a next page exists
        text=text,
        product_type_id=product_type_id,
    )
    search = {k: v for k, v in (("q", text), ("type", product_type_id)) if v}
    share_page()  # the same for every visitor not signed in (webapp/page_cache.py)
    return page(
        "storefront/catalogue/list.html",
        products=products[:CATALOGUE_PAGE_SIZE],
        page_number=page_number,
        has_next=len(products) > CATALOGUE_PAGE_SIZE,
        product_types=product_types,
        search=search,
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    return login_view(
        UserKind.STOREFRONT,
        "storefront/login.html",
        url_for("storefront.home"),
        g.tenant.id,
        # issue 14: users who turned two-factor sign-in on give a code next
        second_factor_endpoint="storefront.login_second_factor",
    )


@bp.post("/logout")
def logout():
    return logout_view("storefront.login")


@bp.route("/status-colors.css")
def status_colors():
    """Configured status colours as classes, so templates need no inline styles (CSP)."""
    from flask import make_response

    from core.services.statuses import status_colors as colors_of
    from core.services.statuses import status_colors_version

    tenant_id = current_user.tenant_id if current_user.is_authenticated else g.tenant.id
    colors = colors_of(db.session, tenant_id)
    css = "\n".join(f".status-color-{c[1:].lower()} {{ background-color: {c}; }}" for c in colors)
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    # revalidated on every page (a 304 while nothing changed): a colour saved in Setup shows
    # on the next page at once, not after a cache lifetime
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(status_colors_version(colors))
    return response.make_conditional(request)
