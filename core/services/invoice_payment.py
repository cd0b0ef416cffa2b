"""Payment of issued invoices (issue 17, point 5).

**The billing run's hook**: :func:`collect` is called for every invoice the run issued, after
the transaction that issued it committed (:func:`collect_many`: a batch's invoices at once, in
one transaction and a constant number of statements). Contract (unchanged from the billing model):

- it runs its own transaction(s); it is idempotent per invoice (a rerun after a crash calls it
  again for invoices still open: the first attempt's payment row is found and nothing more is
  queued); it never raises for a declined card (dunning starts there).

What it does: an on-account invoice stays open until a BSS user records a payment
(:func:`record_payment`). A card account's invoice gets a *pending* :class:`Payment` (attempt
1, idempotency key ``invoice-<id>-attempt-1``) and an outbox item ``invoice_charge`` in one
short transaction; the worker charges the account's saved card (:class:`AccountCard`) through
the gateway (:func:`charge_job`), **outside** the issuing transaction and the billing run. A
gateway that does not answer raises, and the outbox tries the same item again with the same
key (the gateway answers a repeated key with its first result: never two charges); after the
outbox's last try the attempt counts as failed. An account without a saved card starts dunning
at once with "No card on file".

Every payment of an invoice ends in :func:`settle` (in :mod:`core.services.dunning`): when
payments and credit notes cover the invoice it is paid, its dunning case resolved and the
subscriptions it suspended resumed.

The customer pays an open invoice with a card from /invoices (:func:`pay_invoice`, "Pay now",
synchronous like the order's Pay now: two short transactions around the charge, the form's
attempt number making a double click one charge); a successful card is saved for renewals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.enums import PaymentMethod
from core.models import Account, AccountCard, DunningCase, Invoice, OutboxItem, Payment, User
from core.rules import amounts
from core.rules import dunning as rules
from core.rules.invoicing import notice_date
from core.services import outbox
from core.services import payments as pay
from core.services.audit import record_audit
from core.services.errors import Conflict, NotFound, ValidationFailed

LEFT_OPEN = "left_open"  # on account: open until a BSS user records a payment
CHARGE_QUEUED = "charge_queued"
NO_CARD = "no_card"  # dunning started: no card on file
ALREADY = "already"  # a second call: the first attempt exists, or the invoice is not open

log = logging.getLogger("cloudshop.invoice_payment")

KIND = "invoice_charge"  # the outbox kind of a card charge
RECORDED = "recorded"  # Payment.method of a payment a BSS user records
ZERO = Decimal("0.00")


# --- amounts ---------------------------------------------------------------------------------


def paid_amount(session: Session, invoice_id: int) -> Decimal:
    return Decimal(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.invoice_id == invoice_id, Payment.status == pay.SUCCEEDED
            )
        )
        or 0
    )


def credited_amount(session: Session, invoice_id: int) -> Decimal:
    return Decimal(
        session.scalar(
            select(func.coalesce(func.sum(Invoice.total), 0)).where(
                Invoice.credit_note_for_id == invoice_id, Invoice.kind == "credit_note"
            )
        )
        or 0
    )


def amount_owed(session: Session, invoice: Invoice) -> Decimal:
    """Gross total less succeeded payments and credit notes (never below zero); nothing on a
    credit note (money owed back to the customer, never collected)."""
    if invoice.kind != "invoice":
        return ZERO
    return rules.owed(
        invoice.total, paid_amount(session, invoice.id), credited_amount(session, invoice.id)
    )


def lock_invoice(session: Session, invoice_id: int, tenant_id: int | None = None) -> Invoice:
    query = select(Invoice).where(Invoice.id == invoice_id)
    if tenant_id is not None:
        query = query.where(Invoice.tenant_id == tenant_id)
    invoice = session.scalar(query.with_for_update().execution_options(populate_existing=True))
    if invoice is None:
        raise NotFound(texts.INVOICE_NOT_FOUND)
    return invoice


def saved_card(session: Session, account_id: int) -> AccountCard | None:
    return session.scalar(select(AccountCard).where(AccountCard.account_id == account_id))


def save_card(
    session: Session, account: Account, gateway: str, token: str, last4: str, now: datetime
) -> None:
    """Inside the caller's transaction: the account's renewals are charged to this card."""
    card = saved_card(session, account.id)
    if card is None:
        session.add(
            AccountCard(
                tenant_id=account.tenant_id,
                account_id=account.id,
                gateway=gateway,
                token=token,
                last4=last4,
                saved_at=now,
            )
        )
    else:
        card.gateway, card.token, card.last4, card.saved_at = gateway, token, last4, now


def _upsert_card(
    session: Session, account: Account, gateway: str, token: str, last4: str, now: datetime
) -> None:
    """:func:`save_card` in one statement (issue 19, fifth pass: the card was read, then
    written): INSERT ... ON CONFLICT (account_id) DO UPDATE, on both engines, built once per
    engine (eighth pass: it was built on every paid checkout)."""
    connection = session.connection()
    values = {"gateway": gateway, "token": token, "last4": last4, "saved_at": now}
    connection.execute(
        _upsert_card_statement(connection.dialect.name),
        {"tenant_id": account.tenant_id, "account_id": account.id, **values},
    )
    for obj in list(session.identity_map.values()):  # a card read earlier: read it again
        if isinstance(obj, AccountCard) and obj.account_id == account.id:
            session.expire(obj)


@cache
def _upsert_card_statement(dialect: str):
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = make(AccountCard.__table__)
    replaced = ("gateway", "token", "last4", "saved_at")
    return statement.on_conflict_do_update(
        index_elements=[AccountCard.__table__.c.account_id],
        set_={name: statement.excluded[name] for name in replaced},
    )


def keep_card(
    session: Session,
    account_id: int,
    gateway: pay.PaymentGateway,
    card: pay.CardDetails,
    now: datetime,
) -> None:
    """After a successful card payment at checkout: keep the card (as the gateway's token) to
    charge the account's renewals. Inside the caller's transaction (the payment's, issue 19:
    it was a third transaction of its own), in a savepoint: a failure here is only logged
    and undoes nothing else (the order is paid either way)."""
    try:
        token = gateway.tokenize(card)
        with session.begin_nested():
            account = session.get(Account, account_id)
            _upsert_card(session, account, gateway.name, token, card.last4, now)
    except Exception:
        log.exception("could not keep the card of account %s for renewals", account_id)


def card_payments(session: Session, invoice_id: int) -> list[Payment]:
    return list(
        session.scalars(
            select(Payment)
            .where(Payment.invoice_id == invoice_id, Payment.method == PaymentMethod.CARD)
            .order_by(Payment.id)
        )
    )


# --- the billing run's hook and the worker's charge -------------------------------------------


def collect(session: Session, invoice: Invoice) -> str:
    """Collect payment for a just-issued invoice (see the module's contract)."""
    invoice_id = invoice.id
    return collect_many(session, [invoice_id]).get(invoice_id, ALREADY)


def collect_many(session: Session, invoice_ids: list[int]) -> dict[int, str]:
    """:func:`collect` for many invoices (the billing run's batch) in a constant number of
    statements: one read of the payment methods, then one transaction with the card invoices
    locked (in id order), their payments and outbox items, or their dunning cases and
    reminders, each written in one INSERT. Returns each invoice's outcome."""
    if not invoice_ids:
        return {}
    outcomes: dict[int, str] = {}
    to_charge = []
    for invoice_id, kind, method in session.execute(
        select(Invoice.id, Invoice.kind, Account.payment_method)
        .join(Account, Account.id == Invoice.account_id)
        .where(Invoice.id.in_(invoice_ids))
    ):
        if method == PaymentMethod.ON_ACCOUNT or kind != "invoice":
            outcomes[invoice_id] = LEFT_OPEN
        else:
            to_charge.append(invoice_id)
    if not to_charge:
        session.commit()  # only a read: end it without expiring the caller's loaded objects
        return outcomes
    with write_transaction(session):
        invoices = session.execute(
            select(
                Invoice.id,
                Invoice.tenant_id,
                Invoice.account_id,
                Invoice.status,
                Invoice.total,
                Invoice.currency,
                Invoice.number,
                Invoice.issue_date,
            )
            .where(Invoice.id.in_(to_charge))
            .order_by(Invoice.id)
            .with_for_update()
        ).all()
        outcomes.update(_queue_first_attempts(session, invoices))
    return outcomes


def _queue_first_attempts(session: Session, invoices: list) -> dict[int, str]:
    """In the caller's transaction, the invoices locked: the first card attempt of each open
    invoice without one and without a dunning case (else ALREADY); no card on file starts
    dunning at once."""
    from core.services import dunning

    ids = [i.id for i in invoices]
    started = set(
        session.scalars(
            select(Payment.invoice_id).where(
                Payment.invoice_id.in_(ids), Payment.method == PaymentMethod.CARD
            )
        )
    ) | set(session.scalars(select(DunningCase.invoice_id).where(DunningCase.invoice_id.in_(ids))))
    outcomes = {i.id: ALREADY for i in invoices if i.status != "open" or i.id in started}
    fresh = [i for i in invoices if i.id not in outcomes]
    if not fresh:
        return outcomes
    owed = _owed_many(session, fresh)
    cards = {
        card.account_id: card
        for card in session.execute(
            select(AccountCard.account_id, AccountCard.gateway, AccountCard.last4).where(
                AccountCard.account_id.in_({i.account_id for i in fresh})
            )
        )
    }
    now = utcnow()
    charged = [i for i in fresh if i.account_id in cards]
    if charged:
        table = Payment.__table__
        payment_ids = session.connection().execute(
            insert(table).returning(table.c.id, table.c.tenant_id),  # any order: grouped below
            [
                {
                    "tenant_id": i.tenant_id,
                    "order_id": None,
                    "invoice_id": i.id,
                    "amount": owed[i.id],
                    "currency": i.currency,
                    "method": PaymentMethod.CARD,
                    "status": pay.PENDING,
                    "gateway": cards[i.account_id].gateway,
                    "card_last4": cards[i.account_id].last4,
                    "idempotency_key": rules.attempt_key(i.id, 1),
                    "value_date": i.issue_date,
                    "created_at": now,
                }
                for i in charged
            ],
        )
        by_tenant: dict[int, list[int]] = {}
        for payment_id, tenant_id in payment_ids:
            by_tenant.setdefault(tenant_id, []).append(payment_id)
        for tenant_id, refs in by_tenant.items():
            outbox.add_many(session, tenant_id, KIND, refs, now=now)
        outcomes.update((i.id, CHARGE_QUEUED) for i in charged)
    no_card = [i for i in fresh if i.account_id not in cards]
    by_day: dict[date, list] = {}
    for invoice in no_card:
        by_day.setdefault(invoice.issue_date, []).append(invoice)
    for day, group in by_day.items():
        dunning.first_attempts_failed(session, group, owed, texts.NO_CARD_ON_FILE, day)
    outcomes.update((i.id, NO_CARD) for i in no_card)
    return outcomes


def _owed_many(session: Session, invoices: list) -> dict[int, Decimal]:
    """:func:`amount_owed` of many invoices in two queries."""
    ids = [i.id for i in invoices]
    paid = dict(
        session.execute(
            select(Payment.invoice_id, func.sum(Payment.amount))
            .where(Payment.invoice_id.in_(ids), Payment.status == pay.SUCCEEDED)
            .group_by(Payment.invoice_id)
        ).all()
    )
    credited = dict(
        session.execute(
            select(Invoice.credit_note_for_id, func.sum(Invoice.total))
            .where(Invoice.credit_note_for_id.in_(ids), Invoice.kind == "credit_note")
            .group_by(Invoice.credit_note_for_id)
        ).all()
    )
    return {
        i.id: rules.owed(i.total, Decimal(paid.get(i.id) or 0), Decimal(credited.get(i.id) or 0))
        for i in invoices
    }


def queue_charge(session: Session, invoice: Invoice, day: date) -> Payment | None:
    """Inside the caller's transaction (invoice locked): the next card attempt as a pending
    payment of what is owed, and its outbox item. None when the account has no saved card."""
    card = saved_card(session, invoice.account_id)
    if card is None:
        return None
    attempt = len(card_payments(session, invoice.id)) + 1
    payment = Payment(
        tenant_id=invoice.tenant_id,
        order_id=None,
        invoice_id=invoice.id,
        amount=amount_owed(session, invoice),
        currency=invoice.currency,
        method=PaymentMethod.CARD,
        status=pay.PENDING,
        gateway=card.gateway,
        card_last4=card.last4,
        idempotency_key=rules.attempt_key(invoice.id, attempt),
        value_date=day,
        created_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    outbox.add(session, invoice.tenant_id, KIND, payment.id)
    return payment


def charge_job(
    session: Session, item: OutboxItem, gateway: pay.PaymentGateway | None = None
) -> str:
    """The outbox handler of ``invoice_charge`` items: charge one pending attempt. Raises when
    the gateway does not answer (the outbox retries the same key); the outbox's last try
    records the attempt as failed instead."""
    gateway = gateway or pay.default_gateway()
    with write_transaction(session):
        payment = session.get(Payment, item.ref_id)
        if payment is None or payment.status != pay.PENDING:
            return payment.status if payment else "missing"
        card = saved_card(session, _account_of(session, payment))
        token = card.token if card else None
        amount, currency, key = payment.amount, payment.currency, payment.idempotency_key
    try:
        if token is None:
            result = pay.ChargeResult(pay.DECLINED, None, texts.NO_CARD_ON_FILE)
        else:
            result = gateway.charge(
                amount=amount, currency=currency, idempotency_key=key, token=token
            )
    except Exception as error:
        if item.attempts < item.max_attempts:
            raise  # the outbox tries again, with the same key
        result = pay.ChargeResult(
            pay.ERROR, None, texts.INVOICE_CHARGE_UNAVAILABLE.format(error=error)
        )
    return finish_attempt(session, payment_id=item.ref_id, result=result)


def _account_of(session: Session, payment: Payment) -> int:
    return session.scalar(select(Invoice.account_id).where(Invoice.id == payment.invoice_id))


def finish_attempt(
    session: Session,
    *,
    payment_id: int,
    result: pay.ChargeResult,
    actor: User | None = None,
    save_card_token: tuple[str, str] | None = None,
    now: datetime | None = None,
) -> str:
    """Record the gateway's answer of one pending attempt: a success settles the invoice (and
    may save the card); a failure moves dunning on with a reminder. Repeating it changes
    nothing. Returns the payment's status."""
    from core.services import dunning, invoice_messages

    now = now or utcnow()
    with write_transaction(session):
        invoice_id = session.scalar(select(Payment.invoice_id).where(Payment.id == payment_id))
        invoice = lock_invoice(session, invoice_id)
        payment = session.scalar(
            select(Payment)
            .where(Payment.id == payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment.status != pay.PENDING:
            return payment.status
        payment.status = result.status
        payment.gateway_reference = result.reference
        payment.message = (result.message or "")[:300] or None
        day = payment.value_date or now.date()
        if result.succeeded:
            if save_card_token is not None:
                account = session.get(Account, invoice.account_id)
                save_card(session, account, payment.gateway, *save_card_token, now)
            dunning.settle(session, invoice, day, actor=actor)
            if actor is None:  # the saved card charged by the worker: the customer's receipt
                invoice_messages.renewal_paid(session, invoice, payment, day)
        elif actor is None:  # a customer's own Pay now failing is told on the page, not dunned
            dunning.attempt_failed(
                session, invoice, payment, result.message or texts.PAYMENT_DECLINED, day
            )
        return payment.status


# --- the customer pays an open invoice (Pay now) ---------------------------------------------


@dataclass
class InvoicePayResult:
    invoice_id: int
    outcome: str  # "paid", "partial", "failed", "processing"
    message: str


@dataclass
class InvoicePayState:
    """What the invoice page shows about paying it."""

    owed: Decimal
    paid: Decimal
    credited: Decimal
    payments: list[Payment]
    refund_due: Decimal  # paid beyond what the credit notes left to pay: owed back
    can_pay: bool
    attempt: int
    case: object | None  # the DunningCase, if any
    suspended: list  # the subscriptions it suspended


def pay_state(session: Session, invoice: Invoice) -> InvoicePayState:
    from core.services import dunning

    payments = list(
        session.scalars(
            select(Payment).where(Payment.invoice_id == invoice.id).order_by(Payment.id)
        )
    )
    paid = sum((p.amount for p in payments if p.status == pay.SUCCEEDED), ZERO)
    credited = credited_amount(session, invoice.id)
    owed = rules.owed(invoice.total, paid, credited) if invoice.kind == "invoice" else ZERO
    cards = [p for p in payments if p.method == PaymentMethod.CARD]
    pending = any(p.status == pay.PENDING for p in cards)
    return InvoicePayState(
        owed=owed,
        paid=paid,
        credited=credited,
        payments=payments,
        refund_due=rules.refund_due(invoice.total, paid, credited)
        if invoice.kind == "invoice"
        else ZERO,
        can_pay=invoice.kind == "invoice" and invoice.status == "open" and owed > 0 and not pending,
        attempt=len(cards) + 1,
        case=dunning.case_of(session, invoice.id),
        suspended=dunning.suspended_by(session, invoice.id),
    )


def pay_invoice(
    session: Session,
    tenant_id: int,
    user: User,
    invoice_id: int,
    *,
    card: dict,
    attempt: int | None,
    now: datetime | None = None,
    gateway: pay.PaymentGateway | None = None,
) -> InvoicePayResult:
    """The customer pays what is owed on one of the account's open invoices, once per
    ``attempt`` (the number the form showed)."""
    now = now or utcnow()
    gateway = gateway or pay.default_gateway()
    with write_transaction(session):
        invoice = lock_invoice(session, invoice_id, tenant_id)
        if invoice.account_id != user.account_id:
            raise NotFound(texts.INVOICE_NOT_FOUND)
        cards = card_payments(session, invoice.id)
        if attempt is not None and attempt <= len(cards):
            earlier = next(
                (p for p in cards if p.idempotency_key == rules.attempt_key(invoice.id, attempt)),
                None,
            )
            if earlier is not None:  # a repeat of an attempt already made: its answer
                return _outcome(session, invoice, earlier)
        owed = amount_owed(session, invoice)
        if invoice.kind != "invoice" or invoice.status != "open" or owed <= 0:
            raise Conflict(texts.INVOICE_PAY_NOT_OPEN)
        if attempt != len(cards) + 1 or any(p.status == pay.PENDING for p in cards):
            raise Conflict(texts.INVOICE_PAY_PAGE_CHANGED)
        details = pay.card_or_refuse(card, now.date())
        payment = Payment(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            amount=owed,
            currency=invoice.currency,
            method=PaymentMethod.CARD,
            status=pay.PENDING,
            gateway=gateway.name,
            card_last4=details.last4,
            idempotency_key=rules.attempt_key(invoice.id, attempt),
            value_date=now.date(),
            created_at=now,
        )
        session.add(payment)
        session.flush()
        payment_id, key, currency = payment.id, payment.idempotency_key, invoice.currency
    try:
        result = gateway.charge(amount=owed, currency=currency, idempotency_key=key, card=details)
        token = gateway.tokenize(details) if result.succeeded else None
    except Exception as error:  # a gateway outage is a failed payment, not a crash
        result = pay.ChargeResult(
            pay.ERROR, None, texts.INVOICE_CHARGE_UNAVAILABLE.format(error=error)
        )
        token = None
    finish_attempt(
        session,
        payment_id=payment_id,
        result=result,
        actor=user,
        save_card_token=(token, details.last4) if token else None,
        now=now,
    )
    with write_transaction(session):
        invoice = lock_invoice(session, invoice_id)
        return _outcome(session, invoice, session.get(Payment, payment_id))


def _outcome(session: Session, invoice: Invoice, payment: Payment) -> InvoicePayResult:
    if payment.status == pay.SUCCEEDED:
        owed = amount_owed(session, invoice)
        if owed > 0:
            return InvoicePayResult(
                invoice.id,
                "partial",
                texts.INVOICE_PAY_PARTIAL.format(owed=_money(owed, invoice), number=invoice.number),
            )
        return InvoicePayResult(
            invoice.id, "paid", texts.INVOICE_PAY_SUCCEEDED.format(number=invoice.number)
        )
    if payment.status == pay.PENDING:
        return InvoicePayResult(invoice.id, "processing", texts.INVOICE_PAY_PROCESSING)
    reason = payment.message or texts.PAYMENT_DECLINED
    return InvoicePayResult(invoice.id, "failed", texts.INVOICE_PAY_FAILED.format(reason=reason))


def _money(amount: Decimal, invoice: Invoice) -> str:
    from core.rules.pricing import format_money

    return format_money(amount, invoice.currency)


# --- a BSS user records a payment ------------------------------------------------------------


def parse_amount(raw) -> Decimal | None:
    try:
        return amounts.parse_amount(str(raw or "").strip(), comma=amounts.THOUSANDS_COMMA)
    except amounts.AmountInvalid:
        return None


def parse_day(raw, today: date) -> date | None:
    try:
        value = date.fromisoformat(str(raw or "").strip())
    except ValueError:
        return None
    return value if value <= today else None


def record_payment(
    session: Session,
    tenant_id: int,
    actor: User,
    invoice_id: int,
    *,
    amount,
    received_on,
    reference: str,
    nonce: str,
    now: datetime | None = None,
) -> tuple[Payment, Invoice]:
    """A payment received outside the shop, on an open invoice (partial allowed). ``nonce``
    is the form's one-time value: submitting the same form twice records one payment."""
    now = now or utcnow()
    errors: dict[str, list[str]] = {}
    value = parse_amount(amount)
    if value is None or value <= 0:
        errors["amount"] = [texts.RECORD_PAYMENT_AMOUNT_INVALID]
    day = parse_day(received_on, now.date())
    if day is None:
        errors["received_on"] = [texts.RECORD_PAYMENT_DATE_INVALID]
    reference = " ".join(str(reference or "").split())
    if not reference:
        errors["reference"] = [texts.RECORD_PAYMENT_REFERENCE_REQUIRED]
    elif len(reference) > rules.REFERENCE_MAX:
        errors["reference"] = [texts.RECORD_PAYMENT_REFERENCE_TOO_LONG]
    nonce = "".join(ch for ch in str(nonce or "") if ch.isalnum())[:40]
    from core.services import dunning

    with write_transaction(session):
        invoice = lock_invoice(session, invoice_id, tenant_id)  # another tenant's: not found
        if len(nonce) < 8:
            raise Conflict(texts.INVOICE_PAY_PAGE_CHANGED)
        key = rules.recorded_key(invoice.id, nonce)
        earlier = session.scalar(select(Payment).where(Payment.idempotency_key == key))
        if earlier is not None:  # the same form again: the payment it recorded
            return earlier, invoice
        if invoice.kind != "invoice":
            raise Conflict(texts.RECORD_PAYMENT_NOT_INVOICE)
        owed = amount_owed(session, invoice)
        if invoice.status != "open" or owed <= 0:
            raise Conflict(texts.RECORD_PAYMENT_NOTHING_OWED)
        if value is not None and rules.check_recorded_amount(value, owed) == "too_large":
            errors["amount"] = [texts.RECORD_PAYMENT_TOO_LARGE.format(owed=_money(owed, invoice))]
        created_on = invoice.issued_at.date() if invoice.issued_at else invoice.issue_date
        earliest, latest = rules.received_on_window(invoice.issue_date, created_on, now.date())
        if day is not None and day < earliest:
            errors["received_on"] = [
                texts.RECORD_PAYMENT_DATE_OUTSIDE.format(
                    earliest=notice_date(earliest), latest=notice_date(latest)
                )
            ]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors)
        payment = Payment(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            amount=value,
            currency=invoice.currency,
            method=RECORDED,
            status=pay.SUCCEEDED,
            gateway="bss",
            gateway_reference=reference,
            idempotency_key=key,
            value_date=day,
            recorded_by=f"{actor.name} <{actor.email}>"[:200],
            created_at=now,
        )
        session.add(payment)
        session.flush()
        record_audit(
            session,
            tenant_id,
            actor,
            "invoice",
            invoice.id,
            "payment_recorded",
            {
                "amount": str(value),
                "received_on": day,
                "reference": reference,
                "number": invoice.number,
            },
        )
        dunning.settle(session, invoice, day, actor=actor)
        return payment, invoice


def kind_of(session: Session, tenant_id: int, invoice_id: int) -> str | None:
    """An invoice's kind (invoice, credit_note), None when the tenant has no such invoice."""
    return session.scalar(
        select(Invoice.kind).where(Invoice.id == invoice_id, Invoice.tenant_id == tenant_id)
    )


@dataclass
class BssInvoice:
    invoice: Invoice
    account: Account
    state: InvoicePayState


def bss_invoice(session: Session, tenant_id: int, invoice_id: int) -> BssInvoice:
    """An invoice of the tenant with what the BSS payments page shows (NotFound otherwise)."""
    invoice = session.scalar(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.tenant_id == tenant_id)
    )
    if invoice is None:
        raise NotFound(texts.INVOICE_NOT_FOUND)
    return BssInvoice(
        invoice, session.get(Account, invoice.account_id), pay_state(session, invoice)
    )
