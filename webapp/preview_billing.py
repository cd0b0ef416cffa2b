"""Preview states of recurring billing (issue 17): the invoice document (print-out and PDF),
invoices with VAT, reverse charge and credit notes, My subscriptions with an ended one, the
BSS's billing runs, invoice page with credit notes, account schedule, order invoices and
Setup › Billing. Imported by webapp/preview_fixtures.py, whose ``state`` decorator registers
them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from core import texts
from core.rules import billing_periods
from core.services.billing_admin import SettingsInput
from webapp import invoice_documents
from webapp.preview_fixtures import (
    BSS_ADMIN,
    BSS_OPERATOR,
    NOW,
    _bss_order,
    _detail,
    _facts,
    _invoice,
    _order_page,
    ago,
    state,
    subscriptions,
)

_FORM = NS(hidden_tag=lambda: "")


def _reverse_charge():
    invoice = _invoice("SKY-000042", paid=False)
    for line in invoice.lines:
        line.tax_rate, line.tax_amount = Decimal("0.00"), Decimal("0.00")
    invoice.tax_total, invoice.total = Decimal("0.00"), invoice.net_total
    invoice.tax_note = texts.REVERSE_CHARGE_NOTE
    invoice.locale = "de_DE"
    return invoice


def _seller(invoice):
    invoice.seller_name = "Skyline Cloud Limited"
    invoice.seller_address = "1 Harbour Square\nDublin 2, D02 X285\nIreland"
    invoice.seller_vat_number = "IE6388047V"
    invoice.bill_to_name = "Globex Corp"
    invoice.bill_to_address = "Friedrichstraße 100\n10117 Berlin\nGermany"
    invoice.bill_to_vat_number = "DE123456789"
    return invoice


def _credit_note():
    original = _invoice("SKY-000041")
    note = _invoice("SKY-CN-000003")
    note.kind, note.status = "credit_note", "issued"  # never open: nothing to collect
    note.lines = note.lines[:1]
    note.net_total = note.lines[0].amount
    note.tax_total = note.lines[0].tax_amount
    note.total = note.net_total + note.tax_total
    note.credit_note_for_id = original.id
    return note, original


@state(
    "storefront",
    "invoice-document",
    "invoice/document.html",
    "Invoice print-out and PDF (the same template), Irish VAT",
    note="WeasyPrint renders this page as the PDF at /invoices/<id>.pdf",
)
def doc_invoice():
    invoice = _seller(_invoice("SKY-000040", paid=False))
    invoice.bill_to_name, invoice.bill_to_vat_number = "Acme Ltd", None
    return invoice_documents.context(invoice)


@state(
    "storefront",
    "invoice-document-paid",
    "invoice/document.html",
    "Paid invoice print-out: 'Paid on', no payment terms",
)
def doc_invoice_paid():
    invoice = _seller(_invoice("SKY-000042", paid=True))
    invoice.bill_to_name, invoice.bill_to_vat_number = "Acme Ltd", None
    invoice.paid_at = NOW
    return invoice_documents.context(invoice)


@state(
    "storefront",
    "invoice-document-reverse-charge",
    "invoice/document.html",
    "Invoice print-out, EU reverse charge, German locale",
)
def doc_reverse_charge():
    return invoice_documents.context(_seller(_reverse_charge()))


@state(
    "storefront",
    "credit-note-document",
    "invoice/document.html",
    "Credit note print-out",
)
def doc_credit_note():
    note, original = _credit_note()
    return invoice_documents.context(_seller(note), original)


@state(
    "storefront",
    "invoice-reverse-charge",
    "storefront/invoices/detail.html",
    "Invoice with the reverse-charge wording",
)
def sf_invoice_reverse_charge():
    return {"invoice": _reverse_charge(), "credited_invoice": None}


@state("storefront", "credit-note", "storefront/invoices/detail.html", "Credit note")
def sf_credit_note():
    note, original = _credit_note()
    return {"invoice": note, "credited_invoice": original}


@state(
    "storefront",
    "subscriptions-ended",
    "storefront/subscriptions/list.html",
    "My subscriptions: auto-renew off, one ended at its term's end",
)
def sf_subscriptions_ended():
    views = subscriptions()
    ended = views[0].subscription
    ended.status, ended.auto_renew = "ended", False
    ended.ended_on, ended.next_billing_date = (NOW - timedelta(days=3)).date(), None
    views[0].next_amount = None
    return {"views": views}


_WINDOW = billing_periods.run_date_window(NOW.date())


def _run(id_=7, status="done", **values):
    base = dict(
        id=id_,
        run_date=(NOW + timedelta(days=18)).date(),
        started_at=ago(minutes=12),
        finished_at=ago(minutes=11) if status != "running" else None,
        status=status,
        triggered_by="daily task",
        invoices_count=412,
        periods_count=1893,
        failed_count=1,
        ended_count=3,
        net_total=Decimal("48211.40"),
        error=None,
    )
    base.update(values)
    return NS(**base)


@state(
    "bss",
    "billing-runs",
    "bss_admin/billing/runs.html",
    "Billing runs: the log and Run billing now (admin)",
    user=BSS_ADMIN,
)
def bss_billing_runs():
    return {
        "runs": [
            _run(),
            _run(6, "failed", error="OperationalError: database is locked", invoices_count=10),
            _run(5, "running", triggered_by="Ada Admin (BSS)", invoices_count=0),
        ],
        "window": _WINDOW,
        "errors": {},
        "run_date": "",
    }


@state(
    "bss",
    "billing-runs-empty",
    "bss_admin/billing/runs.html",
    "Billing runs, none yet, a wrong date",
    user=BSS_ADMIN,
)
def bss_billing_runs_empty():
    return {
        "runs": [],
        "window": _WINDOW,
        "errors": {"run_date": [texts.BILLING_RUN_DATE_INVALID]},
        "run_date": "next month",
    }


@state(
    "bss",
    "billing-runs-date-outside",
    "bss_admin/billing/runs.html",
    "Billing runs: a date after today (or over a year ago) refused, what is allowed said",
    user=BSS_ADMIN,
)
def bss_billing_runs_date_outside():
    message = texts.BILLING_RUN_DATE_OUTSIDE.format(
        earliest=_WINDOW.earliest.isoformat(), latest=_WINDOW.latest.isoformat()
    )
    return {
        "runs": [_run()],
        "window": _WINDOW,
        "errors": {"run_date": [message]},
        "run_date": "2030-01-01",
    }


def _run_confirmation():
    from webapp.confirm import Confirmation

    day = _WINDOW.latest.isoformat()
    return {
        "layout": "bss_admin/layout.html",
        "c": Confirmation(
            title=texts.CONFIRM_BILLING_RUN_TITLE.format(date=day),
            message=texts.CONFIRM_BILLING_RUN_BODY.format(
                date=day, subscriptions=1893, accounts=412
            ),
            yes_label=texts.CONFIRM_BILLING_RUN_YES,
            action_url="#run",
            back_url="#runs",
            back_label=texts.CONFIRM_GO_BACK,
            lines=[texts.CONFIRM_BILLING_RUN_FINAL, texts.CONFIRM_BILLING_RUN_CHARGED],
            hidden={"run_date": day},
        ),
    }


@state(
    "bss",
    "confirm-billing-run",
    "confirm/confirm.html",
    "Confirm Run billing now: the date, what is due, final invoices, cards charged",
    user=BSS_ADMIN,
)
def bss_confirm_billing_run():
    return _run_confirmation()


def _entry(id_, outcome, account, invoice=None, sub=None, detail=None, periods=0, amount=None):
    return NS(
        entry=NS(
            id=id_,
            outcome=outcome,
            account_id=12,
            invoice_id=invoice and 900 + id_,
            subscription_id=sub and 400 + id_,
            periods=periods,
            amount=amount,
            detail=detail,
        ),
        account_name=account,
        invoice_number=invoice,
        subscription_label=sub,
    )


@state(
    "bss",
    "billing-run",
    "bss_admin/billing/run.html",
    "Billing run: what was invoiced, ended and failed, and why",
    user=BSS_ADMIN,
)
def bss_billing_run():
    entries = [
        _entry(1, "invoiced", "Acme Ltd", invoice="SKY-000120", periods=3, amount=Decimal("261")),
        _entry(2, "ended", "Globex Corp", sub="Azure Backup", detail=texts.BILLING_RUN_ENDED),
        _entry(
            3, "failed", "Initech", sub="Private Cloud", detail="Unknown billing cycle: 'weekly'"
        ),
    ]
    return {"r": NS(run=_run(), entries=entries, page=1, has_next=True, outcome=None)}


def _invoice_page(errors=None, may_credit=True):
    invoice = _invoice("SKY-000120", paid=False)
    for n, line in enumerate(invoice.lines, start=1):
        line.id = n
    note, _original = _credit_note()
    return {
        "v": NS(
            invoice=invoice,
            account=NS(id=12, name="Acme Ltd"),
            credited_invoice=None,
            credit_notes=[note],
            left=invoice.total - note.total,
            line_left={1: Decimal("0.00"), 2: Decimal("12.30")},
        ),
        "form": _FORM,
        "errors": errors or {},
        "may_credit": may_credit,
    }


@state(
    "bss",
    "invoice",
    "bss_admin/billing/invoice.html",
    "Invoice in the BSS: PDF, credit notes, credit some lines or an amount",
    user=BSS_ADMIN,
)
def bss_invoice():
    return _invoice_page()


@state(
    "bss",
    "invoice-credit-refused",
    "bss_admin/billing/invoice.html",
    "Invoice: a credit note above what is left, refused",
    user=BSS_ADMIN,
)
def bss_invoice_refused():
    message = texts.CREDIT_NOTE_TOO_LARGE.format(left="€12.30")
    return _invoice_page(errors={"amount": [message]})


@state(
    "bss",
    "invoice-operator",
    "bss_admin/billing/invoice.html",
    "Invoice seen by an operator (no credit notes)",
    user=BSS_OPERATOR,
)
def bss_invoice_operator():
    return _invoice_page(may_credit=False)


@state(
    "bss",
    "order-invoices",
    "bss_admin/orders/detail.html",
    "Order: executed, with its invoice and PDF",
    user=BSS_OPERATOR,
)
def bss_order_invoices():
    detail = _detail(_bss_order(manual=False), _facts("executed"))
    return _order_page(detail, order_invoices=[_invoice("SKY-000007")])


def _schedule():
    views = subscriptions()
    rows = [NS(subscription=v.subscription, amount=v.next_amount or Decimal(0)) for v in views]
    on = views[0].subscription.next_billing_date
    return NS(
        rows=rows,
        upcoming=[NS(on=on, currency="EUR", amount=Decimal("141.75"), subscriptions=2)],
    )


@state(
    "bss",
    "account-billing-schedule",
    "bss_admin/accounts/detail.html",
    "Account page with its billing schedule and upcoming invoices",
    user=BSS_ADMIN,
)
def bss_account_schedule():
    from webapp.preview_accounts import _account, _page

    context = _page(_account())
    context["schedule"] = _schedule()
    return context


def _settings(**values):
    base = SettingsInput(
        legal_name="Skyline Cloud Limited",
        address="1 Harbour Square\nDublin 2, D02 X285\nIreland",
        country="IE",
        vat_number="IE6388047V",
        default_vat_rate="23.00",
        payment_terms_days="14",
        invoice_prefix="SKY",
        credit_note_prefix="SKY-CN",
        rates="DE 19.00\nFR 20.00",
    )
    for key, value in values.items():
        setattr(base, key, value)
    return base


@state(
    "setup",
    "billing",
    "bss_admin/billing/settings.html",
    "Setup › Billing: seller, VAT rates per country, terms, prefixes",
    user=BSS_ADMIN,
)
def setup_billing():
    return {"form": _FORM, "values": _settings(), "errors": {}}


@state(
    "setup",
    "billing-invalid",
    "bss_admin/billing/settings.html",
    "Setup › Billing with mistakes",
    user=BSS_ADMIN,
)
def setup_billing_invalid():
    return {
        "form": _FORM,
        "values": _settings(country="Ireland", default_vat_rate="123", rates="DE nineteen"),
        "errors": {
            "country": [texts.BILLING_COUNTRY_INVALID],
            "default_vat_rate": [texts.BILLING_RATE_INVALID],
            "rates": [texts.BILLING_RATES_INVALID],
        },
    }


@state(
    "setup",
    "billing-duplicate-rate",
    "bss_admin/billing/settings.html",
    "Setup › Billing: a country rated twice, an address too long",
    user=BSS_ADMIN,
)
def setup_billing_duplicate_rate():
    return {
        "form": _FORM,
        "values": _settings(address="2 Main Street\nCork " * 200, rates="DE 19\nDE 25"),
        "errors": {
            "address": [texts.BILLING_ADDRESS_TOO_LONG.format(max=2000)],
            "rates": [texts.BILLING_RATES_DUPLICATE.format(country="DE")],
        },
    }


@state(
    "bss",
    "confirm-credit-note",
    "confirm/confirm.html",
    "Confirm Issue credit note: the lines and amount taken back, the reason, final",
    user=BSS_ADMIN,
)
def bss_confirm_credit_note():
    from webapp.confirm import Confirmation

    return {
        "layout": "bss_admin/layout.html",
        "c": Confirmation(
            title=texts.CONFIRM_CREDIT_NOTE_TITLE.format(total="€17.30", number="SKY-000120"),
            message=texts.CONFIRM_CREDIT_NOTE_BODY.format(number="SKY-000120"),
            yes_label=texts.CONFIRM_CREDIT_NOTE_YES,
            action_url="#credit-note",
            back_url="#invoice",
            back_label=texts.CONFIRM_GO_BACK,
            lines=[
                "Microsoft 365 Business Standard · €12.30",
                texts.CONFIRM_CREDIT_NOTE_AMOUNT.format(amount="€5.00"),
                texts.CONFIRM_CREDIT_NOTE_REASON.format(reason="Goodwill: outage on 2 Dec"),
            ],
            hidden={"line_ids": ["2"], "amount": "5.00", "reason": "Goodwill: outage on 2 Dec"},
        ),
    }
