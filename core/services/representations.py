"""What an order, a back-order, an offer and a subscription look like to other systems (issue 18,
point 6): the one place that builds them, used by the public API (``api/``, which documents
them with its marshmallow schemas and answers them on ``GET /api/v1/...``) and by the webhook
events (:mod:`core.services.webhooks`, whose ``data`` is the same representation).

The builders return plain values (``datetime``, ``date``, ``Decimal``); the API serialises them
through its schemas and an event through :func:`to_json`, which writes them the way the schemas
do (ISO 8601 dates and times, decimal amounts as strings). ``tests/test_api_events.py`` checks
that a delivered event's ``data`` is what ``GET`` answers, and that it validates against the
``webhooks`` entry of the OpenAPI document.

The event is built in the use case's transaction (a snapshot of the moment it happened: a retry
sends the same signed bytes, the endpoint's delivery log shows what was sent), and only when an
endpoint is subscribed to it (:func:`core.services.webhooks.emit` takes a builder).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.models import Offer


def to_json(value):
    """``value`` with dates, times and amounts as the API's schemas write them."""
    if isinstance(value, dict):
        return {key: to_json(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(inner) for inner in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def status_ref(status) -> dict:
    return {"id": status.id, "description": status.description, "type": status.type}


def order(detail) -> dict:
    """An order (``core.services.orders.OrderDetail``) as ``GET /api/v1/orders/{id}``."""
    row = detail.order
    return {
        "id": row.id,
        "number": row.number,
        "name": row.name,
        "account": {"id": detail.account.id, "name": detail.account.name},
        "status": status_ref(detail.status),
        "source": row.source,
        "execution_type": row.execution_type,
        "payment_method": row.payment_method,
        "currency": row.currency,
        "total": row.total,
        "order_date": row.order_date,
        "executed_at": row.executed_at,
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


def order_by_id(session: Session, tenant_id: int, order_id: int) -> dict:
    from core.services import orders

    return order(orders.get_order(session, tenant_id, order_id))


def backorder(detail, facts) -> dict:
    """A back-order (PRODUCT.md section 8) as ``GET /api/v1/backorders/{id}``: the order, its
    fields the distributor may edit, and where it came from."""
    row = detail.order
    return {
        **order(detail),
        "order_type": row.order_type,
        "sales_rep": row.sales_rep,
        "contact": row.contact,
        "campaign": row.campaign,
        "custom_fields": row.custom_fields,
        "responsible_user_id": row.responsible_user_id,
        "backorder": {
            "reseller": row.backorder_reseller_name,
            "action": row.backorder_action,
            "billing_to": {"id": row.billing_account_id, "name": facts.billing_to}
            if row.billing_account_id
            else None,
            "price_list": facts.price_list,
            "sharing_rule": row.sharing_rule,
        },
    }


def backorder_by_id(session: Session, tenant_id: int, order_id: int) -> dict:
    from core import texts
    from core.enums import OrderSource
    from core.services import backorder_listing, orders
    from core.services.errors import NotFound

    detail = orders.get_order(session, tenant_id, order_id)
    if detail.order.source != OrderSource.BACKORDER:
        raise NotFound(texts.ORDER_NOT_FOUND)  # an order, not a back-order
    return backorder(detail, backorder_listing.backorder_facts(session, detail.order))


def offer(row: Offer) -> dict:
    """An offer with its items as ``GET /api/v1/offers/{id}``."""
    return {
        "id": row.id,
        "number": row.number,
        "name": row.name,
        "account_id": row.account_id,
        "status": status_ref(row.status),
        "valid_until": row.valid_until,
        "converted_order_id": row.converted_order_id,
        "created_at": row.created_at,
        "items": [
            {
                "id": i.id,
                "product_id": i.product_id,
                "plan_id": i.plan_id,
                "description": i.description,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
            }
            for i in row.items
        ],
    }


def subscription_summary(row) -> dict:
    """A subscription (``core.services.api_reads.SubscriptionRow``) as in the list."""
    s = row.subscription
    return {
        "id": s.id,
        "account_id": s.account_id,
        "account_name": row.account_name,
        "product": row.product_name,
        "plan": row.plan_name,
        "quantity": s.quantity,
        "status": s.status,
        "is_trial": s.is_trial,
        "start_date": s.start_date,
        "order_id": s.order_id,
    }


def subscription(row, history, task) -> dict:
    """A subscription with its history and its latest provisioning (``GET
    /api/v1/subscriptions/{id}``)."""
    return {
        **subscription_summary(row),
        "history": [
            {
                "at": h.at,
                "change": h.change,
                "detail": h.detail,
                "from_quantity": h.from_quantity,
                "to_quantity": h.to_quantity,
                "order_id": h.order_id,
            }
            for h in history
        ],
        "provisioning": {
            "status": task.status,
            "action": task.action,
            "reason": task.reason,
            "updated_at": task.updated_at or task.created_at,
        }
        if task is not None
        else None,
    }


def subscription_by_id(session: Session, tenant_id: int, subscription_id: int) -> dict:
    from core.services import api_reads

    return subscription(*api_reads.subscription(session, tenant_id, subscription_id))
