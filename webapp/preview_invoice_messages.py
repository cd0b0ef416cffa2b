"""Template preview states of the invoice and credit note e-mails (PRODUCT.md 11;
core/services/invoice_messages.py): an invoice to pay, a card receipt, a credit note."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from flask import current_app

from core.rules import billing_periods
from core.services import invoice_messages
from core.services.notifications import signature
from webapp.preview_fixtures import BSS_ADMIN, NOW, state

TEMPLATE = f"email/{invoice_messages.TEMPLATE}"
START = NOW.date().replace(day=1)
PERIOD = [(START, billing_periods.add_months(START, 1))]
INVOICE = NS(
    number="SKY-000042",
    issue_date=START,
    due_date=START + timedelta(days=14),
    total=Decimal("1234.56"),
    tax_total=Decimal("230.85"),
    currency="EUR",
)


def _mail(subject: str, body: str, **links) -> dict:
    from webapp.emails import storefront_links

    context = {
        "subject": subject,
        "body": body,
        "footer": signature("Skyline Cloud"),
        "storefront_url": storefront_links("shop.skyline.example"),
        **links,
    }
    text = current_app.jinja_env.get_template(f"{TEMPLATE}.txt").render(**context)
    return {**context, "preview_text": text}


@state(
    "email",
    "invoice-issued",
    f"{TEMPLATE}.html",
    "E-mail: the billing run issued an invoice on account (due date, link to pay it, the PDF)",
    user=BSS_ADMIN,
)
def email_invoice_issued():
    return _mail(*invoice_messages.issued_mail(INVOICE, PERIOD), invoice_id=42, invoice_open=True)


@state(
    "email",
    "invoice-card-receipt",
    f"{TEMPLATE}.html",
    "E-mail: a renewal invoice paid by the saved card (receipt)",
    user=BSS_ADMIN,
)
def email_invoice_card_receipt():
    return _mail(*invoice_messages.receipt_mail(INVOICE, PERIOD, "4242", START), invoice_id=42)


@state(
    "email",
    "credit-note-issued",
    f"{TEMPLATE}.html",
    "E-mail: a credit note was issued for an invoice",
    user=BSS_ADMIN,
)
def email_credit_note_issued():
    note = NS(
        number="SKY-CN-000007",
        total=Decimal("50.00"),
        tax_total=Decimal("9.35"),
        currency="EUR",
        issue_date=START,
    )
    return _mail(
        *invoice_messages.credit_note_mail(note, INVOICE.number), invoice_id=43, credit_note=True
    )
