"""Invoices and credit notes as documents (issue 17, point 4): one Jinja template
(``invoice/document.html``) is the HTML print-out and, through WeasyPrint, the PDF.

Money and dates are formatted by Babel in the invoice's locale (the account's, snapshotted
when it was issued): "1.234,56 €" for de_DE, "€1,234.56" for en_IE, "1 234,56 €" for fr_FR.
The PDF is rendered from the stored invoice only (an issued invoice never changes), with no
network access (no base URL: nothing is fetched).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask import Response, render_template

from core import texts
from core.models import Invoice

DEFAULT_LOCALE = "en_IE"


def locale_of(invoice: Invoice) -> str:
    try:
        Locale.parse(invoice.locale or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError):
        return DEFAULT_LOCALE
    return invoice.locale or DEFAULT_LOCALE


def money(amount: Decimal | None, currency: str, locale: str) -> str:
    return format_currency(amount or Decimal(0), currency, locale=locale)


def day(value: date | None, locale: str) -> str:
    return format_date(value, format="medium", locale=locale) if value else ""


def percent(value: Decimal | None, locale: str) -> str:
    return format_decimal(value or 0, format="#,##0.##", locale=locale) + " %"


def period_text(line, locale: str) -> str:
    """ "1 Dec 2026 – 31 Dec 2026": the period's first and last day (its end is exclusive)."""
    if not line.period_start or not line.period_end:
        return ""
    last = line.period_end - timedelta(days=1)
    return f"{day(line.period_start, locale)} – {day(last, locale)}"


def context(invoice: Invoice, credited_invoice: Invoice | None = None) -> dict:
    locale = locale_of(invoice)
    return {
        "invoice": invoice,
        "credited_invoice": credited_invoice,
        "is_credit_note": invoice.kind == "credit_note",
        "m": lambda amount: money(amount, invoice.currency, locale),
        "d": lambda value: day(value, locale),
        "pct": lambda value: percent(value, locale),
        "period": lambda line: period_text(line, locale),
        "texts": texts,
        "title": (texts.INVOICE_KIND_LABELS.get(invoice.kind, "Invoice") + " " + invoice.number),
    }


def render_html(
    invoice: Invoice, credited_invoice: Invoice | None = None, *, for_pdf: bool = False
) -> str:
    """``for_pdf``: without the print-out's <link> to its stylesheet (the PDF is given it from
    disk; WeasyPrint, with no base URL, would log an ERROR for the link on every PDF)."""
    return render_template(
        "invoice/document.html", **context(invoice, credited_invoice), for_pdf=for_pdf
    )


STYLESHEET = Path(__file__).resolve().parents[1] / "storefront" / "static" / "css" / "invoice.css"


def render_pdf(invoice: Invoice, credited_invoice: Invoice | None = None) -> bytes:
    """The PDF of the print-out: the same HTML, its stylesheet read from disk (WeasyPrint
    gets no base URL and the HTML no <link>: it fetches nothing)."""
    from weasyprint import CSS, HTML  # imported on use: it loads Pango

    html = HTML(string=render_html(invoice, credited_invoice, for_pdf=True))
    return html.write_pdf(stylesheets=[CSS(filename=str(STYLESHEET))])


def pdf_filename(invoice: Invoice) -> str:
    return f"{invoice.number}.pdf"


def pdf_response(invoice: Invoice, credited_invoice: Invoice | None = None) -> Response:
    """The PDF as a download (``Content-Disposition: attachment``), never cached by proxies."""
    response = Response(render_pdf(invoice, credited_invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{pdf_filename(invoice)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
