"""Preview states of payment and dunning (issue 17, point 5): the invoice page with what is
owed, dunning and Pay now; My subscriptions with a suspension; the BSS payments page with
Record payment; the overdue list; the three e-mails. Imported by webapp/preview_fixtures.py,
whose ``state`` decorator registers them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from flask import current_app

from core import texts
from core.rules import dunning as rules
from core.services.dunning import notice_date
from core.services.notifications import signature
from webapp.preview_fixtures import (
    BSS_ADMIN,
    BSS_OPERATOR,
    NOW,
    _invoice,
    _pay_form,
    ago,
    state,
    subscriptions,
)

TODAY = NOW.date()
STARTED = TODAY - timedelta(days=2)


def _renewal(status="open", total="121.00"):
    invoice = _invoice("INV0000042", paid=status == "paid")
    invoice.kind = "invoice"
    invoice.status = status
    invoice.total = Decimal(total)
    invoice.issue_date = STARTED
    invoice.due_date = STARTED + timedelta(days=14)
    invoice.currency = "EUR"
    invoice.net_total = (invoice.total / Decimal("1.21")).quantize(Decimal("0.01"))
    invoice.tax_total = invoice.total - invoice.net_total
    invoice.tax_note = None
    return invoice


def _payment(id_, status, amount="121.00", method="card", message=None, days=2, **extra):
    return NS(
        id=id_,
        method=method,
        status=status,
        amount=Decimal(amount),
        currency="EUR",
        card_last4=extra.get("last4", "0002" if method == "card" else None),
        message=message,
        created_at=ago(days=days),
        value_date=TODAY - timedelta(days=days),
        gateway_reference=extra.get("reference"),
        recorded_by=extra.get("recorded_by"),
    )


def _case(status="open", steps_done=1, attempts=2, error="Your card was declined."):
    return NS(
        status=status,
        started_on=STARTED if status == "open" else TODAY - timedelta(days=15),
        steps_done=steps_done,
        failed_attempts=attempts,
        last_error=error,
        suspended_on=TODAY - timedelta(days=1) if status == "suspended" else None,
    )


def _suspended_subscription():
    view = subscriptions()[0]
    sub = view.subscription
    sub.status = "suspended"
    sub.suspended_on = TODAY - timedelta(days=1)
    sub.suspended_invoice = NS(id=42, number="INV0000042")
    return sub


def _state(payments, case=None, owed="121.00", paid="0.00", credited="0.00", suspended=()):
    return NS(
        owed=Decimal(owed),
        paid=Decimal(paid),
        credited=Decimal(credited),
        payments=payments,
        can_pay=Decimal(owed) > 0,
        attempt=len([p for p in payments if p.method == "card"]) + 1,
        case=case,
        suspended=list(suspended),
    )


def _notice(invoice, pay_state):
    from core.services.dunning import customer_notice

    return customer_notice(invoice, pay_state)


DECLINED = [
    _payment(1, "declined", message="Your card was declined.", days=2),
    _payment(2, "declined", message="Your card was declined.", days=1),
]


@state(
    "storefront",
    "invoice-dunning",
    "storefront/invoices/detail.html",
    "Invoice in dunning: the renewal charge and a retry declined, Pay now",
)
def sf_invoice_dunning():
    invoice = _renewal()
    pay_state = _state(DECLINED, _case())
    return {
        "invoice": invoice,
        "pay": pay_state,
        "pay_form": _pay_form(),
        "pay_errors": {},
        "dunning_notice": _notice(invoice, pay_state),
    }


@state(
    "storefront",
    "invoice-suspended",
    "storefront/invoices/detail.html",
    "Invoice unpaid after the schedule: its subscriptions suspended, Pay now",
)
def sf_invoice_suspended():
    invoice = _renewal()
    payments = [*DECLINED, _payment(3, "declined", message="Your card was declined.", days=1)]
    pay_state = _state(payments, _case("suspended", 4, 4), suspended=[_suspended_subscription()])
    return {
        "invoice": invoice,
        "pay": pay_state,
        "pay_form": _pay_form(),
        "pay_errors": {"card_number": ["Enter a valid card number."]},
        "dunning_notice": _notice(invoice, pay_state),
    }


@state(
    "storefront",
    "invoice-paid-after-dunning",
    "storefront/invoices/detail.html",
    "Invoice paid with Pay now after a declined charge (nothing owed, no form)",
)
def sf_invoice_paid_after_dunning():
    invoice = _renewal("paid")
    payments = [DECLINED[0], _payment(2, "succeeded", days=0, last4="4242")]
    pay_state = _state(payments, _case("resolved"), owed="0.00", paid="121.00")
    pay_state.can_pay = False
    return {"invoice": invoice, "pay": pay_state, "pay_form": _pay_form(), "pay_errors": {}}


@state(
    "storefront",
    "subscriptions-suspended",
    "storefront/subscriptions/list.html",
    "My subscriptions with one suspended for an unpaid invoice",
)
def sf_subscriptions_suspended():
    views = subscriptions()
    views[0].subscription = _suspended_subscription()
    return {"views": views}


def _bss_detail(status="open", payments=(), case=None, owed="121.00", suspended=(), **kw):
    invoice = _renewal(status)
    account = NS(id=12, name="Globex Corp", payment_method=kw.get("method", "on_account"))
    pay_state = _state(list(payments), case, owed=owed, suspended=suspended)
    return invoice, NS(invoice=invoice, account=account, state=pay_state)


def _record_form(amount="121.00"):
    from bss_admin.invoice_payment_views import RecordPaymentForm

    return RecordPaymentForm(
        formdata=None,
        data={"amount": amount, "received_on": TODAY.isoformat(), "nonce": "preview0nonce"},
    )


@state(
    "bss",
    "invoice-payments",
    "bss_admin/invoices/payments.html",
    "Invoice payments: on account, one partial payment recorded, Record payment",
    user=BSS_ADMIN,
)
def bss_invoice_payments():
    payment = _payment(
        1,
        "succeeded",
        amount="21.00",
        method="recorded",
        reference="BANK 2026-118",
        recorded_by="Ada Admin <admin@skyline.example>",
    )
    invoice, detail = _bss_detail(payments=[payment], owed="100.00")
    return {
        "invoice": invoice,
        "detail": detail,
        "form": _record_form("100.00"),
        "errors": {},
        "may_record": True,
        "dunning_notice": None,
    }


@state(
    "bss",
    "invoice-payments-errors",
    "bss_admin/invoices/payments.html",
    "Record payment refused: more than owed, no reference",
    user=BSS_ADMIN,
)
def bss_invoice_payments_errors():
    invoice, detail = _bss_detail()
    return {
        "invoice": invoice,
        "detail": detail,
        "form": _record_form("500.00"),
        "errors": {
            "amount": [texts.RECORD_PAYMENT_TOO_LARGE.format(owed="€121.00")],
            "reference": [texts.RECORD_PAYMENT_REFERENCE_REQUIRED],
        },
        "may_record": True,
        "dunning_notice": None,
    }


@state(
    "bss",
    "invoice-payments-suspended",
    "bss_admin/invoices/payments.html",
    "Invoice in dunning, subscriptions suspended (operator: sees, cannot record)",
    user=BSS_OPERATOR,
)
def bss_invoice_payments_suspended():
    case = _case("suspended", 4, 4)
    invoice, detail = _bss_detail(
        payments=DECLINED, case=case, suspended=[_suspended_subscription()], method="card"
    )
    return {
        "invoice": invoice,
        "detail": detail,
        "form": _record_form(),
        "errors": {},
        "may_record": False,
        "dunning_notice": _notice(invoice, detail.state),
    }


def _overdue_row(id_, account, days, owed, stage, action):
    return NS(
        invoice_id=id_,
        number=f"INV00000{id_}",
        account_id=10 + id_,
        account_name=account,
        due_date=TODAY - timedelta(days=days),
        days_overdue=days,
        owed=Decimal(owed),
        currency="EUR",
        stage=stage,
        next_action=action,
    )


@state(
    "bss",
    "overdue",
    "bss_admin/invoices/overdue.html",
    "Overdue invoices: retrying, retries used up, suspended, on account",
    user=BSS_ADMIN,
)
def bss_overdue():
    def when(n):
        return notice_date(STARTED + timedelta(days=n))

    return {
        "intro": texts.OVERDUE_INTRO.format(days="1, 3, 7", suspend=14),
        "rows": [
            _overdue_row(
                42,
                "Acme Ltd",
                0,
                "121.00",
                texts.DUNNING_STAGE_RETRY.format(n=2),
                texts.DUNNING_NEXT_RETRY.format(date=when(3)),
            ),
            _overdue_row(
                40,
                "Initech",
                0,
                "60.50",
                texts.DUNNING_STAGE_LABELS["suspension"],
                texts.DUNNING_NEXT_SUSPEND.format(date=when(14)),
            ),
            _overdue_row(
                37,
                "Wayne Enterprises",
                3,
                "484.00",
                texts.DUNNING_STAGE_LABELS["suspended"],
                texts.DUNNING_NEXT_WAIT,
            ),
            _overdue_row(
                31,
                "Globex Corp",
                21,
                "1210.00",
                texts.DUNNING_STAGE_LABELS["on_account"],
                texts.DUNNING_NEXT_RECORD,
            ),
        ],
    }


@state(
    "bss",
    "overdue-empty",
    "bss_admin/invoices/overdue.html",
    "Overdue invoices: none",
    user=BSS_ADMIN,
)
def bss_overdue_empty():
    return {"intro": texts.OVERDUE_INTRO.format(days="1, 3, 7", suspend=14), "rows": []}


def _mail(subject: str, body: str) -> dict:
    context = {
        "subject": subject,
        "body": body,
        "invoice_number": "INV0000042",
        "footer": signature("Skyline Cloud"),
    }
    text = current_app.jinja_env.get_template("email/invoice_message.txt").render(**context)
    return {**context, "preview_text": text}


@state(
    "email",
    "invoice-payment-failed",
    "email/invoice_message.html",
    "E-mail: a renewal charge failed (reminder with the next retry and the suspension date)",
    user=BSS_ADMIN,
)
def email_invoice_payment_failed():
    reminder = rules.reminder(STARTED, 1, 2)
    return _mail(
        texts.MAIL_DUNNING_FAILED_SUBJECT.format(number="INV0000042"),
        texts.MAIL_DUNNING_FAILED_BODY.format(
            amount="€121.00",
            number="INV0000042",
            reason="Your card was declined.",
            next=texts.MAIL_DUNNING_NEXT_RETRY.format(
                retry=notice_date(reminder.next_retry_on), suspend=notice_date(reminder.suspend_on)
            ),
        ),
    )


@state(
    "email",
    "subscriptions-suspended",
    "email/invoice_message.html",
    "E-mail: subscriptions suspended for an unpaid invoice",
    user=BSS_ADMIN,
)
def email_subscriptions_suspended():
    return _mail(
        texts.MAIL_SUSPENDED_SUBJECT.format(number="INV0000042"),
        texts.MAIL_SUSPENDED_BODY.format(
            number="INV0000042",
            amount="€121.00",
            subscriptions="Microsoft 365 Business Standard (10), Azure Backup (1)",
        ),
    )


@state(
    "email",
    "subscriptions-resumed",
    "email/invoice_message.html",
    "E-mail: subscriptions resumed once the invoice was paid",
    user=BSS_ADMIN,
)
def email_subscriptions_resumed():
    return _mail(
        texts.MAIL_RESUMED_SUBJECT.format(number="INV0000042"),
        texts.MAIL_RESUMED_BODY.format(
            number="INV0000042", subscriptions="Microsoft 365 Business Standard (10)"
        ),
    )


# --- order messages with links (the invoice to pay, Pay now) ---------------------------------


def _order_mail(subject: str, body: str, **links) -> dict:
    from webapp.emails import storefront_links

    context = {
        "subject": subject,
        "body": body,
        "order_number": "SO0000123",
        "footer": signature("Skyline Cloud"),
        "storefront_url": storefront_links("shop.skyline.example"),
        **links,
    }
    text = current_app.jinja_env.get_template("email/message.txt").render(**context)
    return {**context, "preview_text": text}


@state(
    "email",
    "order-executed-invoice-due",
    "email/message.html",
    "E-mail: a manual order executed, its invoice open (due date, link to pay it)",
    user=BSS_ADMIN,
)
def email_order_executed_invoice_due():
    due = notice_date((NOW + timedelta(days=14)).date())
    return _order_mail(
        texts.MAIL_EXECUTED_SUBJECT.format(number="SO0000123"),
        texts.MAIL_EXECUTED_BODY.format(
            number="SO0000123",
            invoice=texts.MAIL_INVOICE_DUE_LINE.format(
                invoice="SKY-000042", total="€553.50", due=due
            ),
        ),
        invoice_id=42,
        invoice_open=True,
    )


@state(
    "email",
    "order-payment-failed",
    "email/message.html",
    "E-mail: a card declined at checkout (link to the order's Pay now)",
    user=BSS_ADMIN,
)
def email_order_payment_failed():
    return _order_mail(
        texts.MAIL_PAYMENT_FAILED_SUBJECT.format(number="SO0000123"),
        texts.MAIL_PAYMENT_FAILED_BODY.format(number="SO0000123", reason="Your card was declined."),
        pay_order_id=123,
    )
