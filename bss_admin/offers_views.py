"""BSS offers (PRODUCT.md 6.5): list with filters, create, Edit (status by hand), items,
print-out, CSV export, and conversion of an Accepted offer to an order."""

from __future__ import annotations

from flask import Response, abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.offer_forms import OfferFilterForm, OfferForm, OfferItemForm, OfferItemUpdateForm
from bss_admin.orders_views import pick_form_account
from core import texts
from core.services import invoicing, offers, orders
from core.services.errors import Conflict, NotFound, ValidationFailed
from webapp.auth import bss_required, signed_in_user
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.web import page, see_other


def _offer_or_404(offer_id: int):
    try:
        return offers.get_offer(db.session, g.tenant_id, offer_id)
    except NotFound:
        abort(404)


# --- list ------------------------------------------------------------------------------------


@bp.route("/offers")
@bss_required()
def offers_list():
    form = OfferFilterForm(request.args)
    form.validate()
    statuses, _default = offers.statuses_for(db.session, g.tenant_id)
    form.status.choices = [("", "Any")] + [(s.id, s.description) for s in statuses]
    # over ACCOUNT_CHOICES accounts, the chosen one only: found by name in the search box
    accounts, many_accounts = orders.account_choices(db.session, g.tenant_id, form.account.data)
    form.account.choices = [("", "Any")] + accounts
    filters = offers.OfferFilters(
        status_id=form.status.data,
        account_id=form.account.data,
        text=form.q.data or "",
        converted=form.converted_value(),
        page=form.page_number(),
    )
    result = offers.list_offers(db.session, g.tenant_id, filters)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return page(
        "bss_admin/offers/list.html",
        block="offers_table",
        form=form,
        many_accounts=many_accounts,
        result=result,
        next_url=url_for("bss_admin.offers_list", **args, page=result.page + 1)
        if result.has_next
        else None,
        previous_url=url_for("bss_admin.offers_list", **args, page=result.page - 1)
        if result.page > 1
        else None,
    )


# --- create and edit -------------------------------------------------------------------------


def _status_choices(form: OfferForm, current=None):
    statuses, default = offers.statuses_for(db.session, g.tenant_id, current)
    form.status_id.choices = [(s.id, s.description) for s in statuses]
    return default


@bp.route("/offers/new", methods=["GET", "POST"])
@bss_required()
def offer_new():
    form = OfferForm()
    default = _status_choices(form)
    if request.method == "GET":
        form.status_id.data = default.id if default else None
        form.account_id.data = request.args.get("account_id", type=int)
    pick = pick_form_account(form, "— choose —")
    errors: dict[str, list[str]] = {"account_search": [pick.error]} if pick.error else {}
    if not errors and form.validate_on_submit():
        try:
            offer = offers.create_offer(
                db.session,
                g.tenant_id,
                signed_in_user(),
                account_id=form.account_id.data or 0,
                name=form.name.data,
                status_id=form.status_id.data,
                valid_until=form.valid_until.data,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.OFFER_CREATED.format(number=offer.number), "success")
            return see_other(url_for("bss_admin.offer_detail", offer_id=offer.id))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    return page(
        "bss_admin/offers/new.html",
        block="offer_form",
        status=status,
        form=form,
        errors=errors,
        many_accounts=pick.many,
    )


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@bss_required()
def offer_edit(offer_id: int):
    offer = _offer_or_404(offer_id)
    form = OfferForm(obj=offer)
    _status_choices(form, offer.status)
    errors: dict[str, list[str]] = {}
    error_message = None
    if form.validate_on_submit():
        try:
            offers.update_offer(
                db.session,
                g.tenant_id,
                signed_in_user(),
                offer_id,
                name=form.name.data,
                status_id=form.status_id.data or 0,
                valid_until=form.valid_until.data,
            )
        except ValidationFailed as error:
            errors = error.errors
        except Conflict as error:
            error_message = error.message
        except NotFound:
            abort(404)
        else:
            flash(texts.OFFER_SAVED, "success")
            return see_other(url_for("bss_admin.offer_detail", offer_id=offer_id))
    status = 200
    if form.is_submitted() and (errors or form.errors):
        status = 422
    elif error_message:
        status = 409
    return page(
        "bss_admin/offers/edit.html",
        block="offer_form",
        status=status,
        form=form,
        offer=offer,
        errors=errors,
        error_message=error_message,
    )


# --- the offer page and its items ------------------------------------------------------------


def _offer_page(offer_id: int, *, status: int = 200, block: str | None = None, **extra):
    db.session.expire_all()
    offer = _offer_or_404(offer_id)
    add_form = extra.pop("add_form", None) or OfferItemForm(formdata=None)
    # the choices only while items may be added (a converted offer is read-only); beyond
    # picking.LIMIT plans, those the typed name matches (and the chosen one)
    pick = (
        None
        if offer.converted_order_id
        else offers.plan_pick(
            db.session,
            g.tenant_id,
            add_form.plan_id.data,
            add_form.plan_search.data,
            submitted=False,
        )
    )
    add_form.plan_id.choices = [("", "— choose —")] + (pick.choices if pick else [])
    return page(
        "bss_admin/offers/detail.html",
        block=block,
        status=status,
        offer=offer,
        total=offers.offer_total(offer),
        history=offers.offer_history(db.session, offer),
        add_form=add_form,
        many_plans=bool(pick and pick.many),
        item_errors=extra.pop("item_errors", {}),
        add_errors=extra.pop("add_errors", {}),
        error_message=extra.pop("error_message", None),
        **extra,
    )


@bp.route("/offers/<int:offer_id>")
@bss_required()
def offer_detail(offer_id: int):
    return _offer_page(offer_id)


@bp.post("/offers/<int:offer_id>/items")
@bss_required()
def offer_add_item(offer_id: int):
    form = OfferItemForm()
    try:
        offers.add_item(
            db.session,
            g.tenant_id,
            signed_in_user(),
            offer_id,
            plan_id=form.plan_id.data,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            plan_search=form.plan_search.data,
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return _offer_page(
            offer_id, status=422, block="offer_items", add_form=form, add_errors=error.errors
        )
    except Conflict as error:
        return _offer_page(offer_id, status=409, block="offer_items", error_message=error.message)
    flash(texts.OFFER_ITEM_ADDED, "success")
    return see_other(url_for("bss_admin.offer_detail", offer_id=offer_id))


@bp.post("/offers/<int:offer_id>/items/<int:item_id>")
@bss_required()
def offer_update_item(offer_id: int, item_id: int):
    form = OfferItemUpdateForm()
    try:
        offers.update_item(
            db.session,
            g.tenant_id,
            signed_in_user(),
            offer_id,
            item_id,
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return _offer_page(
            offer_id, status=422, block="offer_items", item_errors={item_id: error.errors}
        )
    except Conflict as error:
        return _offer_page(offer_id, status=409, block="offer_items", error_message=error.message)
    flash(texts.OFFER_ITEM_SAVED, "success")
    return see_other(url_for("bss_admin.offer_detail", offer_id=offer_id))


@bp.post("/offers/<int:offer_id>/items/<int:item_id>/delete")
@bss_required()
def offer_remove_item(offer_id: int, item_id: int):
    try:
        offers.remove_item(db.session, g.tenant_id, signed_in_user(), offer_id, item_id)
    except NotFound:
        abort(404)
    except Conflict as error:
        return _offer_page(offer_id, status=409, block="offer_items", error_message=error.message)
    flash(texts.OFFER_ITEM_REMOVED, "success")
    return see_other(url_for("bss_admin.offer_detail", offer_id=offer_id))


@bp.route("/offers/<int:offer_id>/delete/confirm")
@bss_required()
def offer_delete_confirm(offer_id: int):
    """Delete offer asks first (a page without JavaScript, a dialog with htmx): it cannot be
    undone. A converted offer cannot be deleted: its order refers to it."""
    offer = _offer_or_404(offer_id)
    if offer.converted_order_id:
        return _offer_page(offer_id, status=409, error_message=texts.OFFER_CONVERTED_NOT_DELETED)
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_DELETE_OFFER_TITLE.format(number=offer.number),
            message=texts.CONFIRM_DELETE_OFFER_BODY,
            yes_label=texts.CONFIRM_DELETE_OFFER_YES,
            action_url=url_for("bss_admin.offer_delete", offer_id=offer_id),
            back_url=url_for("bss_admin.offer_detail", offer_id=offer_id),
            back_label=texts.CONFIRM_KEEP_OFFER,
            lines=(texts.CONFIRM_DELETE_OFFER_ITEMS.format(count=len(offer.items)),),
        ),
    )


@bp.post("/offers/<int:offer_id>/delete")
@bss_required()
def offer_delete(offer_id: int):
    try:
        number = offers.delete_offer(db.session, g.tenant_id, signed_in_user(), offer_id)
    except NotFound:
        abort(404)
    except Conflict as error:
        return _offer_page(offer_id, status=409, error_message=error.message)
    flash(texts.OFFER_DELETED.format(number=number), "success")
    return see_other(url_for("bss_admin.offers_list"))


@bp.post("/offers/<int:offer_id>/convert")
@bss_required()
def offer_convert(offer_id: int):
    try:
        order = offers.convert_offer(db.session, g.tenant_id, signed_in_user(), offer_id)
    except NotFound:
        abort(404)
    except Conflict as error:
        return _offer_page(offer_id, status=409, error_message=error.message)
    flash(texts.OFFER_CONVERTED.format(order=order.number), "success")
    return see_other(url_for("bss_admin.order_detail", order_id=order.id))


# --- print-out and export --------------------------------------------------------------------


@bp.route("/offers/<int:offer_id>/print")
@bss_required()
def offer_print(offer_id: int):
    offer = _offer_or_404(offer_id)
    return page(
        "bss_admin/offers/print.html",
        offer=offer,
        total=offers.offer_total(offer),
        tax=invoicing.offer_tax(db.session, offer, offer.account),
        seller=offers.offer_seller(db.session, g.tenant_id),
    )


@bp.route("/offers/<int:offer_id>/export.csv")
@bss_required()
def offer_export_csv(offer_id: int):
    offer = _offer_or_404(offer_id)
    body = offers.offer_csv(
        offer, offer.account, invoicing.offer_tax(db.session, offer, offer.account)
    )
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{offer.number}.csv"'},
    )
