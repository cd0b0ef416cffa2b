"""Pay now (issue 13, point 9): a customer pays a Submitted order whose card payment failed,
with another card, from the order page. Plain form post answered with 303 (a refused card
number re-renders the order page with the field messages, never echoing the number)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, g, url_for

from core.rules.payment_retry import parse_attempt
from core.services import billing, payment_retry
from core.services.errors import ServiceError
from storefront import bp
from storefront.forms import PayNowForm
from storefront.views import customer
from webapp.auth import customer_required
from webapp.extensions import db
from webapp.web import page, see_other


def pay_now_context(detail: billing.OrderDetail, form: PayNowForm | None = None, errors=None):
    """What the order page needs to flag a failed payment and offer Pay now."""
    state = payment_retry.pay_now_view(db.session, detail.order, detail.payments)
    form = form or PayNowForm(formdata=None)
    form.attempt.data = str(state.attempt)
    return {"pay": state, "pay_form": form, "pay_errors": errors or {}}


def pay_with_card(
    pay: Callable[..., object],
    back_url: str,
    anchor: str,
    rerender: Callable[[PayNowForm, dict], object],
):
    """The Pay now post of an order or an invoice: the card form is read once, ``pay(card=...,
    attempt=...)`` runs the use case; a refused card re-renders the page with the field
    messages (never echoing the number); any other refusal or outcome goes back to the page
    with a message (303)."""
    form = PayNowForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        result = pay(card=form.card(), attempt=parse_attempt(form.attempt.data))
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        if error.http_status != 422:
            flash(error.message, "error")
            return see_other(back_url)
        form.forget_card()
        return rerender(form, error.errors)
    if result.outcome == payment_retry.PAID:
        flash(result.message, "success")
        return see_other(back_url)
    flash(result.message, "error" if result.outcome == payment_retry.FAILED else "info")
    return see_other(back_url + anchor)


@bp.post("/orders/<int:order_id>/pay")
@customer_required
def order_pay(order_id: int):
    def rerender(form, errors):
        detail = billing.get_order(db.session, g.tenant.id, customer().account_id, order_id)
        return page(
            "storefront/orders/detail.html",
            status=422,
            detail=detail,
            order=detail.order,
            **pay_now_context(detail, form, errors),
        )

    return pay_with_card(
        lambda **card: payment_retry.pay_now(db.session, g.tenant.id, customer(), order_id, **card),
        url_for("storefront.order", order_id=order_id),
        "#pay-now",
        rerender,
    )
