"""Paying an open invoice (issue 17, point 5): "Pay now" on the invoice page, like the order's
Pay now (storefront/payment_views.py): a plain form post answered with 303; a refused card
re-renders the invoice page with the field messages, never echoing the number. A card that
goes through is kept for the account's renewals."""

from __future__ import annotations

from flask import g, url_for

from core.services import billing, dunning, invoice_payment
from storefront import bp
from storefront.forms import PayNowForm
from storefront.payment_views import pay_with_card
from storefront.views import customer
from webapp.auth import customer_required
from webapp.extensions import db
from webapp.web import page


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
    def rerender(form, errors):
        row = billing.get_invoice(db.session, g.tenant.id, customer().account_id, invoice_id)
        return page(
            "storefront/invoices/detail.html",
            status=422,
            invoice=row,
            credited_invoice=billing.credited_invoice(db.session, row),
            **invoice_pay_context(row, form, errors),
        )

    return pay_with_card(
        lambda **card: invoice_payment.pay_invoice(
            db.session, g.tenant.id, customer(), invoice_id, **card
        ),
        url_for("storefront.invoice", invoice_id=invoice_id),
        "#pay-invoice",
        rerender,
    )
