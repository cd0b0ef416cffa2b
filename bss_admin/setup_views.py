"""BSS Setup (admin only): product types, order/offer status tables, Use of API Options."""

from __future__ import annotations

from flask import abort, flash, g, make_response, render_template, url_for

from bss_admin import bp
from bss_admin.forms import (
    ApiOptionsForm,
    NewOrderStatusForm,
    OfferStatusForm,
    OrderStatusForm,
    ProductTypeForm,
)
from core import texts
from core.rules import provisioning as provisioning_rules
from core.services import setup
from core.services import statuses as status_service
from core.services.errors import NotFound, ValidationFailed
from webapp import tasks
from webapp.auth import admin_required, signed_in_user
from webapp.extensions import db
from webapp.web import is_htmx, page, render_block, see_other

# --- product types ---------------------------------------------------------------------------


@bp.route("/setup/product-types")
@admin_required
def product_types():
    return page(
        "bss_admin/setup/product_types.html",
        product_types=setup.list_product_types(db.session, g.tenant_id),
        connector_labels=dict(tasks.connectors().choices),
    )


@bp.route("/setup/product-types/new", methods=["GET", "POST"])
@bp.route("/setup/product-types/<int:product_type_id>", methods=["GET", "POST"])
@admin_required
def product_type(product_type_id: int | None = None):
    existing = None
    if product_type_id is not None:
        try:
            existing = setup.get_product_type(db.session, g.tenant_id, product_type_id)
        except NotFound:
            abort(404)
    form = ProductTypeForm(obj=existing)
    registry = tasks.connectors()
    form.connector.choices = registry.choices
    if existing is not None and existing.connector and existing.connector not in registry.names:
        label = texts.CONNECTOR_NOT_INSTALLED.format(name=existing.connector)
        form.connector.choices.append((existing.connector, label))
    if not form.is_submitted():
        form.connector.data = provisioning_rules.connector_for(existing and existing.connector)
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            setup.save_product_type(
                db.session,
                g.tenant_id,
                signed_in_user(),
                product_type_id=product_type_id,
                name=form.name.data,
                is_asset=bool(form.is_asset.data),
                non_automatic_execution=bool(form.non_automatic_execution.data),
                connector=form.connector.data or provisioning_rules.MANUAL,
                connectors=registry.names,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.PRODUCT_TYPE_SAVED, "success")
            return see_other(url_for("bss_admin.product_types"))
    submitted = form.is_submitted()
    status = 422 if submitted and (errors or form.errors) else 200
    return page(
        "bss_admin/setup/product_type.html",
        block="product_type_form",
        status=status,
        form=form,
        product_type=existing,
        errors=errors,
    )


# --- status tables ---------------------------------------------------------------------------

_TABLES = {
    "order": {
        "form": OrderStatusForm,
        "new_form": NewOrderStatusForm,  # its Type picker offers no Scheduled or Executing
        "load": status_service.order_statuses,
        "add": setup.add_order_status,
        "update": setup.update_order_status,
        "delete": setup.delete_order_status,
        "endpoint": "bss_admin.order_statuses",
        "title": "Order Status",
    },
    "offer": {
        "form": OfferStatusForm,
        "load": status_service.offer_statuses,
        "add": setup.add_offer_status,
        "update": setup.update_offer_status,
        "delete": setup.delete_offer_status,
        "endpoint": "bss_admin.offer_statuses",
        "title": "Offer Status",
    },
}


def _status_page(kind: str, *, errors=None, status=200, row_values=None, new_form=None):
    table = _TABLES[kind]
    rows = [s for s in table["load"](db.session, g.tenant_id) if s.deleted_at is None]
    return page(
        "bss_admin/setup/statuses.html",
        block="status_table",
        status=status,
        kind=kind,
        title=table["title"],
        statuses=rows,
        errors=errors or {},
        row_values=row_values or {},
        new_form=new_form or table.get("new_form", table["form"])(formdata=None),
        row_form=table["form"],
    )


def _input_from(form) -> setup.StatusInput:
    return setup.StatusInput(
        number=form.number.data,
        description=form.description.data or "",
        type=form.type.data,
        storefront_type=getattr(form, "storefront_type", None) and form.storefront_type.data,
        color=form.color.data or "",
        active=bool(form.active.data),
    )


def _row_html(kind: str, status_id: int, *, form=None, errors=None, saved=False) -> str:
    table = _TABLES[kind]
    live = table["load"](db.session, g.tenant_id)
    row = next((s for s in live if s.id == status_id and s.deleted_at is None), None)
    if row is None:
        abort(404)
    key = str(status_id)
    messages = list((errors or {}).get(key, [])) + list((errors or {}).get("", []))
    colors = status_service.status_colors(db.session, g.tenant_id) if saved else []
    return render_template(
        "bss_admin/setup/_status_row.html",
        kind=kind,
        status=row,
        errors={key: messages} if messages else {},
        row_values={key: form} if form is not None else {},
        row_form=table["form"],
        saved=status_id if saved else None,
        colors_version=status_service.status_colors_version(colors),
    )


def _new_row_html(kind: str, *, form=None, errors=None) -> str:
    messages = list((errors or {}).get("new", [])) + list((errors or {}).get("", []))
    return render_block(
        "bss_admin/setup/statuses.html",
        "new_status_row",
        kind=kind,
        errors={"new": messages} if messages else {},
        new_form=form or _TABLES[kind].get("new_form", _TABLES[kind]["form"])(formdata=None),
    )


def _rows_response(body: str, status: int = 200):
    """Rows alone, for htmx: the other rows (and their unsaved edits) stay as they are."""
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def _status_post(kind: str, status_id: int | None, action: str):
    table = _TABLES[kind]
    if status_id is None:
        form = table.get("new_form", table["form"])()
    elif kind == "order":  # the row's picker offers its own Type, even a system-only one
        rows = table["load"](db.session, g.tenant_id)
        current = next((s.type for s in rows if s.id == status_id), None)
        form = table["form"](current_type=current)
    else:
        form = table["form"]()
    key = str(status_id) if status_id is not None else "new"
    alone = is_htmx()  # htmx swaps only the row concerned

    def refused(errors):
        if alone and status_id is None:
            return _rows_response(_new_row_html(kind, form=form, errors=errors), 422)
        if alone:
            row_form = form if action != "delete" else None
            return _rows_response(_row_html(kind, status_id, form=row_form, errors=errors), 422)
        return _status_page(
            kind,
            errors=errors,
            status=422,
            row_values={key: form} if status_id is not None and action != "delete" else {},
            new_form=form if status_id is None else None,
        )

    if action != "delete" and not form.validate():
        return refused({key: _form_messages(form)})
    try:
        if action == "delete":
            table["delete"](db.session, g.tenant_id, signed_in_user(), status_id)
            message = texts.STATUS_DELETED
        elif status_id is None:
            added = table["add"](db.session, g.tenant_id, signed_in_user(), _input_from(form))
            message = texts.STATUS_ADDED
        else:
            table["update"](db.session, g.tenant_id, signed_in_user(), status_id, _input_from(form))
            message = texts.STATUS_SAVED
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return refused(error.errors)
    if alone and action == "delete":
        return _rows_response("")  # htmx removes the row
    if alone and status_id is None:  # the new status's row, then an empty row to add another
        return _rows_response(_row_html(kind, added.id, saved=True) + _new_row_html(kind))
    if alone:
        return _rows_response(_row_html(kind, status_id, saved=True))
    flash(message, "success")
    return see_other(url_for(table["endpoint"]))


def _form_messages(form) -> list[str]:
    return [m for field_errors in form.errors.values() for m in field_errors]


@bp.route("/setup/order-statuses")
@admin_required
def order_statuses():
    return _status_page("order")


@bp.post("/setup/order-statuses")
@admin_required
def add_order_status():
    return _status_post("order", None, "add")


@bp.post("/setup/order-statuses/<int:status_id>")
@admin_required
def update_order_status(status_id: int):
    return _status_post("order", status_id, "update")


@bp.post("/setup/order-statuses/<int:status_id>/delete")
@admin_required
def delete_order_status(status_id: int):
    return _status_post("order", status_id, "delete")


@bp.route("/setup/offer-statuses")
@admin_required
def offer_statuses():
    return _status_page("offer")


@bp.post("/setup/offer-statuses")
@admin_required
def add_offer_status():
    return _status_post("offer", None, "add")


@bp.post("/setup/offer-statuses/<int:status_id>")
@admin_required
def update_offer_status(status_id: int):
    return _status_post("offer", status_id, "update")


@bp.post("/setup/offer-statuses/<int:status_id>/delete")
@admin_required
def delete_offer_status(status_id: int):
    return _status_post("offer", status_id, "delete")


# --- Use of API Options ----------------------------------------------------------------------


@bp.route("/setup/api-options", methods=["GET", "POST"])
@admin_required
def api_options():
    options = setup.get_api_options(db.session, g.tenant_id)
    users = setup.bss_users(db.session, g.tenant_id)
    form = ApiOptionsForm(
        data={
            "responsible_user_id": str(options.responsible_user_id or ""),
            "sharing_rule": options.sharing_rule,
        }
    )
    form.responsible_user_id.choices = [("", "— nobody —")] + [(str(u.id), u.name) for u in users]
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        raw = form.responsible_user_id.data
        try:
            setup.save_api_options(
                db.session,
                g.tenant_id,
                signed_in_user(),
                responsible_user_id=int(raw) if raw else None,
                sharing_rule=form.sharing_rule.data,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.API_OPTIONS_SAVED, "success")
            return see_other(url_for("bss_admin.api_options"))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    return page(
        "bss_admin/setup/api_options.html",
        block="api_options_form",
        status=status,
        form=form,
        errors=errors,
    )
