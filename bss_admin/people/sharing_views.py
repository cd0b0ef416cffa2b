"""Back-orders' sharing rules for the signed-in BSS user (issue 14 G): every page of one order
(its page, edit, export, print-out, records and every action) answers 404 to a user the rule
hides it from, as for an order that does not exist; lists, searches and the dashboard pass
:func:`current_viewer` to their queries."""

from __future__ import annotations

from flask import abort, g, request
from flask_login import current_user

from bss_admin import bp
from core.enums import UserKind
from core.rules.sharing import Viewer
from core.services import sharing
from webapp.extensions import db


def current_viewer() -> Viewer | None:
    if not current_user.is_authenticated or current_user.kind != UserKind.BSS:
        return None
    # the signed-in user's columns (id, team, role), lean views' too (issue 19: no ORM user)
    return sharing.viewer_of(current_user._get_current_object())


@bp.before_request
def _hide_orders_the_sharing_rule_hides():
    order_id = (request.view_args or {}).get("order_id")
    viewer = current_viewer()
    if order_id is None or viewer is None:
        return None
    tenant_id = getattr(g, "tenant_id", None) or current_user.tenant_id
    if not sharing.order_visible(db.session, tenant_id, order_id, viewer):
        abort(404)
    return None
