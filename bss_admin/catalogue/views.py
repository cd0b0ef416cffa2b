"""Catalogue back office views (issue 15): product list, create, edit, retire.

Views parse the request, call core.services.catalogue_admin and render; every view is gated
by ``can_manage_catalogue`` through :func:`catalogue_required`."""

from __future__ import annotations

from functools import wraps

from flask import abort, flash, g, request, url_for
from flask_login import current_user

from bss_admin import bp
from bss_admin.catalogue.forms import (
    ComponentForm,
    ProductFilterForm,
    ProductForm,
    RemoveForm,
    RetireForm,
    UpgradeTargetForm,
    trial_days_typed,
)
from core import texts
from core.rules import roles
from core.rules.catalogue import BILLING_CYCLE_LABELS, ProductInput, trial_days_for
from core.rules.permissions import can_manage_catalogue
from core.services import bundles, catalogue_admin, plans
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import bss_required, signed_in_user
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.web import page, see_other


def catalogue_required(view):
    """BSS users whose role may manage the catalogue; everyone else gets 403."""

    @wraps(view)
    def gated(*args, **kwargs):
        if not can_manage_catalogue(current_user.role):
            abort(403)
        return view(*args, **kwargs)

    return bss_required(*roles.roles_with(roles.CATALOGUE))(gated)


@bp.app_context_processor
def _catalogue_menu():
    # the BSS layout shows the Catalogue entry to the roles that may use it
    return {"can_manage_catalogue": can_manage_catalogue}


# --- products ----------------------------------------------------------------------------------


@bp.route("/catalogue/products")
@catalogue_required
def catalogue_products():
    form = ProductFilterForm(request.args)
    filters = catalogue_admin.ProductFilters(
        text=(form.q.data or "")[:200],
        product_type_id=form.product_type.data,
        status=form.status.data or None,
        after=form.after.data or None,
    )
    result = catalogue_admin.list_products(db.session, g.tenant_id, filters)
    form.product_type.choices = [("", "Any")] + result.product_types
    next_args = {k: v for k, v in request.args.items() if k != "after" and v}
    return page(
        "bss_admin/catalogue/products.html",
        block="products_table",
        form=form,
        result=result,
        next_url=url_for("bss_admin.catalogue_products", **next_args, after=result.next_cursor)
        if result.next_cursor
        else None,
        first_url=url_for("bss_admin.catalogue_products", **next_args) if filters.after else None,
    )


def _product_input(form: ProductForm) -> ProductInput:
    return ProductInput(
        code=form.code.data or "",
        name=form.name.data or "",
        description=form.description.data or "",
        product_type_id=form.product_type_id.data,
        billing_kind=form.billing_kind.data or "",
        published=bool(form.published.data),
        unit=form.unit.data or "",
        trial_days=trial_days_typed(form.trial_days.data),
    )


@bp.route("/catalogue/products/new", methods=["GET", "POST"])
@bp.route("/catalogue/products/<int:product_id>", methods=["GET", "POST"])
@catalogue_required
def catalogue_product(product_id: int | None = None):
    existing = None
    if product_id is not None:
        try:
            existing = catalogue_admin.get_product(db.session, g.tenant_id, product_id)
        except NotFound:
            abort(404)
    form = ProductForm(obj=existing)
    form.product_type_id.choices = catalogue_admin.product_types(db.session, g.tenant_id)
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        try:
            saved = catalogue_admin.save_product(
                db.session,
                g.tenant_id,
                signed_in_user(),
                _product_input(form),
                product_id=product_id,
            )
        except ValidationFailed as error:
            errors = error.errors
        else:
            message = texts.CATALOGUE_PRODUCT_SAVED if existing else texts.CATALOGUE_PRODUCT_CREATED
            flash(message.format(code=saved.code), "success")
            return see_other(url_for("bss_admin.catalogue_product", product_id=saved.id))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    return product_page(product_id, existing=existing, form=form, errors=errors, status=status)


def product_page(
    product_id: int | None,
    *,
    existing=None,
    form: ProductForm | None = None,
    errors: dict | None = None,
    status: int = 200,
    link_errors: dict | None = None,
):
    """A product's page: its form, plans and add-ons with their prices, upgrade targets,
    bundle components with the derived execution type, and its history. ``link_errors``: the
    refusal of the upgrade-target or component form just posted (its values are kept)."""
    if existing is None and product_id is not None:
        try:
            existing = catalogue_admin.get_product(db.session, g.tenant_id, product_id)
        except NotFound:
            abort(404)
    if form is None:
        form = ProductForm(formdata=None, obj=existing)
        form.product_type_id.choices = catalogue_admin.product_types(db.session, g.tenant_id)
    link_errors = link_errors or {}
    history = (
        catalogue_admin.history(db.session, g.tenant_id, catalogue_admin.AUDIT_ENTITY, product_id)
        if existing is not None
        else []
    )
    links = (
        bundles.links(
            db.session, g.tenant_id, existing, existing.product_type.non_automatic_execution
        )
        if existing is not None
        else None
    )
    return page(
        "bss_admin/catalogue/product.html",
        block="product_form",
        status=status,
        form=form,
        product=existing,
        errors=errors or {},
        history=history,
        parts=plans.product_parts(db.session, g.tenant_id, product_id) if existing else None,
        cycle_labels=BILLING_CYCLE_LABELS,
        trial_days_for=trial_days_for,
        links=links,
        upgrade_form=UpgradeTargetForm(formdata=request.form if "upgrade" in link_errors else None),
        component_form=ComponentForm(formdata=request.form if "component" in link_errors else None),
        link_errors=link_errors,
        remove_form=RemoveForm(formdata=None),
    )


@bp.get("/catalogue/products/<int:product_id>/retire/confirm")
@catalogue_required
def catalogue_product_retire_confirm(product_id: int):
    """Retire asks first: there is no way back (a page without JavaScript, a dialog with
    htmx; its form posts to the action below)."""
    try:
        product = catalogue_admin.get_product(db.session, g.tenant_id, product_id)
    except NotFound:
        abort(404)
    back = url_for("bss_admin.catalogue_product", product_id=product_id)
    if not product.active:
        return see_other(back)  # already retired: nothing to confirm
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_RETIRE_PRODUCT_TITLE.format(code=product.code),
            message=texts.CONFIRM_RETIRE_PRODUCT_BODY.format(name=product.name),
            yes_label=texts.CONFIRM_RETIRE_PRODUCT_YES,
            action_url=url_for("bss_admin.catalogue_product_retire", product_id=product_id),
            back_url=back,
            back_label=texts.CONFIRM_KEEP_PRODUCT,
        ),
    )


@bp.post("/catalogue/products/<int:product_id>/retire")
@catalogue_required
def catalogue_product_retire(product_id: int):
    if not RetireForm().validate_on_submit():
        abort(400)
    try:
        product = catalogue_admin.retire_product(
            db.session, g.tenant_id, signed_in_user(), product_id
        )
    except NotFound:
        abort(404)
    flash(texts.CATALOGUE_PRODUCT_RETIRED.format(code=product.code), "success")
    return see_other(url_for("bss_admin.catalogue_product", product_id=product.id))
