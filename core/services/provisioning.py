"""Provisioning (issue 16): each executed subscription change is a ProvisioningTask, written by
the execution (exactly once, with the execution's locks) together with an outbox item; a
worker calls the product type's connector (:mod:`core.connectors`) and records every attempt.

Task states: :mod:`core.rules.provisioning`. A connector's *done* makes the task Active, *later*
makes it wait (for the vendor's signed callback, :func:`vendor_callback`, or a BSS user's
:func:`confirm_delivered` for the manual connector), *refused* makes it Failed with the reason.
A connector that cannot be reached is retried by the queue with back-off; after the last try
the task is Failed. A BSS user may :func:`retry` a failed task.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from core import texts
from core.connectors import DONE, LATER, ProvisioningRequest, Registry
from core.connectors.sandbox import verify
from core.db import utcnow, write_transaction
from core.models import (
    Account,
    Order,
    OutboxItem,
    Product,
    ProductType,
    ProvisioningAttempt,
    ProvisioningTask,
    Subscription,
    User,
)
from core.rules import provisioning as rules
from core.services import bulk, outbox, representations, webhooks
from core.services.errors import Conflict, NotFound, ValidationFailed

KIND = "provisioning"  # the outbox kind
CallbackUrl = Callable[[int], str | None]


def queue_tasks(session: Session, tenant_id: int, order_id: int, now: datetime) -> int:
    """Inside the execution's transaction: give the order's new tasks their connector and an
    outbox item each (tasks that already have one are left alone: never queued twice)."""
    rows = session.execute(
        select(ProvisioningTask.id, ProductType.connector)
        .outerjoin(Product, Product.id == ProvisioningTask.product_id)
        .outerjoin(ProductType, ProductType.id == Product.product_type_id)
        .outerjoin(
            OutboxItem, and_(OutboxItem.kind == KIND, OutboxItem.ref_id == ProvisioningTask.id)
        )
        .where(
            ProvisioningTask.tenant_id == tenant_id,
            ProvisioningTask.order_id == order_id,
            OutboxItem.id.is_(None),
        )
    ).all()
    by_connector: dict[str, list[int]] = {}
    for task_id, connector in rows:
        by_connector.setdefault(rules.connector_for(connector), []).append(task_id)
    for connector, ids in by_connector.items():
        session.execute(
            update(ProvisioningTask)
            .where(ProvisioningTask.id.in_(ids))
            .values(connector=connector, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    outbox.add_many(session, tenant_id, KIND, [task_id for task_id, _ in rows], now=now)
    return len(rows)


def connector_of(product_type_connector: str | None) -> str:
    """The connector a task of a product of this type runs on."""
    return rules.connector_for(product_type_connector)


def start_tasks(session: Session, tenant_id: int, rows: list[dict], now: datetime) -> int:
    """Inside the execution's transaction: insert its new tasks, each with its connector
    already (:func:`connector_of`), and an outbox item each, in two statements whatever
    their number (issue 19: :func:`queue_tasks` after the INSERT read them back, set their
    connector and read the outbox items back: five)."""
    if not rows:
        return 0
    ids = bulk.insert_rows(session, ProvisioningTask.__table__, rows, returning="id")
    outbox.add_many(session, tenant_id, KIND, ids, now=now)
    return len(ids)


# --- the worker's side -----------------------------------------------------------------------


def run(
    session: Session,
    item: OutboxItem,
    registry: Registry,
    callback_url: CallbackUrl = lambda task_id: None,
) -> str:
    """The outbox handler for ``provisioning`` items: one call to the connector."""
    with write_transaction(session):
        task = _lock(session, item.ref_id)
        if task.status in (rules.ACTIVE, rules.WAITING):
            return task.status  # answered already: never provisioned twice
        task.status = rules.PROVISIONING
        task.updated_at = utcnow()
        request = _request(session, task, callback_url(task.id))
        connector_name = task.connector or rules.MANUAL
    try:
        answer = registry.get(connector_name).call(request)
    except Exception as error:
        last = item.attempts >= item.max_attempts
        _record(session, item.ref_id, "error", f"{type(error).__name__}: {error}", give_up=last)
        raise
    with write_transaction(session):
        task = _lock(session, item.ref_id)
        task.external_ref = answer.external_ref or task.external_ref
        task.updated_at = utcnow()
        if answer.status == DONE:
            task.status, task.reason = rules.ACTIVE, None
        elif answer.status == LATER:
            task.status, task.reason = rules.WAITING, answer.reason
        else:
            task.status, task.reason = rules.FAILED, answer.reason or texts.PROVISIONING_REFUSED
        session.add(
            ProvisioningAttempt(
                task_id=task.id, at=utcnow(), outcome=answer.status, detail=answer.reason
            )
        )
        _announce(session, task)
        return task.status


def _record(session: Session, task_id: int, outcome: str, detail: str, *, give_up: bool):
    with write_transaction(session):
        task = _lock(session, task_id)
        session.add(
            ProvisioningAttempt(task_id=task_id, at=utcnow(), outcome=outcome, detail=detail)
        )
        task.updated_at = utcnow()
        task.reason = detail
        task.status = rules.FAILED if give_up else rules.STARTED
        _announce(session, task)


def _announce(session: Session, task: ProvisioningTask) -> None:
    """A webhook event when a task ends Active or Failed: the subscription as the public API
    shows it, with this provisioning."""
    events = {
        rules.ACTIVE: "subscription.provisioned",
        rules.FAILED: "subscription.provisioning_failed",
    }
    if task.status in events and task.subscription_id is not None:
        webhooks.emit(
            session,
            task.tenant_id,
            events[task.status],
            lambda: representations.subscription_by_id(
                session, task.tenant_id, task.subscription_id
            ),
        )


def _lock(session: Session, task_id: int) -> ProvisioningTask:
    task = session.scalar(
        select(ProvisioningTask)
        .where(ProvisioningTask.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if task is None:
        raise NotFound(texts.PROVISIONING_NOT_FOUND)
    return task


def _request(session: Session, task: ProvisioningTask, callback: str | None):
    subscription = session.get(Subscription, task.subscription_id) if task.subscription_id else None
    product = session.get(Product, task.product_id) if task.product_id else None
    order = session.get(Order, task.order_id) if task.order_id else None
    account_id = order.account_id if order else (subscription.account_id if subscription else None)
    account = session.get(Account, account_id) if account_id else None
    quantity = subscription.quantity if subscription else None
    if quantity is None and order is not None:
        quantity = next((i.quantity for i in order.items if i.product_id == task.product_id), None)
    return ProvisioningRequest(
        task_id=task.id,
        tenant_id=task.tenant_id,
        operation=rules.operation_for(task.action),
        product_code=product.code if product else None,
        quantity=quantity,
        subscription_id=task.subscription_id,
        account_name=account.name if account else None,
        callback_url=callback,
    )


# --- answers that come later -----------------------------------------------------------------


def vendor_callback(
    session: Session, task_id: int, body: bytes, signature: str | None, secret: str
) -> ProvisioningTask:
    """The sandbox vendor's signed answer for a waiting task; repeating it changes nothing.
    An unknown task is NotFound; a bad signature or body is refused before anything changes."""
    with write_transaction(session):
        task = _lock(session, task_id)
        if not verify(secret, body, signature):
            raise ValidationFailed(texts.PROVISIONING_BAD_SIGNATURE)
        try:
            payload = json.loads(body)
            status = payload["status"]
        except (ValueError, KeyError, TypeError):
            raise ValidationFailed(texts.PROVISIONING_BAD_CALLBACK) from None
        if status not in (rules.ACTIVE, rules.FAILED) or payload.get("task_id") != task_id:
            raise ValidationFailed(texts.PROVISIONING_BAD_CALLBACK)
        if task.status != rules.WAITING:
            return task  # answered before
        task.status = status
        task.reason = payload.get("reason") if status == rules.FAILED else None
        task.external_ref = payload.get("external_ref") or task.external_ref
        task.updated_at = utcnow()
        session.add(
            ProvisioningAttempt(task_id=task.id, at=utcnow(), outcome="callback", detail=status)
        )
        _announce(session, task)
    return task


def confirm_delivered(
    session: Session, tenant_id: int, task_id: int, actor: User, now: datetime | None = None
) -> ProvisioningTask:
    """A BSS user confirms a manual delivery (the manual connector's task waits for it)."""
    with write_transaction(session):
        task = _tenant_task(session, tenant_id, task_id)
        if task.status == rules.ACTIVE:
            return task
        if task.status != rules.WAITING or task.connector != rules.MANUAL:
            raise Conflict(texts.PROVISIONING_NOT_WAITING)
        task.status, task.reason, task.updated_at = rules.ACTIVE, None, now or utcnow()
        session.add(
            ProvisioningAttempt(
                task_id=task.id,
                at=now or utcnow(),
                outcome="confirmed",
                detail=texts.PROVISIONING_CONFIRMED_BY.format(name=actor.name),
            )
        )
        _announce(session, task)
    return task


def retry(
    session: Session, tenant_id: int, task_id: int, actor: User, now: datetime | None = None
) -> ProvisioningTask:
    """A failed task is tried again now (its outbox item is queued again after commit)."""
    now = now or utcnow()
    with write_transaction(session):
        task = _tenant_task(session, tenant_id, task_id)
        if task.status != rules.FAILED:
            raise Conflict(texts.PROVISIONING_ONLY_FAILED_RETRY)
        task.status, task.updated_at = rules.STARTED, now
        session.add(
            ProvisioningAttempt(
                task_id=task.id,
                at=now,
                outcome="retry",
                detail=texts.PROVISIONING_RETRIED_BY.format(name=actor.name),
            )
        )
        outbox.requeue(session, KIND, task.id, now)
    return task


def _tenant_task(session: Session, tenant_id: int, task_id: int) -> ProvisioningTask:
    task = _lock(session, task_id)
    if task.tenant_id != tenant_id:
        raise NotFound(texts.PROVISIONING_NOT_FOUND)
    return task


# --- what people see -------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    task: ProvisioningTask
    order_number: str
    account_name: str
    product_name: str | None
    attempts: list[ProvisioningAttempt]
    state: str


def list_tasks(
    session: Session, tenant_id: int, *, status: str | None = None, limit: int = 200
) -> list[TaskRow]:
    # a task the billing run wrote (a change at period end, issue 17) has no order: its
    # account is its subscription's
    query = (
        select(ProvisioningTask, Order.number, Account.name, Product.name)
        .outerjoin(Order, Order.id == ProvisioningTask.order_id)
        .outerjoin(Subscription, Subscription.id == ProvisioningTask.subscription_id)
        .join(Account, Account.id == func.coalesce(Order.account_id, Subscription.account_id))
        .outerjoin(Product, Product.id == ProvisioningTask.product_id)
        .where(ProvisioningTask.tenant_id == tenant_id)
        .order_by(ProvisioningTask.id.desc())
        .limit(limit)
    )
    if status == rules.PROVISIONING:
        query = query.where(ProvisioningTask.status.in_(rules.OPEN))
    elif status:
        query = query.where(ProvisioningTask.status == status)
    rows = session.execute(query).all()
    attempts: dict[int, list[ProvisioningAttempt]] = {}
    if rows:
        for attempt in session.scalars(
            select(ProvisioningAttempt)
            .where(ProvisioningAttempt.task_id.in_([r[0].id for r in rows]))
            .order_by(ProvisioningAttempt.id)
        ):
            attempts.setdefault(attempt.task_id, []).append(attempt)
    return [
        TaskRow(
            task,
            number,
            account,
            product,
            attempts.get(task.id, []),
            rules.display_state(task.status),
        )
        for task, number, account, product in rows
    ]


def subscription_states(
    session: Session, subscription_ids: list[int]
) -> dict[int, tuple[str, str | None]]:
    """Each subscription's provisioning state (Provisioning, Active, Failed) and reason, from
    its newest task; subscriptions without a task are absent."""
    if not subscription_ids:
        return {}
    newest = (
        select(func.max(ProvisioningTask.id))
        .where(ProvisioningTask.subscription_id.in_(subscription_ids))
        .group_by(ProvisioningTask.subscription_id)
    )
    rows = session.execute(
        select(
            ProvisioningTask.subscription_id, ProvisioningTask.status, ProvisioningTask.reason
        ).where(ProvisioningTask.id.in_(newest))
    ).all()
    return {sid: (rules.display_state(status), reason) for sid, status, reason in rows}
