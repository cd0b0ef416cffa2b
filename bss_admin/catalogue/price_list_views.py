"""Price lists (issue 15, part C): list, create, rename and currency, and the bulk price edit
of a price list (one table a page of products, saved at once or refused row by row)."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.catalogue.forms import PriceFilterForm, PriceListForm, PricesForm
from bss_admin.catalogue.views import catalogue_required
from core import texts
from core.services import price_lists
from core.services.catalogue_admin import history
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


@bp.route("/catalogue/price-lists")
@catalogue_required
def catalogue_price_lists():
    return page(
        "bss_admin/catalogue/price_lists.html",
        price_lists=price_lists.list_price_lists(db.session, g.tenant_id),
    )


@bp.route("/catalogue/price-lists/new", methods=["GET", "POST"])
@bp.route("/catalogue/price-lists/<int:price_list_id>", methods=["GET", "POST"])
@catalogue_required
def catalogue_price_list(price_list_id: int | None = None):
    existing = None
    if price_list_id is not None:
        try:
            existing = price_lists.get_price_list(db.session, g.tenant_id, price_list_id)
        except NotFound:
            abort(404)
    form = PriceListForm(obj=existing)
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            saved = price_lists.save_price_list(
                db.session,
                g.tenant_id,
                signed_in_user(),
                name=form.name.data or "",
                currency=form.currency.data or "",
                price_list_id=price_list_id,
                is_default=bool(form.is_default.data),
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            message = texts.PRICE_LIST_SAVED if existing else texts.PRICE_LIST_CREATED
            flash(message.format(name=saved.name), "success")
            return see_other(url_for("bss_admin.catalogue_price_list", price_list_id=saved.id))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    changes = (
        history(db.session, g.tenant_id, price_lists.AUDIT_ENTITY, price_list_id)
        if existing is not None
        else []
    )
    return page(
        "bss_admin/catalogue/price_list.html",
        block="price_list_form",
        status=status,
        form=form,
        price_list=existing,
        errors=errors,
        history=changes,
    )


@bp.route("/catalogue/price-lists/<int:price_list_id>/prices", methods=["GET", "POST"])
@catalogue_required
def catalogue_prices(price_list_id: int):
    filters = PriceFilterForm(request.args)
    text, after = (filters.q.data or "")[:200], filters.after.data or None
    form = PricesForm()
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    if form.validate_on_submit():
        typed = {
            name: value
            for name, value in request.form.items()
            if name.startswith(("plan-", "addon-"))
        }
        try:
            count = price_lists.save_prices(
                db.session, g.tenant_id, signed_in_user(), price_list_id, typed
            )
        except NotFound:
            abort(404)
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.PRICES_SAVED.format(count=count) if count else texts.PRICES_UNCHANGED,
                  "success")  # fmt: skip
            return see_other(request.full_path.rstrip("?"))
    try:
        result = price_lists.price_page(
            db.session, g.tenant_id, price_list_id, text=text, after=after
        )
    except NotFound:
        abort(404)
    search = {"q": text} if text else {}
    return page(
        "bss_admin/catalogue/prices.html",
        block="prices_table",
        status=422 if errors else 200,
        form=form,
        filters=filters,
        result=result,
        typed=typed,
        errors=errors,
        refused=texts.PRICES_REFUSED.format(count=len(errors)) if errors else None,
        action=url_for(
            "bss_admin.catalogue_prices",
            price_list_id=price_list_id,
            **search,
            **({"after": after} if after else {}),
        ),  # fmt: skip
        next_url=url_for(
            "bss_admin.catalogue_prices",
            price_list_id=price_list_id,
            **search,
            after=result.next_cursor,
        )
        if result.next_cursor
        else None,
        first_url=url_for("bss_admin.catalogue_prices", price_list_id=price_list_id, **search)
        if after
        else None,
    )
