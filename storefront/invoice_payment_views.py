"""Paying an open invoice (issue 17, point 5): "Pay now" on the invoice page, like the order's
Pay now (storefront/payment_views.py): a plain form post answered with 303; a refused card
re-renders the invoice page with the field messages, never echoing the number. A card that
goes through is kept for the account's renewals."""

from __future__ import annotations

from flask import abort, flash, g, url_for

from core.rules.payment_retry import parse_attempt
from core.services import billing, dunning, invoice_payment
from core.services.errors import ServiceError
from storefront import bp
from storefront.forms import PayNowForm
from storefront.views import customer
from webapp.auth import customer_required
from webapp.extensions import db
from webapp.web import page, see_other


def invoice_pay_context(invoice, form: PayNowForm | None = None, errors=None) -> dict:
    """What the invoice page needs: what is owed, the payments, dunning, the Pay now form."""
    state = invoice_payment.pay_state(db.session, invoice)
    form = form or PayNowForm(formdata=None)
    form.attempt.data = str(state.attempt)
    return {
        "pay": state,
        "pay_form": form,
        "pay_errors": errors or {},
        "dunning_notice": dunning.customer_notice(invoice, state),
    }


@bp.post("/invoices/<int:invoice_id>/pay")
@customer_required
def invoice_pay(invoice_id: int):
    form = PayNowForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    invoice_url = url_for("storefront.invoice", invoice_id=invoice_id)
    try:
        result = invoice_payment.pay_invoice(
            db.session,
            g.tenant.id,
            customer(),
            invoice_id,
            card=form.card(),
            attempt=parse_attempt(form.attempt.data),
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        if error.http_status != 422:
            flash(error.message, "error")
            return see_other(invoice_url)
        form.forget_card()
        row = billing.get_invoice(db.session, g.tenant.id, customer().account_id, invoice_id)
        return page(
            "storefront/invoices/detail.html",
            status=422,
            invoice=row,
            credited_invoice=billing.credited_invoice(db.session, row),
            **invoice_pay_context(row, form, error.errors),
        )
    flash(result.message, {"paid": "success", "failed": "error"}.get(result.outcome, "info"))
    return see_other(invoice_url + ("" if result.outcome == "paid" else "#pay-invoice"))
