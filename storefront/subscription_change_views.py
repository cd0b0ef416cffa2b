"""My subscriptions, issue 17: decreases, downgrades and cancellations at the period's end
(a confirmation page says when before anything is recorded), withdrawing them, auto-renew and
the trial's "continue on the paid plan"."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from core import texts
from core.db import utcnow
from core.models import Subscription
from core.services import subscription_changes as changes
from core.services.errors import ServiceError
from core.services.promotions import tenant_today
from storefront import bp
from storefront.forms import SubscriptionActionForm, ToggleForm
from storefront.views import customer
from webapp.auth import customer_required
from webapp.extensions import db
from webapp.web import page, see_other

# URL word -> the kind of pending change
KINDS = {
    "reduce-licenses": "reduce_licenses",
    "reduce-addon": "reduce_addon",
    "remove-addon": "remove_addon",
    "downgrade": "downgrade",
    "cancel": "cancel",
}


def _today():
    return tenant_today(db.session, g.tenant.id, utcnow())


def _kind(word: str) -> str:
    kind = KINDS.get(word)
    if kind is None:
        abort(404)
    return kind


@bp.get("/subscriptions/<int:subscription_id>/change/<word>")
@customer_required
def subscription_change_confirm(subscription_id: int, word: str):
    """Before anything is recorded: what the change is and the day it takes effect."""
    kind = _kind(word)
    values = {k: request.args.get(k) for k in ("quantity", "addon_id", "target_product_id")}
    try:
        planned = changes.plan_change(
            db.session,
            g.tenant.id,
            customer().account_id,
            subscription_id,
            kind,
            today=_today(),
            **values,
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        return page(
            "storefront/subscriptions/change_confirm.html",
            status=error.http_status,
            planned=None,
            error=error.message,
            word=word,
            values=values,
            subscription_id=subscription_id,
            form=SubscriptionActionForm(),
        )
    return page(
        "storefront/subscriptions/change_confirm.html",
        planned=planned,
        error=None,
        word=word,
        values=values,
        subscription_id=subscription_id,
        form=SubscriptionActionForm(),
    )


@bp.post("/subscriptions/<int:subscription_id>/change/<word>")
@customer_required
def subscription_change(subscription_id: int, word: str):
    kind = _kind(word)
    form = SubscriptionActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        change = changes.schedule_change(
            db.session,
            g.tenant.id,
            customer(),
            subscription_id,
            kind,
            quantity=form.quantity.data,
            addon_id=form.addon_id.data,
            target_product_id=form.target_product_id.data,
            today=_today(),
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        flash(error.message, "error")
        return see_other(url_for("storefront.subscriptions"))
    flash(
        texts.CHANGE_SCHEDULED.format(
            summary=changes.change_summary(
                change.effective_on,
                _keeps(change),
                bool(db.session.get(Subscription, change.subscription_id).is_trial),
            )
        ),
        "success",
    )
    return see_other(url_for("storefront.subscriptions"))


def _keeps(change) -> str:
    if change.addon_id is not None and change.from_quantity is not None:
        return f"{change.addon.name} × {change.from_quantity}" if change.addon else ""
    sub = db.session.get(Subscription, change.subscription_id)
    count = change.from_quantity or sub.quantity
    return texts.LICENSES_COUNT.format(count=count, s="" if count == 1 else "s")


@bp.post("/subscriptions/changes/<int:change_id>/withdraw")
@customer_required
def subscription_change_withdraw(change_id: int):
    if not ToggleForm().validate_on_submit():
        abort(400)
    try:
        changes.withdraw_change(db.session, g.tenant.id, customer(), change_id)
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        flash(error.message, "error")
        return see_other(url_for("storefront.subscriptions"))
    flash(texts.CHANGE_WITHDRAWN, "success")
    return see_other(url_for("storefront.subscriptions"))


def _toggle(subscription_id: int, use_case, saved_on: str, saved_off: str):
    form = ToggleForm()
    if not form.validate_on_submit():
        abort(400)
    on = {"on": True, "off": False}.get(form.value.data)  # the use case refuses anything else
    try:
        use_case(db.session, g.tenant.id, customer(), subscription_id, on)
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        flash(error.message, "error")
        return see_other(url_for("storefront.subscriptions"))
    flash(saved_on if on else saved_off, "success")
    return see_other(url_for("storefront.subscriptions") + f"#sub-{subscription_id}")


@bp.post("/subscriptions/<int:subscription_id>/auto-renew")
@customer_required
def subscription_auto_renew(subscription_id: int):
    return _toggle(
        subscription_id,
        changes.set_auto_renew,
        texts.AUTO_RENEW_SAVED_ON,
        texts.AUTO_RENEW_SAVED_OFF,
    )


@bp.post("/subscriptions/<int:subscription_id>/trial-continue")
@customer_required
def subscription_trial_continue(subscription_id: int):
    return _toggle(
        subscription_id,
        changes.set_trial_converts,
        texts.TRIAL_CONTINUE_SAVED_ON,
        texts.TRIAL_CONTINUE_SAVED_OFF,
    )
