"""Catalogue product page and basket (PRODUCT.md 5.1-5.3): htmx partials, and the same through
plain form posts and 303 redirects without JavaScript."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for
from flask_login import current_user

from core import texts
from core.db import utcnow
from core.rules import basket as basket_rules
from core.rules.basket import MixedExecutionTypes
from core.rules.scheduling import local_today
from core.services import basket as basket_service
from core.services import catalogue
from core.services.errors import ServiceError
from storefront import bp
from storefront.forms import AddToBasketForm, QuantityForm, RemoveDeliveryForm
from storefront.views import is_customer, viewer_price_list_id
from webapp.auth import customer_required, lean_user
from webapp.extensions import db
from webapp.filters import money, priced
from webapp.page_cache import share_page
from webapp.web import cached_url_for, is_htmx, page, request_memo, safe_local_url, see_other


def _customer():
    """The signed-in customer as the basket's use cases read it (its ``id`` and
    ``account_id``): the views of this module are :func:`lean_user` views."""
    return current_user._get_current_object()


def tenant_today():
    """Today in the Storefront's tenant's time zone: the day promotions are read on."""
    return local_today(utcnow(), getattr(g.tenant, "timezone", None))


def _product_view(product_id: int, form_only: bool = False):
    price_list_id = viewer_price_list_id()
    try:
        return catalogue.product_detail(
            db.session, g.tenant.id, product_id, price_list_id, tenant_today(), form_only=form_only
        )
    except ServiceError:
        abort(404)


def _add_form(view, form: AddToBasketForm | None = None) -> AddToBasketForm:
    form = form or AddToBasketForm()
    form.plan_id.choices = [(str(p.plan.id), _plan_label(p, view.unit)) for p in view.plans]
    if not form.back.data:
        form.back.data = _product_url(view.product.id)
    return form


def _product_url(product_id: int) -> str:
    # memoised as the templates' url_for is (an add builds it twice: ~15 us each otherwise)
    return cached_url_for("storefront.product", product_id=product_id)


def _plan_label(priced_plan, unit: str) -> str:
    if priced_plan.price is None:
        return f"{priced_plan.plan.name} — —"
    plan = priced_plan.plan
    return f"{plan.name} — {priced(priced_plan.price, plan.billing_cycle, unit)}"


@bp.route("/products/<int:product_id>")
@lean_user
def product(product_id: int):
    view = _product_view(product_id)
    # the form shows to a customer only (a visitor sees "sign in to buy"): not built for a
    # visitor (WTForms' fields and the plans' labels, ~6 % of the anonymous page's CPU)
    form = _add_form(view) if is_customer() else None
    share_page()  # the same for every visitor not signed in (webapp/page_cache.py)
    return page("storefront/catalogue/product.html", view=view, form=form, errors={})


@bp.post("/products/<int:product_id>/add")
@lean_user
@customer_required
def basket_add(product_id: int):
    form = AddToBasketForm()
    back = safe_local_url(form.back.data, _product_url(product_id))
    if not form.validate_on_submit():
        abort(400)
    # the service reads the product (and its add-ons) inside its transaction and answers with
    # the form's view of that same product, so the product is read once
    addons = {
        int(name[6:]): value
        for name, value in request.form.items()
        if name.startswith("addon_") and name[6:].isascii() and name[6:].isdigit()
    }
    try:
        added = basket_service.add_product(
            db.session,
            g.tenant.id,
            _customer(),
            product_id,
            form.plan_id.data,
            form.quantity.data,
            trial=form.trial.data,
            addons=addons,
            price_list_id=current_user.account.price_list_id,
        )
    except MixedExecutionTypes as mixed:
        return see_other(url_for("storefront.basket_mixed", case=mixed.case, back=back))
    except ServiceError as error:
        # 404 if the product is gone; without htmx the whole page shows, with its prices
        view = _product_view(product_id, form_only=is_htmx())
        return page(
            "storefront/catalogue/product.html",
            block="add_form",
            status=error.http_status,
            view=view,
            form=_add_form(view, form),
            error=error.message,
            errors=error.errors,
            oob=False,
        )
    if is_htmx():
        request_memo()["basket_count"] = added.basket_count  # no query for the header counter
        view = added.view
        form.quantity.data = "1"
        return page(
            "storefront/catalogue/product.html",
            block="add_form",
            view=view,
            form=_add_form(view, form),
            errors={},
            added=True,
            merged_quantity=added.item.quantity if added.merged else None,
            basket_manual=added.basket_manual,
            oob=True,
        )
    if added.merged:
        flash(texts.BASKET_QUANTITY_RAISED.format(quantity=added.item.quantity), "success")
    else:
        flash(texts.ADDED_TO_BASKET, "success")
    return see_other(url_for("storefront.basket"))


@bp.route("/basket/mixed")
@lean_user
@customer_required
def basket_mixed():
    case = request.args.get("case")
    if case not in basket_rules.CASES:
        abort(404)
    back = safe_local_url(request.args.get("back"), url_for("storefront.home"))
    return page(
        "storefront/basket/mixed.html",
        message=basket_rules.mixed_basket_message(case),
        back=back,
    )


def _basket_page(
    status: int = 200,
    errors: dict | None = None,
    error_item: int | None = None,
    announce=None,
    typed: dict | None = None,
):
    """The basket page (its #basket block for htmx). ``announce(view)`` gives the sentence the
    live region reads out after a change; ``typed``: item id -> the refused quantity, kept in
    its field beside its message."""
    view = basket_service.load_basket(
        db.session, g.tenant.id, _customer(), current_user.account, today=tenant_today()
    )
    request_memo()["basket_count"] = view.count  # no query for the header counter
    return page(
        "storefront/basket/basket.html",
        block="basket",
        status=status,
        view=view,
        errors=errors or {},
        error_item=error_item,
        typed=typed or {},
        oob=is_htmx(),
        announcement=announce(view) if announce else None,
    )


def _announce_removed(view) -> str:
    if view.empty:
        return texts.BASKET_NOW_EMPTY_ANNOUNCEMENT
    return texts.BASKET_LINE_REMOVED_ANNOUNCEMENT.format(count=view.count, total=money(view.total))


def _announce_updated(view) -> str:
    return texts.BASKET_QUANTITY_ANNOUNCEMENT.format(total=money(view.total))


@bp.route("/basket")
@lean_user
@customer_required
def basket():
    return _basket_page()


@bp.post("/basket/items/<int:item_id>/quantity")
@lean_user
@customer_required
def basket_quantity(item_id: int):
    form = QuantityForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        basket_service.change_quantity(
            db.session, g.tenant.id, _customer(), item_id, form.quantity.data
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        return _basket_page(
            error.http_status,
            {item_id: [error.message]},
            item_id,
            typed={item_id: form.quantity.data or ""},
        )
    if is_htmx():
        return _basket_page(announce=_announce_updated)
    flash(texts.BASKET_UPDATED, "success")
    return see_other(url_for("storefront.basket"))


@bp.post("/basket/items/<int:item_id>/remove")
@lean_user
@customer_required
def basket_remove(item_id: int):
    if not QuantityForm().validate_on_submit():
        abort(400)
    try:
        basket_service.remove_item(db.session, g.tenant.id, _customer(), item_id)
    except ServiceError:
        abort(404)
    if is_htmx():
        return _basket_page(announce=_announce_removed)
    flash(texts.BASKET_ITEM_REMOVED, "success")
    return see_other(url_for("storefront.basket"))


@bp.post("/basket/remove-delivery")
@lean_user
@customer_required
def basket_remove_delivery():
    """A basket made mixed by a Setup change: remove every line of one delivery method."""
    form = RemoveDeliveryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        removed = basket_service.remove_lines_by_delivery(
            db.session, g.tenant.id, _customer(), form.execution_type.data
        )
    except ServiceError as error:
        abort(400, description=error.message)
    if is_htmx():
        return _basket_page(announce=_announce_removed)
    flash(texts.BASKET_KIND_REMOVED.format(count=removed), "success")
    return see_other(url_for("storefront.basket"))
