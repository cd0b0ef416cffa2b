"""Billing (PRODUCT.md 5.6): the customer's orders with their configured status, an order's
delivery status per item, cancelling a Submitted order, invoices."""

from __future__ import annotations

from flask import abort, flash, g, request, url_for

from core import texts
from core.services import billing, payment_retry
from core.services.errors import ServiceError
from storefront import bp
from storefront.invoice_payment_views import invoice_pay_context
from storefront.payment_views import pay_now_context
from storefront.views import customer
from webapp import invoice_documents
from webapp.auth import customer_required
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.invoice_documents import pdf_response
from webapp.web import page, see_other


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/orders")
@customer_required
def orders():
    result = billing.list_orders(db.session, g.tenant.id, customer().account_id, _page_number())
    return page(
        "storefront/orders/list.html",
        result=result,
        awaiting_payment=payment_retry.awaiting_payment(result.orders),
    )


@bp.route("/orders/<int:order_id>")
@customer_required
def order(order_id: int):
    try:
        detail = billing.get_order(db.session, g.tenant.id, customer().account_id, order_id)
    except ServiceError:
        abort(404)
    return page(
        "storefront/orders/detail.html",
        detail=detail,
        order=detail.order,
        **pay_now_context(detail),
    )


@bp.route("/orders/<int:order_id>/cancel/confirm")
@customer_required
def order_cancel_confirm(order_id: int):
    """*Cancel this order* asks first (a page without JavaScript, a dialog with it)."""
    try:
        detail = billing.get_order(db.session, g.tenant.id, customer().account_id, order_id)
    except ServiceError:
        abort(404)
    back = url_for("storefront.order", order_id=order_id)
    if not detail.can_cancel:
        flash(texts.ORDER_NOT_CANCELABLE, "error")
        return see_other(back)
    return confirm_page(
        "storefront/layout.html",
        Confirmation(
            title=texts.CONFIRM_CANCEL_ORDER_TITLE.format(number=detail.order.number),
            message=texts.CONFIRM_CANCEL_ORDER_BODY,
            yes_label=texts.CONFIRM_CANCEL_ORDER_YES,
            action_url=url_for("storefront.order_cancel", order_id=order_id),
            back_url=back,
            back_label=texts.CONFIRM_KEEP_ORDER,
        ),
    )


@bp.post("/orders/<int:order_id>/cancel")
@customer_required
def order_cancel(order_id: int):
    try:
        billing.cancel_order(db.session, g.tenant.id, customer(), order_id)
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        flash(error.message, "error")
        return see_other(url_for("storefront.order", order_id=order_id))
    flash(texts.ORDER_CANCELED, "success")
    return see_other(url_for("storefront.order", order_id=order_id))


@bp.route("/invoices")
@customer_required
def invoices():
    rows, has_next = billing.list_invoices(
        db.session, g.tenant.id, customer().account_id, _page_number()
    )
    return page(
        "storefront/invoices/list.html", invoices=rows, has_next=has_next, page_no=_page_number()
    )


@bp.route("/invoices/<int:invoice_id>")
@customer_required
def invoice(invoice_id: int):
    try:
        row = billing.get_invoice(db.session, g.tenant.id, customer().account_id, invoice_id)
    except ServiceError:
        abort(404)
    credited = billing.credited_invoice(db.session, row)
    return page(
        "storefront/invoices/detail.html",
        invoice=row,
        credited_invoice=credited,
        **invoice_pay_context(row),  # issue 17: what is owed, dunning, Pay now
    )


# --- recurring billing (issue 17): the invoice as a print-out and as a PDF ------------------


def _own_invoice(invoice_id: int):
    """The signed-in customer's account's invoice, else 404 (never another account's)."""
    try:
        row = billing.get_invoice(db.session, g.tenant.id, customer().account_id, invoice_id)
    except ServiceError:
        abort(404)
    return row, billing.credited_invoice(db.session, row)


@bp.route("/invoices/<int:invoice_id>/print")
@customer_required
def invoice_print(invoice_id: int):
    row, credited = _own_invoice(invoice_id)
    return invoice_documents.render_html(row, credited)


@bp.route("/invoices/<int:invoice_id>.pdf")
@customer_required
def invoice_pdf(invoice_id: int):
    row, credited = _own_invoice(invoice_id)
    return pdf_response(row, credited)
