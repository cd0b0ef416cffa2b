"""Back-orders through the API (PRODUCT.md section 8): the distributor lists and reads the
orders its tenant resellers' executions created, and edits only what the BSS lets it edit on
them (name, type, payment method, sales rep, contact, campaign, responsible user, custom
fields: core.rules.permissions, enforced by core.services.orders.edit_order). Executing,
copying, cancelling and items stay refused (403 backorder-restricted on the order routes)."""

from __future__ import annotations

from api import schemas
from api.auth import authenticate_request, caller, requires, viewer
from api.blueprint import Blueprint
from api.problems import from_service_error
from core import texts
from core.rules import roles
from core.services import backorder_listing, orders, representations
from core.services.errors import ServiceError, ValidationFailed
from webapp.extensions import db

blp = Blueprint(
    "backorders", __name__, description="Back-orders of the tenant resellers: list, read, edit"
)
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


@blp.route("/backorders")
@requires(roles.ORDERS)
@blp.arguments(schemas.BackorderListQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.BackorderPageSchema)
def list_backorders(limit, cursor=None, **query):
    """The back-orders, newest first, filtered by tenant reseller (Billing To), account and
    order date; pages follow `next_cursor`. The sharing rules of the key's user apply."""
    if cursor and orders.decode_cursor(cursor) is None:
        raise ValidationFailed(texts.API_CURSOR_INVALID, {"cursor": [texts.API_CURSOR_INVALID]})
    filters = backorder_listing.BackorderFilters(
        reseller_id=query.get("reseller_id"),
        account_id=query.get("account_id"),
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
        after=cursor,
        viewer=viewer(),
    )
    page = backorder_listing.list_backorders(db.session, caller().tenant_id, filters, limit)
    return {
        "data": [
            {
                "id": r.order.id,
                "number": r.order.number,
                "name": r.order.name,
                "account_name": r.account_name,
                "status": representations.status_ref(r.order.status),
                "execution_type": r.order.execution_type,
                "order_date": r.order.order_date,
                "total": r.order.total,
                "currency": r.order.currency,
                "is_sub_order": r.order.parent_order_id is not None,
                "billing_to": r.billing_name,
            }
            for r in page.rows
        ],
        "next_cursor": page.next_cursor,
    }


@blp.route("/backorders/<int:order_id>")
@requires(roles.ORDERS)
@blp.response(200, schemas.BackorderSchema)
def get_backorder(order_id: int):
    """A back-order: the order with its items and history, its editable fields and its origin
    (tenant reseller, Billing To, price list, sharing rule)."""
    return representations.backorder_by_id(db.session, caller().tenant_id, order_id)


@blp.route("/backorders/<int:order_id>", methods=["PATCH"])
@requires(roles.ORDERS)
@blp.arguments(schemas.BackorderChangesInput)
@blp.response(200, schemas.BackorderSchema)
def update_backorder(data, order_id: int):
    """Edit what the distributor may edit on a back-order; only the fields sent change."""
    representations.backorder_by_id(db.session, caller().tenant_id, order_id)  # 404 otherwise
    orders.edit_order(db.session, caller().tenant_id, order_id, caller().user, data)
    db.session.expire_all()
    return representations.backorder_by_id(db.session, caller().tenant_id, order_id)
