"""Promotions (issue 15, part D): list, create, edit. The rule that decides which applies is
core.rules.promotions, used by every place that prices a sale."""

from __future__ import annotations

from flask import abort, flash, g, url_for

from bss_admin import bp
from bss_admin.catalogue.forms import PromotionForm, iso_date
from bss_admin.catalogue.views import catalogue_required
from core import texts
from core.db import utcnow
from core.services import promotions
from core.services.errors import NotFound, ValidationFailed
from webapp.auth import signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other


@bp.route("/catalogue/promotions")
@catalogue_required
def catalogue_promotions():
    return page(
        "bss_admin/catalogue/promotions.html",
        rows=promotions.list_promotions(db.session, g.tenant_id),
        today=promotions.tenant_today(db.session, g.tenant_id, utcnow()),
    )


@bp.route("/catalogue/promotions/new", methods=["GET", "POST"])
@bp.route("/catalogue/promotions/<int:promotion_id>", methods=["GET", "POST"])
@catalogue_required
def catalogue_promotion(promotion_id: int | None = None):
    existing = None
    if promotion_id is not None:
        try:
            existing = promotions.get_promotion(db.session, g.tenant_id, promotion_id)
        except NotFound:
            abort(404)
    form = PromotionForm(data=_form_data(existing) if existing else None)
    errors: dict[str, list[str]] = {}
    if form.validate_on_submit():
        typed = promotions.PromotionForm(
            name=form.name.data or "",
            kind=form.kind.data or "",
            value=form.value.data or "",
            product_code=form.product_code.data or "",
            plan_name=form.plan_name.data or "",
            starts_on=iso_date(form.starts_on.data),
            ends_on=iso_date(form.ends_on.data),
            active=bool(form.active.data),
        )
        try:
            saved = promotions.save_promotion(
                db.session, g.tenant_id, signed_in_user(), typed, promotion_id=promotion_id
            )
        except NotFound:
            abort(404)
        except ValidationFailed as error:
            errors = error.errors
        else:
            flash(texts.PROMOTION_SAVED.format(name=saved.name), "success")
            return see_other(url_for("bss_admin.catalogue_promotions"))
    status = 422 if form.is_submitted() and errors else 200
    return page(
        "bss_admin/catalogue/promotion.html",
        block="promotion_form",
        status=status,
        form=form,
        promotion=existing,
        errors=errors,
    )


def _form_data(row: promotions.PromotionRow) -> dict:
    terms = row.terms
    return {
        "name": row.name,
        "kind": terms.kind,
        "value": f"{terms.value:.2f}",
        "product_code": row.product_code,
        "plan_name": row.plan_name or "",
        "starts_on": terms.starts_on.isoformat(),
        "ends_on": terms.ends_on.isoformat(),
        "active": terms.active,
    }
