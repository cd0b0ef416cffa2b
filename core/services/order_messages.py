"""Who is told what about an order (issue 16, PRODUCT.md 11): one function per event, called
inside the use case's transaction; each writes its messages through
:func:`core.services.notifications.notify` (so a tenant's Setup › Notifications applies, and the
outbox sends them after commit). The kinds are in :mod:`core.rules.notifications`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import texts
from core.enums import Role, UserKind
from core.models import Account, ApiOptions, Invoice, Order, Tenant, User
from core.rules import notifications as kinds
from core.rules.invoicing import notice_date
from core.rules.pricing import format_money
from core.services.notifications import notify


def customer_address(session: Session, account: Account) -> str | None:
    """The account's e-mail, else its first Storefront user's."""
    if account.email:
        return account.email
    user = session.scalar(
        select(User).where(User.account_id == account.id).order_by(User.id).limit(1)
    )
    return user.email if user else None


def customer_addresses(session: Session, account_ids) -> dict[int, str]:
    """:func:`customer_address` of many accounts in two queries (those without any are left out)."""
    ids = set(account_ids)
    if not ids:
        return {}
    found = {
        account_id: email
        for account_id, email in session.execute(
            select(Account.id, Account.email).where(Account.id.in_(ids))
        )
        if email
    }
    missing = ids - set(found)
    if missing:
        first_users = (
            select(User.account_id, func.min(User.id).label("user_id"))
            .where(User.account_id.in_(missing))
            .group_by(User.account_id)
            .subquery()
        )
        for account_id, email in session.execute(
            select(first_users.c.account_id, User.email).join(
                User, User.id == first_users.c.user_id
            )
        ):
            if email:
                found[account_id] = email
    return found


def _to_customer(session, order: Order, kind, subject, body, now, **context) -> bool:
    """Tell the order's customer; False when it has no address or the tenant turned the
    kind off."""
    account = session.get(Account, order.account_id)
    recipient = customer_address(session, account)
    if not recipient:
        return False
    context.setdefault("order_number", order.number)
    if context.get("invoice_id") or context.get("pay_order_id"):
        # the links go to the tenant's Storefront (webapp.emails.storefront_url), never to
        # the host of the request that made the message
        tenant = session.get(Tenant, order.tenant_id)
        context["storefront_host"] = tenant.host if tenant is not None else None
    note_id = notify(
        session,
        order.tenant_id,
        kind,
        recipient,
        subject,
        body,
        order_id=order.id,
        now=now,
        context=context,
    )
    return note_id is not None


def submitted(session: Session, order: Order, now: datetime | None = None) -> None:
    """The customer: the order was placed and waits (manual delivery, credit review ...)."""
    _to_customer(
        session,
        order,
        kinds.ORDER_SUBMITTED,
        texts.MAIL_SUBMITTED_SUBJECT.format(number=order.number),
        texts.MAIL_SUBMITTED_BODY.format(number=order.number),
        now,
    )


def credit_review(session: Session, order: Order, detail: str, now=None) -> bool:
    """The customer: the order waits for a credit review (instead of :func:`submitted`).
    False when the tenant turned these messages off (or the account has no address)."""
    return _to_customer(
        session,
        order,
        kinds.CREDIT_LIMIT,
        texts.MAIL_CREDIT_REVIEW_SUBJECT.format(number=order.number),
        texts.MAIL_CREDIT_REVIEW_BODY.format(number=order.number, detail=detail.rstrip(".")),
        now,
    )


def payment_failed(session: Session, order: Order, detail: str, now=None) -> None:
    """The customer: the card was declined; the message links to the order's Pay now."""
    _to_customer(
        session,
        order,
        kinds.PAYMENT_FAILED,
        texts.MAIL_PAYMENT_FAILED_SUBJECT.format(number=order.number),
        texts.MAIL_PAYMENT_FAILED_BODY.format(number=order.number, reason=detail),
        now,
        pay_order_id=order.id,
    )


def executed(
    session: Session,
    order: Order,
    invoice: Invoice | None,
    *,
    sub_order: Order | None,
    fully: bool,
    now: datetime | None = None,
) -> None:
    """The customer: the order (or a part of it) was executed, with its invoice."""
    kind = kinds.execution_kind(
        partial=sub_order is not None, fully=fully, scheduled=order.scheduled_for is not None
    )
    number = sub_order.number if sub_order is not None else order.number
    subject, body = {
        kinds.ORDER_EXECUTED: (texts.MAIL_EXECUTED_SUBJECT, texts.MAIL_EXECUTED_BODY),
        kinds.SCHEDULED_EXECUTED: (texts.MAIL_SCHEDULED_SUBJECT, texts.MAIL_EXECUTED_BODY),
        kinds.ORDER_PARTIALLY_DELIVERED: (texts.MAIL_PARTIAL_SUBJECT, texts.MAIL_PARTIAL_BODY),
    }[kind]
    invoice_text, links = "", {}
    if invoice is not None:
        total = format_money(invoice.total, invoice.currency)
        # an invoice left open (a manual order of a card customer: nothing was charged) says
        # when it is due; the message links to the invoice's page, where it can be paid
        owed = invoice.status == "open"
        invoice_text = (
            texts.MAIL_INVOICE_DUE_LINE.format(
                invoice=invoice.number, total=total, due=notice_date(invoice.due_date)
            )
            if owed
            else texts.MAIL_INVOICE_LINE.format(invoice=invoice.number, total=total)
        )
        links = {"invoice_id": invoice.id, "invoice_open": owed}
    _to_customer(
        session,
        order,
        kind,
        subject.format(number=order.number),
        body.format(number=order.number, part=number, invoice=invoice_text).strip(),
        now,
        **links,
    )


def canceled(session: Session, order: Order, now: datetime | None = None) -> None:
    _to_customer(
        session,
        order,
        kinds.ORDER_CANCELED,
        texts.MAIL_CANCELED_SUBJECT.format(number=order.number),
        texts.MAIL_CANCELED_BODY.format(number=order.number),
        now,
    )


def approval_requested(session: Session, order: Order, now: datetime | None = None) -> None:
    """The standard reseller: one of its customers' orders waits for its approval."""
    account = session.get(Account, order.account_id)
    reseller = session.get(Account, account.reseller_account_id)
    recipient = customer_address(session, reseller) if reseller else None
    if recipient:
        notify(
            session,
            order.tenant_id,
            kinds.APPROVAL_REQUESTED,
            recipient,
            texts.MAIL_APPROVAL_SUBJECT.format(number=order.number),
            texts.MAIL_APPROVAL_BODY.format(number=order.number, account=account.name),
            order_id=order.id,
            now=now,
            context={"order_number": order.number},
        )


def approval_decided(
    session: Session, order: Order, approved: bool, reason: str | None, now=None
) -> None:
    if approved:
        subject = texts.MAIL_APPROVED_SUBJECT.format(number=order.number)
        body = texts.MAIL_APPROVED_BODY.format(number=order.number)
    else:
        subject = texts.RESELLER_REJECTED_SUBJECT.format(number=order.number)
        body = texts.RESELLER_REJECTED_BODY.format(number=order.number, reason=reason)
    _to_customer(session, order, kinds.APPROVAL_DECIDED, subject, body, now)


def backorder_created(session: Session, backorder: Order, now: datetime | None = None) -> None:
    """The distributor: the responsible user of its Use of API Options, else its BSS admins."""
    options = session.scalar(
        select(ApiOptions).where(
            ApiOptions.tenant_id == backorder.tenant_id, ApiOptions.entity == "order"
        )
    )
    recipients: list[str] = []
    if options is not None and options.responsible_user_id:
        responsible = session.get(User, options.responsible_user_id)
        if responsible is not None:
            recipients.append(responsible.email)
    if not recipients:
        recipients = list(
            session.scalars(
                select(User.email).where(
                    User.tenant_id == backorder.tenant_id,
                    User.kind == UserKind.BSS,
                    User.role == Role.ADMIN,
                )
            )
        )
    for recipient in dict.fromkeys(recipients):
        notify(
            session,
            backorder.tenant_id,
            kinds.BACKORDER_CREATED,
            recipient,
            texts.MAIL_BACKORDER_SUBJECT.format(number=backorder.number),
            texts.MAIL_BACKORDER_BODY.format(
                number=backorder.number, reseller=backorder.backorder_reseller_name or ""
            ),
            order_id=backorder.id,
            now=now,
            context={"order_number": backorder.number},
        )
