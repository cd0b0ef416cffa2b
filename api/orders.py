"""Orders through the API: the same core use cases as the BSS pages (core.services.orders),
so the same rules refuse the same things (locked orders 409, back-orders 403, statuses that
can't be set by hand 422)."""

from __future__ import annotations

from flask_smorest import Blueprint

from api import schemas
from api.auth import authenticate_request, caller
from api.idempotent import idempotent
from api.problems import from_service_error
from core import texts
from core.services import orders
from core.services.errors import ServiceError, ValidationFailed
from webapp.extensions import db

blp = Blueprint(
    "orders", __name__, description="Orders: list, read, create, items, status, execute"
)
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


def _status_ref(status) -> dict:
    return {"id": status.id, "description": status.description, "type": status.type}


def order_representation(detail: orders.OrderDetail) -> dict:
    """The order as the API (and its events) show it."""
    order = detail.order
    return {
        "id": order.id,
        "number": order.number,
        "name": order.name,
        "account": {"id": detail.account.id, "name": detail.account.name},
        "status": _status_ref(detail.status),
        "source": order.source,
        "execution_type": order.execution_type,
        "payment_method": order.payment_method,
        "currency": order.currency,
        "total": order.total,
        "order_date": order.order_date,
        "executed_at": order.executed_at,
        "parent_order": {"id": detail.parent.id, "number": detail.parent.number}
        if detail.parent
        else None,
        "items": [
            {
                "id": line.item.id,
                "product_id": line.item.product_id,
                "plan_id": line.item.plan_id,
                "description": line.item.description,
                "execution_type": line.item.execution_type,
                "quantity": line.item.quantity,
                "executed_quantity": line.item.executed_quantity,
                "remaining_quantity": line.remaining,
                "unit_price": line.item.unit_price,
                "discount_percent": line.item.discount_percent,
            }
            for line in detail.items
        ],
        "holds": [
            {"id": h.id, "reason": h.reason, "detail": h.detail, "placed_at": h.placed_at}
            for h in detail.holds
        ],
        "sub_orders": [{"id": s.id, "number": s.number} for s in detail.sub_orders],
        "history": [
            {
                "at": h.at,
                "actor": h.actor,
                "kind": h.kind,
                "from_status": h.from_status.description if h.from_status else None,
                "to_status": h.to_status.description if h.to_status else None,
                "note": h.note,
            }
            for h in detail.history
        ],
        "allowed_actions": sorted(detail.actions),
    }


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
    )
    page = orders.list_orders(db.session, caller().tenant_id, filters, page_size=query["limit"])
    return {
        "data": [
            {
                "id": r.id,
                "number": r.number,
                "name": r.name,
                "account_name": r.account_name,
                "status": _status_ref(r.status),
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
@blp.response(200, schemas.OrderSchema)
def get_order(order_id: int):
    """An order with its items, open holds, history and sub-orders."""
    return _order(order_id)


@blp.route("/orders/<int:order_id>/items", methods=["POST"])
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
@blp.arguments(schemas.UpdateItemsInput)
@blp.response(200, schemas.OrderSchema)
def update_items(data, order_id: int):
    """New quantities per item (never below what is executed)."""
    quantities = _quantities(data["items"])
    orders.update_quantities(db.session, caller().tenant_id, order_id, caller().user, quantities)
    return _order(order_id)


@blp.route("/orders/<int:order_id>/status", methods=["PUT"])
@blp.arguments(schemas.StatusInput)
@blp.response(200, schemas.OrderSchema)
def set_status(data, order_id: int):
    """Set the status by hand: an In progress status (never Draft, Scheduled or Executing; the
    same rule as the BSS Edit). Executed comes from execution, Canceled from cancel."""
    orders.edit_order(
        db.session, caller().tenant_id, order_id, caller().user, {"status_id": data["status_id"]}
    )
    return _order(order_id)


@blp.route("/orders/<int:order_id>/execute", methods=["POST"])
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
@idempotent(blp)
@blp.response(200, schemas.OrderSchema)
def cancel(order_id: int):
    """Cancel an order of which nothing was executed."""
    orders.cancel_order(db.session, caller().tenant_id, order_id, caller().user)
    return _order(order_id)


@blp.route("/orders/<int:order_id>/copy", methods=["POST"])
@idempotent(blp)
@blp.response(201, schemas.OrderSchema)
def copy(order_id: int):
    """Copy an executed order or sub-order into a new Submitted order."""
    copied = orders.copy_order(db.session, caller().tenant_id, order_id, caller().user)
    return _order(copied.id)
