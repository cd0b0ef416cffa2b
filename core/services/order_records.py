"""Side records a BSS user adds to any order (PRODUCT.md section 8): activities, related
e-mails and cases. They never change the order itself, so they stay allowed on executed orders
and on back-orders, where almost everything else is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.models import Case, Order, OrderActivity, OrderEmail, User
from core.services.audit import record_order_event
from core.services.errors import NotFound, ValidationFailed

CASE_STATUSES = (("open", "Open"), ("in_progress", "In progress"), ("closed", "Closed"))
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


@dataclass
class OrderRecords:
    activities: list[tuple[OrderActivity, str | None]]  # with the author's name
    emails: list[OrderEmail]
    cases: list[Case]


def _order(session: Session, tenant_id: int, order_id: int) -> Order:
    order = session.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id))
    if order is None:
        raise NotFound(texts.NOT_FOUND)
    return order


def get_order(session: Session, tenant_id: int, order_id: int) -> Order:
    return _order(session, tenant_id, order_id)


def list_records(session: Session, tenant_id: int, order_id: int) -> OrderRecords:
    order = _order(session, tenant_id, order_id)
    activities = session.execute(
        select(OrderActivity, User.name)
        .outerjoin(User, User.id == OrderActivity.user_id)
        .where(OrderActivity.order_id == order.id)
        .order_by(OrderActivity.at.desc(), OrderActivity.id.desc())
    ).all()
    emails = session.scalars(
        select(OrderEmail)
        .where(OrderEmail.order_id == order.id)
        .order_by(OrderEmail.at.desc(), OrderEmail.id.desc())
    ).all()
    cases = session.scalars(
        select(Case)
        .where(Case.order_id == order.id, Case.tenant_id == tenant_id)
        .order_by(Case.created_at.desc(), Case.id.desc())
    ).all()
    return OrderRecords([(a, name) for a, name in activities], list(emails), list(cases))


def _text(value: str | None, field: str, limit: int, errors: dict, required: str | None = None):
    value = (value or "").strip()
    if not value and required:
        errors[field] = [required]
    elif len(value) > limit:
        errors[field] = [texts.TEXT_TOO_LONG.format(max=limit)]
    return value


def _refuse_if(errors: dict) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)


def add_activity(
    session: Session,
    tenant_id: int,
    order_id: int,
    user: User | None,
    *,
    subject: str,
    notes: str | None = None,
    now: datetime | None = None,
) -> OrderActivity:
    errors: dict[str, list[str]] = {}
    subject = _text(subject, "subject", 200, errors, texts.ACTIVITY_SUBJECT_REQUIRED)
    notes = _text(notes, "notes", 5000, errors)
    _refuse_if(errors)
    with write_transaction(session):
        order = _order(session, tenant_id, order_id)
        activity = OrderActivity(
            order_id=order.id,
            user_id=user.id if user else None,
            at=now or utcnow(),
            subject=subject,
            notes=notes or None,
        )
        session.add(activity)
        record_order_event(session, order, "note", actor=user, note=f"Activity: {subject}")
    return activity


def relate_email(
    session: Session,
    tenant_id: int,
    order_id: int,
    user: User | None,
    *,
    sender: str,
    recipient: str,
    subject: str,
    body: str | None = None,
    now: datetime | None = None,
) -> OrderEmail:
    errors: dict[str, list[str]] = {}
    sender = _text(sender, "sender", 255, errors, texts.EMAIL_ADDRESS_INVALID)
    recipient = _text(recipient, "recipient", 255, errors, texts.EMAIL_ADDRESS_INVALID)
    for field, value in (("sender", sender), ("recipient", recipient)):
        if field not in errors and not _EMAIL.match(value):
            errors[field] = [texts.EMAIL_ADDRESS_INVALID]
    subject = _text(subject, "subject", 300, errors, texts.EMAIL_SUBJECT_REQUIRED)
    body = _text(body, "body", 20000, errors)
    _refuse_if(errors)
    with write_transaction(session):
        order = _order(session, tenant_id, order_id)
        email = OrderEmail(
            order_id=order.id,
            user_id=user.id if user else None,
            at=now or utcnow(),
            sender=sender,
            recipient=recipient,
            subject=subject,
            body=body or None,
        )
        session.add(email)
        record_order_event(session, order, "note", actor=user, note=f"E-mail related: {subject}")
    return email


def create_case(
    session: Session,
    tenant_id: int,
    order_id: int,
    user: User | None,
    *,
    title: str,
    description: str | None = None,
    status: str = "open",
    now: datetime | None = None,
) -> Case:
    errors: dict[str, list[str]] = {}
    title = _text(title, "title", 200, errors, texts.CASE_TITLE_REQUIRED)
    description = _text(description, "description", 20000, errors)
    if status not in dict(CASE_STATUSES):
        errors["status"] = [texts.CASE_STATUS_INVALID]
    _refuse_if(errors)
    with write_transaction(session):
        order = _order(session, tenant_id, order_id)
        case = Case(
            tenant_id=tenant_id,
            order_id=order.id,
            title=title,
            description=description or None,
            status=status,
            created_by_user_id=user.id if user else None,
            created_at=now or utcnow(),
        )
        session.add(case)
        record_order_event(session, order, "note", actor=user, note=f"Case created: {title}")
    return case
