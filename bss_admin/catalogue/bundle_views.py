"""Upgrade targets and bundle components of a product (issue 15, part B). Plain form posts
with 303s; the add-component form shows the bundle's execution type live through htmx (the
preview URL is a plain page too), and the product page shows it after every save."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.catalogue.forms import ComponentForm, RemoveForm, UpgradeTargetForm, whole_number
from bss_admin.catalogue.views import catalogue_required, product_page
from core import texts
from core.services import bundles
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


def _back(product_id: int):
    return see_other(url_for("bss_admin.catalogue_product", product_id=product_id))


@bp.post("/catalogue/products/<int:product_id>/upgrades")
@catalogue_required
def catalogue_upgrade_add(product_id: int):
    form = UpgradeTargetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        target = bundles.add_upgrade_target(
            db.session, g.tenant_id, signed_in_user(), product_id, form.code.data or ""
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return product_page(product_id, status=422, link_errors={"upgrade": error.errors})
    flash(texts.UPGRADE_TARGET_ADDED.format(code=target.code), "success")
    return _back(product_id)


@bp.post("/catalogue/products/<int:product_id>/upgrades/<int:target_id>/delete")
@catalogue_required
def catalogue_upgrade_remove(product_id: int, target_id: int):
    if not RemoveForm().validate_on_submit():
        abort(400)
    try:
        bundles.remove_upgrade_target(
            db.session, g.tenant_id, signed_in_user(), product_id, target_id
        )
    except NotFound:
        abort(404)
    flash(texts.UPGRADE_TARGET_REMOVED, "success")
    return _back(product_id)


@bp.post("/catalogue/products/<int:product_id>/components")
@catalogue_required
def catalogue_component_save(product_id: int):
    form = ComponentForm()
    if not form.validate_on_submit():
        abort(400)
    code = form.code.data or ""
    try:
        bundles.save_component(
            db.session,
            g.tenant_id,
            signed_in_user(),
            product_id,
            code,
            whole_number(form.quantity.data),
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return product_page(product_id, status=422, link_errors={"component": error.errors})
    flash(texts.BUNDLE_COMPONENT_SAVED.format(code=code.strip()), "success")
    return _back(product_id)


@bp.post("/catalogue/products/<int:product_id>/components/<int:component_id>/delete")
@catalogue_required
def catalogue_component_remove(product_id: int, component_id: int):
    if not RemoveForm().validate_on_submit():
        abort(400)
    try:
        bundles.remove_component(
            db.session, g.tenant_id, signed_in_user(), product_id, component_id
        )
    except NotFound:
        abort(404)
    flash(texts.BUNDLE_COMPONENT_REMOVED, "success")
    return _back(product_id)


@bp.route("/catalogue/products/<int:product_id>/components/preview")
@catalogue_required
def catalogue_component_preview(product_id: int):
    """What the bundle's execution type would be with the typed component (htmx swaps it into
    the add-component form as the code is typed)."""
    code = request.args.get("code", "")[:60]
    try:
        kind, problem = bundles.would_be(db.session, g.tenant_id, product_id, code)
    except NotFound:
        abort(404)
    return page(
        "bss_admin/catalogue/component_preview.html",
        block="preview",
        product_id=product_id,
        code=code.strip(),
        kind=kind,
        problem=problem,
    )
