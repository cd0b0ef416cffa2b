"""Payments of invoices in the BSS (issue 17, point 5): an invoice's payments page with
"Record payment" (admin and finance: core.rules.roles BILLING), and "Overdue invoices" (the
dunning list) for the roles that see accounts. A recorded payment carries the form's one-time
value, so a double submit records it once."""

from __future__ import annotations

import secrets

from flask import abort, flash, g, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField

from bss_admin import bp
from core import texts
from core.db import utcnow
from core.rules import roles
from core.services import dunning, invoice_payment
from core.services.errors import ServiceError
from webapp.auth import bss_required, signed_in_user
from webapp.extensions import db
from webapp.web import page, see_other

viewer = bss_required(*roles.roles_with(roles.ACCOUNTS_VIEW))
recorder = bss_required(*roles.roles_with(roles.BILLING))


class RecordPaymentForm(FlaskForm):
    amount = StringField(texts.RECORD_PAYMENT_AMOUNT, render_kw={"inputmode": "decimal"})
    received_on = StringField(texts.RECORD_PAYMENT_DATE, render_kw={"type": "date"})
    reference = StringField(texts.RECORD_PAYMENT_REFERENCE, render_kw={"maxlength": "120"})
    nonce = HiddenField()


def _page(invoice_id: int, form: RecordPaymentForm | None = None, errors=None, status=200):
    try:
        detail = invoice_payment.bss_invoice(db.session, g.tenant_id, invoice_id)
    except ServiceError:
        abort(404)
    if form is None:
        form = RecordPaymentForm(formdata=None)
        form.amount.data = str(detail.state.owed)
        form.received_on.data = utcnow().date().isoformat()
    form.nonce.data = form.nonce.data or secrets.token_hex(12)
    return page(
        "bss_admin/invoices/payments.html",
        status=status,
        detail=detail,
        invoice=detail.invoice,
        form=form,
        errors=errors or {},
        may_record=roles.may(signed_in_user().role, roles.BILLING),
        dunning_notice=dunning.customer_notice(detail.invoice, detail.state),
    )


@bp.route("/invoices/<int:invoice_id>/payments")
@viewer
def invoice_payments(invoice_id: int):
    kind = invoice_payment.kind_of(db.session, g.tenant_id, invoice_id)
    if kind is not None and kind != "invoice":  # a credit note: no payments, nothing owed
        return see_other(url_for("bss_admin.bss_invoice", invoice_id=invoice_id))
    return _page(invoice_id)


@bp.post("/invoices/<int:invoice_id>/payments")
@recorder
def invoice_record_payment(invoice_id: int):
    form = RecordPaymentForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        payment, invoice = invoice_payment.record_payment(
            db.session,
            g.tenant_id,
            signed_in_user(),
            invoice_id,
            amount=form.amount.data,
            received_on=form.received_on.data,
            reference=form.reference.data,
            nonce=form.nonce.data,
        )
    except ServiceError as error:
        if error.http_status == 404:
            abort(404)
        if error.http_status == 422:
            return _page(invoice_id, form, error.errors, status=422)
        flash(error.message, "error")
        return see_other(url_for("bss_admin.invoice_payments", invoice_id=invoice_id))
    from core.rules.pricing import format_money

    template = texts.RECORD_PAYMENT_PAID if invoice.status == "paid" else texts.RECORD_PAYMENT_DONE
    flash(
        template.format(
            amount=format_money(payment.amount, payment.currency), number=invoice.number
        ),
        "success",
    )
    return see_other(url_for("bss_admin.invoice_payments", invoice_id=invoice_id))


@bp.route("/billing/overdue")
@viewer
def overdue_invoices():
    return page(
        "bss_admin/invoices/overdue.html",
        rows=dunning.overdue(db.session, g.tenant_id, utcnow().date()),
        intro=dunning.intro(),
    )
