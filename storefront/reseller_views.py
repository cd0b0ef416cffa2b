"""Standard resellers on the Storefront (PRODUCT.md 5.5): "Pending approvals" lists their
customers' orders waiting in Pending Reseller Approval; approve or reject with a reason."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for
from flask_login import current_user

from core import texts
from core.services import accounts, reseller_approval
from core.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from storefront import bp
from webapp.auth import customer_required, signed_in_user
from webapp.extensions import db
from webapp.web import is_htmx, page, see_other


def _reseller():
    try:
        return reseller_approval.reseller_account(db.session, g.tenant.id, current_user.account_id)
    except Forbidden:
        abort(403)


def _approvals_page(*, status: int = 200, errors=None, message=None, values=None, done=None):
    """``done``: the result of an approval answered in place (htmx), where focus goes."""
    db.session.expire_all()
    reseller = _reseller()
    return page(
        "storefront/reseller/approvals.html",
        block="approvals",
        status=status,
        reseller=reseller,
        orders=reseller_approval.pending_orders(db.session, g.tenant.id, reseller.id),
        errors=errors or {},
        message=message,
        values=values or {},
        done=done,
    )


@bp.route("/reseller/approvals")
@customer_required
def reseller_approvals():
    return _approvals_page()


def _decide(order_id: int, use_case, done_text: str):
    reseller = _reseller()
    reason = request.form.get("reason", "")
    try:
        order = use_case(
            db.session,
            g.tenant.id,
            reseller.id,
            order_id,
            actor=signed_in_user(),
            reason=reason,
        )
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return _approvals_page(
            status=422,
            errors={order_id: error.message},
            message=error.message,
            values={order_id: reason},
        )
    except Conflict as error:
        return _approvals_page(status=409, message=error.message)
    if is_htmx():  # answered in place: focus moves to the result (not a reload's <body>)
        return _approvals_page(done=done_text.format(number=order.number))
    flash(done_text.format(number=order.number), "success")
    return see_other(url_for("storefront.reseller_approvals"))


@bp.post("/reseller/approvals/<int:order_id>/approve")
@customer_required
def reseller_approve(order_id: int):
    return _decide(order_id, reseller_approval.approve, texts.RESELLER_APPROVED)


@bp.post("/reseller/approvals/<int:order_id>/reject")
@customer_required
def reseller_reject(order_id: int):
    return _decide(order_id, reseller_approval.reject, texts.RESELLER_REJECTED)


# --- a standard reseller's customers, read only (issue 14) --------------------------------


@bp.route("/reseller/customers")
@customer_required
def reseller_customers():
    reseller = _reseller()
    after = request.args.get("after") or None
    result = accounts.reseller_customers(db.session, g.tenant.id, reseller.id, after)
    cursor = result.page.next_cursor
    return page(
        "storefront/reseller/customers.html",
        block="customers",
        reseller=reseller,
        result=result,
        next_url=url_for("storefront.reseller_customers", after=cursor) if cursor else None,
        first_url=url_for("storefront.reseller_customers") if after else None,
    )
