"""Offer writes through the API: the same core use cases as the BSS offer pages
(core.services.offers): create, edit (status by hand), items, convert to an order."""

from __future__ import annotations

from flask import Response

from api import schemas
from api.auth import authenticate_request, caller, requires
from api.blueprint import Blueprint
from api.idempotent import idempotent
from api.orders import order_representation
from api.problems import from_service_error
from api.reads import offer_representation
from core.rules import roles
from core.services import offers, orders
from core.services.errors import ServiceError
from webapp.extensions import db

blp = Blueprint("offers", __name__, description="Offers: create, edit, delete, items, convert")
blp.before_request(authenticate_request)
blp.register_error_handler(ServiceError, from_service_error)


def _offer(offer_id: int) -> dict:
    db.session.expire_all()  # items changed by the use case: read them again
    return offer_representation(offers.get_offer(db.session, caller().tenant_id, offer_id))


@blp.route("/offers", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.arguments(schemas.NewOfferInput)
@blp.response(201, schemas.OfferSchema)
def create_offer(data):
    """Create an offer for an account (In Progress, or the status given)."""
    offer = offers.create_offer(
        db.session,
        caller().tenant_id,
        caller().user,
        account_id=data["account_id"],
        name=data.get("name"),
        status_id=data.get("status_id"),
        valid_until=data.get("valid_until"),
    )
    return _offer(offer.id)


@blp.route("/offers/<int:offer_id>", methods=["PATCH"])
@requires(roles.ORDERS)
@blp.arguments(schemas.OfferChangesInput)
@blp.response(200, schemas.OfferSchema)
def update_offer(data, offer_id: int):
    """Change the name, the validity or the status (by hand, as the BSS Edit)."""
    current = offers.get_offer(db.session, caller().tenant_id, offer_id)
    offers.update_offer(
        db.session,
        caller().tenant_id,
        caller().user,
        offer_id,
        name=data.get("name", current.name),
        status_id=data.get("status_id", current.status_id),
        valid_until=data.get("valid_until", current.valid_until),
    )
    return _offer(offer_id)


@blp.route("/offers/<int:offer_id>", methods=["DELETE"])
@requires(roles.ORDERS)
@blp.response(204)
def delete_offer(offer_id: int):
    """Delete an offer with its items and history (as the BSS offer page's Delete); a converted
    offer stays (409): its order refers to it."""
    offers.delete_offer(db.session, caller().tenant_id, caller().user, offer_id)
    return _no_content()


def _no_content() -> Response:
    """204 with no body says no content type (it said application/json)."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


@blp.route("/offers/<int:offer_id>/items", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.arguments(schemas.NewOfferItemInput)
@blp.response(201, schemas.OfferSchema)
def add_offer_item(data, offer_id: int):
    """Add a product plan, at the account's price unless an offered price is given."""
    offers.add_item(
        db.session,
        caller().tenant_id,
        caller().user,
        offer_id,
        plan_id=data["plan_id"],
        quantity=data["quantity"],
        unit_price=data.get("unit_price"),
    )
    return _offer(offer_id)


@blp.route("/offers/<int:offer_id>/items/<int:offer_item_id>", methods=["PATCH"])
@requires(roles.ORDERS)
@blp.arguments(schemas.OfferItemChangesInput)
@blp.response(200, schemas.OfferSchema)
def update_offer_item(data, offer_id: int, offer_item_id: int):
    """Change an item's quantity and offered price."""
    offers.update_item(
        db.session,
        caller().tenant_id,
        caller().user,
        offer_id,
        offer_item_id,
        quantity=data["quantity"],
        unit_price=data["unit_price"],
    )
    return _offer(offer_id)


@blp.route("/offers/<int:offer_id>/items/<int:offer_item_id>", methods=["DELETE"])
@requires(roles.ORDERS)
@blp.response(200, schemas.OfferSchema)
def remove_offer_item(offer_id: int, offer_item_id: int):
    """Remove an item (not from a converted offer)."""
    offers.remove_item(db.session, caller().tenant_id, caller().user, offer_id, offer_item_id)
    return _offer(offer_id)


@blp.route("/offers/<int:offer_id>/convert", methods=["POST"])
@requires(roles.ORDERS)
@idempotent(blp)
@blp.response(201, schemas.OrderSchema)
def convert_offer(offer_id: int):
    """Convert an Accepted offer into a Submitted order with the offered prices (once)."""
    order = offers.convert_offer(db.session, caller().tenant_id, caller().user, offer_id)
    return order_representation(orders.get_order(db.session, caller().tenant_id, order.id))
