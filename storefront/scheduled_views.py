"""The customer's side of a scheduled order (PRODUCT.md 5.5): see the date, reschedule it
(tomorrow .. 60 days ahead, in the customer's zone) or cancel it before the date."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, g, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from core import texts
from core.db import utcnow
from core.models import Account, Order
from core.rules import scheduling as schedule_rules
from core.services import scheduling
from core.services.errors import Conflict, NotFound, ValidationFailed
from storefront import bp
from webapp.auth import customer_required, signed_in_user
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.filters import localdate
from webapp.web import page, see_other


@bp.app_context_processor
def _schedule_helpers():
    def schedule_window_for(order: Order) -> schedule_rules.ScheduleWindow:
        account = db.session.get(Account, order.account_id)
        return schedule_rules.schedule_window(utcnow(), account.timezone if account else None)

    return {"schedule_window_for": schedule_window_for}


def _order_url(order_id: int) -> str:
    try:  # the Storefront's order page, where the schedule actions are shown
        return url_for("storefront.order", order_id=order_id)
    except BuildError:
        return url_for("storefront.order_schedule", order_id=order_id)


def _own_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if (
        order is None
        or order.tenant_id != g.tenant.id
        or order.account_id != current_user.account_id
    ):
        abort(404)
    return order


def _schedule_page(
    order_id: int, *, status: int = 200, error: str | None = None, typed: str | None = None
):
    """``typed``: the refused date, kept in the field beside its message."""
    db.session.expire_all()
    return page(
        "storefront/scheduled/order.html",
        block="schedule_actions",
        status=status,
        order=_own_order(order_id),
        schedule_error=error,
        schedule_typed=typed,
    )


@bp.route("/orders/<int:order_id>/schedule")
@customer_required
def order_schedule(order_id: int):
    return _schedule_page(order_id)


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


@bp.post("/orders/<int:order_id>/reschedule")
@customer_required
def order_reschedule(order_id: int):
    typed = request.form.get("scheduled_for", "")
    day = _parse_day(typed)
    try:
        scheduling.reschedule(
            db.session,
            g.tenant.id,
            current_user.account_id,
            order_id,
            day,
            actor=signed_in_user(),
            show_date=localdate,
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return _schedule_page(order_id, status=422, error=error.message, typed=typed)
    except Conflict as error:
        return _schedule_page(order_id, status=409, error=error.message)
    flash(texts.SCHEDULE_RESCHEDULED.format(day=localdate(day)), "success")
    return see_other(_order_url(order_id))


@bp.route("/orders/<int:order_id>/cancel-scheduled/confirm")
@customer_required
def order_cancel_scheduled_confirm(order_id: int):
    """*Cancel scheduled order* asks first (a page without JavaScript, a dialog with it)."""
    order = _own_order(order_id)
    back = _order_url(order_id)
    if order.status.type != "scheduled":
        flash(texts.ORDER_NOT_CANCELABLE, "error")
        return see_other(back)
    return confirm_page(
        "storefront/layout.html",
        Confirmation(
            title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number=order.number),
            message=texts.CONFIRM_CANCEL_SCHEDULED_BODY.format(day=localdate(order.scheduled_for)),
            yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
            action_url=url_for("storefront.order_cancel_scheduled", order_id=order_id),
            back_url=back,
            back_label=texts.CONFIRM_KEEP_ORDER,
        ),
    )


@bp.post("/orders/<int:order_id>/cancel-scheduled")
@customer_required
def order_cancel_scheduled(order_id: int):
    try:
        scheduling.cancel_scheduled(
            db.session, g.tenant.id, current_user.account_id, order_id, actor=signed_in_user()
        )
    except NotFound:
        abort(404)
    except Conflict as error:
        return _schedule_page(order_id, status=409, error=error.message)
    flash(texts.SCHEDULE_CANCELED, "success")
    return see_other(_order_url(order_id))
