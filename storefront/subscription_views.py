"""My subscriptions and their five actions (PRODUCT.md 5.4). An action that would mix
delivery methods answers with the [seed] text: a modal dialog for htmx, a page without JS."""

from __future__ import annotations

from flask import abort, flash, g, url_for

from core import texts
from core.db import utcnow
from core.enums import ItemKind
from core.rules import basket as basket_rules
from core.rules.basket import MixedExecutionTypes
from core.rules.scheduling import local_today
from core.services import basket as basket_service
from core.services import provisioning, subscription_changes
from core.services import subscriptions as subscription_service
from core.services.errors import ServiceError
from storefront import bp
from storefront.forms import SubscriptionActionForm, ToggleForm
from storefront.views import customer
from webapp.auth import customer_required
from webapp.extensions import db
from webapp.web import page, see_other

ACTIONS = {
    "licenses": ItemKind.LICENSES,
    "addon": ItemKind.ADDON_NEW,
    "addon-quantity": ItemKind.ADDON_QUANTITY,
    "upgrade": ItemKind.UPGRADE,
    "to-paid": ItemKind.TO_PAID,
}


@bp.route("/subscriptions")
@customer_required
def subscriptions():
    views = subscription_service.list_subscriptions(db.session, g.tenant.id, customer().account_id)
    states = provisioning.subscription_states(db.session, [v.subscription.id for v in views])
    # issue 17: pending changes, downgrades, when a decrease would take effect, auto-renew
    options = subscription_changes.change_options(
        db.session,
        customer().account_id,
        [v.subscription for v in views],
        {v.subscription.id: v.upgrade_targets for v in views},
        local_today(utcnow(), g.tenant.timezone),  # the tenant's day, without a query
    )
    for view in views:
        cheaper = {p.id for p, _plan, _price in options[view.subscription.id].downgrades}
        view.upgrade_targets = [p for p in view.upgrade_targets if p.id not in cheaper]
    return page(
        "storefront/subscriptions/list.html",
        views=views,
        provisioning_states=states,
        options=options,
        toggle=ToggleForm(),
    )


@bp.post("/subscriptions/<int:subscription_id>/<action>")
@customer_required
def subscription_action(subscription_id: int, action: str):
    kind = ACTIONS.get(action)
    if kind is None:
        abort(404)
    form = SubscriptionActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        basket_service.add_change(
            db.session,
            g.tenant.id,
            customer(),
            subscription_id,
            kind,
            quantity=form.quantity.data,
            addon_id=form.addon_id.data,
            target_product_id=form.target_product_id.data,
        )
    except MixedExecutionTypes as mixed:
        return page(
            "storefront/subscriptions/blocked.html",
            block="dialog",
            status=409,
            title="This action cannot be performed",
            message=basket_rules.subscription_popup_message(mixed.case),
            mixed=True,
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        return page(
            "storefront/subscriptions/blocked.html",
            block="dialog",
            status=error.http_status,
            title="Please check this change",
            message=error.message,
            mixed=False,
        )
    flash(texts.ADDED_TO_BASKET, "success")
    return see_other(url_for("storefront.basket"))
