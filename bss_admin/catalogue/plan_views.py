"""Plans and add-ons of a product (issue 15, part B): create and edit, each with its price in
every price list; views parse, call core.services.plans and render."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.catalogue.forms import AddOnForm, PlanForm, trial_days_typed, whole_number
from bss_admin.catalogue.views import catalogue_required
from core import texts
from core.models import AddOn, Plan
from core.rules.catalogue import AddOnInput, PlanInput
from core.services import catalogue_admin, plans
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


def _typed_prices() -> dict[int, str]:
    """``price-<price list id>`` fields of the form -> what was typed."""
    typed = {}
    for name, value in request.form.items():
        raw = name.removeprefix("price-")
        if raw != name and raw.isascii() and raw.isdigit() and len(raw) < 18:
            typed[int(raw)] = value
    return typed


def _part_page(model, product_id: int, part_id: int | None):
    try:
        product = catalogue_admin.get_product(db.session, g.tenant_id, product_id)
        existing = (
            plans.get_part(db.session, g.tenant_id, model, product_id, part_id)
            if part_id is not None
            else None
        )
    except NotFound:
        abort(404)
    is_plan = model is Plan
    form = (PlanForm if is_plan else AddOnForm)(obj=existing.row if existing else None)
    errors: dict[str, list[str]] = {}
    typed = _typed_prices() if request.method == "POST" else {}
    if form.validate_on_submit():
        save = plans.save_plan if is_plan else plans.save_addon
        if is_plan:
            values = PlanInput(
                form.name.data or "",
                form.billing_cycle.data or "",
                whole_number(form.commitment_months.data),
                whole_number(form.min_quantity.data),
                whole_number(form.max_quantity.data),
                trial_days_typed(form.trial_days.data),
            )
        else:
            values = AddOnInput(
                form.name.data or "",
                whole_number(form.min_quantity.data),
                whole_number(form.max_quantity.data),
            )
        key = "plan_id" if is_plan else "addon_id"
        try:
            saved = save(
                db.session,
                g.tenant_id,
                signed_in_user(),
                product_id,
                values,
                typed,
                **{key: part_id},
            )
        except NotFound:
            abort(404)
        except ValidationFailed as error:
            errors = error.errors
        else:
            message = texts.PLAN_SAVED if is_plan else texts.ADDON_SAVED
            flash(message.format(name=saved.name), "success")
            return see_other(url_for("bss_admin.catalogue_product", product_id=product_id))
    status = 422 if form.is_submitted() and (errors or form.errors) else 200
    endpoint = "bss_admin.catalogue_plan" if is_plan else "bss_admin.catalogue_addon"
    action = url_for(
        endpoint,
        product_id=product_id,
        **({("plan_id" if is_plan else "addon_id"): part_id} if part_id else {}),
    )
    price_lists = plans.price_lists_of(db.session, g.tenant_id)
    shown = {
        pl.id: typed.get(pl.id, (existing.prices.get(pl.id) if existing else None))
        for pl in price_lists
    }
    return page(
        "bss_admin/catalogue/part.html",
        block="part_form",
        status=status,
        form=form,
        product=product,
        part=existing.row if existing else None,
        is_plan=is_plan,
        errors=errors,
        price_lists=price_lists,
        prices=shown,
        action=action,
    )


@bp.route("/catalogue/products/<int:product_id>/plans/new", methods=["GET", "POST"])
@bp.route("/catalogue/products/<int:product_id>/plans/<int:plan_id>", methods=["GET", "POST"])
@catalogue_required
def catalogue_plan(product_id: int, plan_id: int | None = None):
    return _part_page(Plan, product_id, plan_id)


@bp.route("/catalogue/products/<int:product_id>/addons/new", methods=["GET", "POST"])
@bp.route("/catalogue/products/<int:product_id>/addons/<int:addon_id>", methods=["GET", "POST"])
@catalogue_required
def catalogue_addon(product_id: int, addon_id: int | None = None):
    return _part_page(AddOn, product_id, addon_id)
