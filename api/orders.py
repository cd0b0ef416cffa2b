"""Orders through the API: the same core use cases as the BSS pages (core.services.orders),
so the same rules refuse the same things (locked orders 409, back-orders 403, statuses that
can't be set by hand 422)."""

from __future__ import annotations

from api import schemas
from api.auth import authenticate_request, caller, requires, viewer
from api.blueprint import Blueprint
from api.idempotent import idempotent
from api.problems import from_service_error
from core import texts
from core.rules import roles
from core.services import orders, representations
from core.services.errors import ServiceError, ValidationFailed
from webapp.auth import kept_status_book
from webapp.extensions import db

blp = Blueprint(
    "orders", __name__, description="Orders: list, read, create, items, status, execute"
)
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


def order_representation(detail: orders.OrderDetail) -> dict:
    """The order as the API (and its events: core.services.representations) show it."""
    return representations.order(detail)


def _order(order_id: int) -> dict:
    return order_representation(orders.get_order(db.session, caller().tenant_id, order_id))


def _quantities(items: list[dict]) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for entry in items:
        if entry["item_id"] in quantities:
            message = "Each item appears once."
            raise ValidationFailed(message, {str(entry["item_id"]): [message]})
        quantities[entry["item_id"]] = entry["quantity"]
    return quantities


@blp.route("/orders")
@requires(roles.ORDERS)
@blp.arguments(schemas.OrderListQuery, location="query", as_kwargs=True)
@blp.response(200, schemas.OrderPageSchema)
def list_orders(status_id=None, account_id=None, date_from=None, date_to=None, **query):
    """List orders, newest first (or oldest), with filters; pages follow `next_cursor`."""
    cursor = query.get("cursor")
    if cursor and orders.decode_cursor(cursor) is None:
        raise ValidationFailed(texts.API_CURSOR_INVALID, {"cursor": [texts.API_CURSOR_INVALID]})
    filters = orders.OrderFilters(
        status_id=status_id,
        account_id=account_id,
        date_from=date_from,
        date_to=date_to,
        oldest_first=query["sort"] == "oldest",
        after=cursor,
        viewer=viewer(),
    )
    who = caller()
    # the statuses this process keeps while the tenant's token (read with the key) says they
    # are current: no statement of their own on most calls (issue 19, tenth pass)
    book = kept_status_book(who.tenant_id, who.statuses_version)
    page = orders.list_orders(
        db.session, who.tenant_id, filters, page_size=query["limit"], book=book
    )
    return {
        "data": [
            {
                "id": r.id,
                "number": r.number,
                "name": r.name,
                "account_name": r.account_name,
                "status": representations.status_ref(r.status),
                "execution_type": r.execution_type,
                "order_date": r.order_date,
                "total": r.total,
                "currency": r.currency,
                "is_sub_order": r.is_sub_order,
            }
            for r in page.rows
        ],
        "next_cursor": page.next_cursor,
    }


@blp.route("/orders", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.arguments(schemas.NewOrderInput)
@blp.response(201, schemas.OrderSchema)
def create_order(data):
    """Create an order for an account (Submitted, or the In progress status given)."""
    order = orders.create_order(
        db.session,
        caller().tenant_id,
        caller().user,
        account_id=data["account_id"],
        status_id=data.get("status_id"),
        name=data.get("name"),
    )
    return _order(order.id)


@blp.route("/orders/<int:order_id>")
@requires(roles.ORDERS)
@blp.response(200, schemas.OrderSchema)
def get_order(order_id: int):
    """An order with its items, open holds, history and sub-orders."""
    return _order(order_id)


@blp.route("/orders/<int:order_id>/items", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.arguments(schemas.NewItemInput)
@blp.response(201, schemas.OrderSchema)
def add_item(data, order_id: int):
    """Add an item (product, plan, quantity), priced from the order's price list."""
    orders.quick_add(
        db.session,
        caller().tenant_id,
        order_id,
        caller().user,
        product_id=data["product_id"],
        plan_id=data.get("plan_id"),
        quantity=data["quantity"],
    )
    return _order(order_id)


@blp.route("/orders/<int:order_id>/items", methods=["PATCH"])
@requires(roles.ORDERS)
@blp.arguments(schemas.UpdateItemsInput)
@blp.response(200, schemas.OrderSchema)
def update_items(data, order_id: int):
    """New quantities per item (never below what is executed)."""
    quantities = _quantities(data["items"])
    orders.update_quantities(db.session, caller().tenant_id, order_id, caller().user, quantities)
    return _order(order_id)


@blp.route("/orders/<int:order_id>/status", methods=["PUT"])
@requires(roles.ORDERS)
@blp.arguments(schemas.StatusInput)
@blp.response(200, schemas.OrderSchema)
def set_status(data, order_id: int):
    """Set the status by hand: an In progress status (never Draft, Scheduled or Executing; the
    same rule as the BSS Edit), or a Cancelled one, which cancels the order as cancel does
    (the customer is told). Executed comes from execution. A Scheduled order (its Scheduled
    hold open) or one waiting for the reseller's approval keeps its status: 409, unless the
    status given is a Cancelled one."""
    orders.edit_order(
        db.session, caller().tenant_id, order_id, caller().user, {"status_id": data["status_id"]}
    )
    return _order(order_id)


@blp.route("/orders/<int:order_id>/execute", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.arguments(schemas.ExecuteInput)
@blp.response(200, schemas.ExecutionSchema)
def execute(data, order_id: int):
    """Execute everything left, or the quantities given (a partial execution makes a
    sub-order, e.g. 3 of 5)."""
    quantities = _quantities(data["items"]) if data.get("items") else None
    result = orders.execute(db.session, caller().tenant_id, order_id, caller().user, quantities)
    sub = result.sub_order
    return {
        "order": _order(order_id),
        "sub_order": {"id": sub.id, "number": sub.number} if sub else None,
        "fully_executed": result.fully_executed,
    }


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.response(200, schemas.OrderSchema)
def cancel(order_id: int):
    """Cancel an order of which nothing was executed."""
    orders.cancel_order(db.session, caller().tenant_id, order_id, caller().user)
    return _order(order_id)


@blp.route("/orders/<int:order_id>/copy", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.response(201, schemas.OrderSchema)
def copy(order_id: int):
    """Copy an executed order or sub-order into a new Submitted order."""
    copied = orders.copy_order(db.session, caller().tenant_id, order_id, caller().user)
    return _order(copied.id)
