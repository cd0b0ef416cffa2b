"""Billing runs (log and "Run billing now for date"), invoices in the BSS (print-out, PDF,
credit notes), Setup › Billing (issue 17)."""

from __future__ import annotations

from dataclasses import fields

from flask import abort, flash, g, request, url_for

from bss_admin import bp
from bss_admin.billing.forms import BillingSettingsForm, CreditNoteForm, RunBillingForm
from core import texts
from core.rules import roles
from core.services import billing_admin
from core.services.errors import Conflict, NotFound, ValidationFailed
from webapp import invoice_documents
from webapp.auth import bss_required, signed_in_user
from webapp.confirm import Confirmation, confirm_page
from webapp.extensions import db
from webapp.filters import localdate
from webapp.filters import money as format_money
from webapp.web import page, see_other

billing_viewer = bss_required(*roles.roles_with(roles.BILLING))
invoice_viewer = bss_required(*roles.roles_with(roles.ACCOUNTS_VIEW))
setup_required = bss_required(*roles.roles_with(roles.SETUP))


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/billing/runs")
@billing_viewer
def billing_runs():
    return _runs_page()


def _runs_page(*, status: int = 200, errors: dict | None = None, run_date: str = ""):
    return page(
        "bss_admin/billing/runs.html",
        status=status,
        runs=billing_admin.list_runs(db.session, g.tenant_id),
        window=billing_admin.bss_run_window(db.session, g.tenant_id),
        errors=errors or {},
        run_date=run_date,
    )


@bp.route("/billing/runs/confirm")
@setup_required
def billing_run_confirm():
    """Run billing now asks first: the date, what is due by then, that invoices are final and
    cards charged. Its form posts the date to the run itself."""
    text = request.args.get("run_date", "")
    try:
        preview = billing_admin.preview_run(db.session, g.tenant_id, text)
    except ValidationFailed as error:
        return _runs_page(status=422, errors=error.errors, run_date=text)
    day = preview.run_date.isoformat()  # posted back as typed in a date field
    shown = localdate(preview.run_date)  # read as every other date
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_BILLING_RUN_TITLE.format(date=shown),
            message=texts.CONFIRM_BILLING_RUN_BODY.format(
                date=shown, subscriptions=preview.subscriptions, accounts=preview.accounts
            ),
            yes_label=texts.CONFIRM_BILLING_RUN_YES,
            action_url=url_for("bss_admin.billing_run_now"),
            back_url=url_for("bss_admin.billing_runs"),
            back_label=texts.CONFIRM_GO_BACK,
            lines=[texts.CONFIRM_BILLING_RUN_FINAL, texts.CONFIRM_BILLING_RUN_CHARGED],
            hidden={"run_date": day},
        ),
    )


@bp.post("/billing/runs")
@setup_required
def billing_run_now():
    form = RunBillingForm()
    if not form.validate_on_submit():
        abort(400)
    text = request.form.get("run_date", "")
    try:
        run_date = billing_admin.bss_run_date(db.session, g.tenant_id, text)
    except ValidationFailed as error:
        return _runs_page(status=422, errors=error.errors, run_date=text)
    from webapp import tasks

    user = signed_in_user()
    tasks.run_billing_for(g.tenant_id, run_date.isoformat(), f"{user.name} (BSS)")
    flash(texts.BILLING_RUN_QUEUED.format(date=localdate(run_date)), "success")
    return see_other(url_for("bss_admin.billing_runs"))


@bp.route("/billing/runs/<int:run_id>")
@billing_viewer
def billing_run_detail(run_id: int):
    try:
        view = billing_admin.get_run(
            db.session,
            g.tenant_id,
            run_id,
            page=_page_number(),
            outcome=request.args.get("outcome"),
        )
    except NotFound:
        abort(404)
    return page("bss_admin/billing/run.html", r=view)


def _invoice_page(invoice_id: int, *, status: int = 200, errors: dict | None = None, **extra):
    try:
        view = billing_admin.invoice_page(db.session, g.tenant_id, invoice_id)
    except NotFound:
        abort(404)
    return page(
        "bss_admin/billing/invoice.html",
        status=status,
        v=view,
        form=CreditNoteForm(),
        errors=errors or {},
        may_credit=roles.may(signed_in_user().role, roles.BILLING),
        **extra,
    )


@bp.route("/invoices/<int:invoice_id>")
@invoice_viewer
def bss_invoice(invoice_id: int):
    return _invoice_page(invoice_id)


@bp.route("/invoices/<int:invoice_id>.pdf")
@invoice_viewer
def bss_invoice_pdf(invoice_id: int):
    try:
        view = billing_admin.invoice_page(db.session, g.tenant_id, invoice_id)
    except NotFound:
        abort(404)
    return invoice_documents.pdf_response(view.invoice, view.credited_invoice)


@bp.route("/invoices/<int:invoice_id>/print")
@invoice_viewer
def bss_invoice_print(invoice_id: int):
    try:
        view = billing_admin.invoice_page(db.session, g.tenant_id, invoice_id)
    except NotFound:
        abort(404)
    return invoice_documents.render_html(view.invoice, view.credited_invoice)


def _line_ids(values) -> list[int]:
    line_ids = []
    for raw in values.getlist("line_ids"):
        if raw.isascii() and raw.isdigit() and len(raw) <= 18:
            line_ids.append(int(raw))
    return line_ids


def _credit_refused(invoice_id: int, error, values):
    errors = getattr(error, "errors", None) or {"amount": [error.message]}
    return _invoice_page(invoice_id, status=422, errors=errors, credit_values=values)


@bp.route("/invoices/<int:invoice_id>/credit-note/confirm")
@billing_viewer
def bss_credit_note_confirm(invoice_id: int):
    """Issue credit note asks first: the lines and amount it takes back, its total and reason,
    that it is final. Its form posts the same fields to the credit note itself."""
    line_ids = _line_ids(request.args)
    try:
        preview = billing_admin.preview_credit_note(
            db.session,
            g.tenant_id,
            invoice_id,
            line_ids=line_ids,
            amount_text=request.args.get("amount", ""),
            reason_text=request.args.get("reason", ""),
        )
    except NotFound:
        abort(404)
    except (ValidationFailed, Conflict) as error:
        return _credit_refused(invoice_id, error, request.args)
    invoice = preview.invoice

    def money(amount):
        return format_money(amount, invoice.currency)

    lines = [f"{description} · {money(gross)}" for description, gross in preview.lines]
    if preview.amount is not None:
        lines.append(texts.CONFIRM_CREDIT_NOTE_AMOUNT.format(amount=money(preview.amount)))
    lines.append(texts.CONFIRM_CREDIT_NOTE_REASON.format(reason=preview.reason))
    hidden: dict = {"line_ids": [str(i) for i in line_ids], "reason": preview.reason}
    if preview.amount is not None:
        hidden["amount"] = str(preview.amount)
    return confirm_page(
        "bss_admin/layout.html",
        Confirmation(
            title=texts.CONFIRM_CREDIT_NOTE_TITLE.format(
                total=money(preview.total), number=invoice.number
            ),
            message=texts.CONFIRM_CREDIT_NOTE_BODY.format(number=invoice.number),
            yes_label=texts.CONFIRM_CREDIT_NOTE_YES,
            action_url=url_for("bss_admin.bss_credit_note", invoice_id=invoice_id),
            back_url=url_for("bss_admin.bss_invoice", invoice_id=invoice_id),
            back_label=texts.CONFIRM_GO_BACK,
            lines=lines,
            hidden=hidden,
        ),
    )


@bp.post("/invoices/<int:invoice_id>/credit-note")
@billing_viewer
def bss_credit_note(invoice_id: int):
    if not CreditNoteForm().validate_on_submit():
        abort(400)
    try:
        note = billing_admin.credit_note(
            db.session,
            g.tenant_id,
            invoice_id,
            signed_in_user(),
            line_ids=_line_ids(request.form),
            amount_text=request.form.get("amount", ""),
            reason_text=request.form.get("reason", ""),
        )
    except NotFound:
        abort(404)
    except (ValidationFailed, Conflict) as error:
        return _credit_refused(invoice_id, error, request.form)
    flash(texts.CREDIT_NOTE_ISSUED.format(number=note.number), "success")
    return see_other(url_for("bss_admin.bss_invoice", invoice_id=note.id))


@bp.route("/setup/billing", methods=["GET", "POST"])
@setup_required
def billing_settings():
    form = BillingSettingsForm()
    errors: dict = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        values = billing_admin.SettingsInput(
            **{f.name: request.form.get(f.name, "") for f in fields(billing_admin.SettingsInput)}
        )
        try:
            billing_admin.save_settings(db.session, g.tenant_id, signed_in_user(), values)
        except ValidationFailed as error:
            return page(
                "bss_admin/billing/settings.html",
                status=422,
                form=form,
                values=values,
                errors=error.errors,
            )
        flash(texts.BILLING_SETTINGS_SAVED, "success")
        return see_other(url_for("bss_admin.billing_settings"))
    return page(
        "bss_admin/billing/settings.html",
        form=form,
        values=billing_admin.settings_input(db.session, g.tenant_id),
        errors=errors,
    )
