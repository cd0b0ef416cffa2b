"""The transactional outbox (issue 16): what must leave the system is written as an
:class:`~core.models.OutboxItem` in the use case's own transaction, and done by a worker.

- :func:`add` writes the item; once the transaction commits, its id is handed to the
  *dispatcher* (the job queue sets it, :func:`set_dispatcher`), which enqueues a task. A process
  that dies between commit and enqueue loses nothing: :func:`relay` finds every item left
  behind (pending and due, or held by a worker whose lease ran out) for a periodic task.
- :func:`process` claims the item with a conditional UPDATE (only one worker can move it to
  *working*), runs the handler for its kind outside any transaction, then marks it done; a
  failure is retried with exponential back-off (:mod:`core.rules.outbox`) and, after the
  limit, the item is *failed* until a BSS user presses *Retry* (:func:`retry`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.orm import Session

from core import texts
from core.db import utcnow, write_transaction
from core.models import Notification, OutboxItem, User, WebhookDelivery, WebhookEndpoint
from core.rules import outbox as rules
from core.services import bulk
from core.services.errors import Conflict, NotFound

log = logging.getLogger("cloudshop.outbox")

# handler(session, item): does the work, raises on failure; must tolerate a second call for
# an item whose first call succeeded but was not recorded (the worker died in between)
Handler = Callable[[Session, OutboxItem], None]
Dispatcher = Callable[[list[int]], None]

_dispatcher: Dispatcher | None = None
_NEW_IDS = "outbox_new_ids"


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    """Who is told the ids of items committed (the job queue); None: nobody (the relay)."""
    global _dispatcher
    _dispatcher = dispatcher


def add(
    session: Session, tenant_id: int, kind: str, ref_id: int, *, now: datetime | None = None
) -> OutboxItem:
    """Inside the caller's transaction: one item of work for ``kind`` about row ``ref_id``.

    Due at once by the real clock, whatever ``now`` the use case runs with (a demo's moved
    clock must not hold the work back); ``now`` is accepted for the callers' symmetry."""
    moment = utcnow()
    item = OutboxItem(
        tenant_id=tenant_id,
        kind=kind,
        ref_id=ref_id,
        status=rules.PENDING,
        attempts=0,
        max_attempts=rules.MAX_ATTEMPTS,
        next_attempt_at=moment,
        created_at=moment,
    )
    session.add(item)
    return item


def add_many(
    session: Session, tenant_id: int, kind: str, ref_ids: list[int], *, now: datetime
) -> None:
    """:func:`add` for many rows in one statement (a 500-item execution stays cheap)."""
    if not ref_ids:
        return
    now = utcnow()  # the real clock, as in add
    ids = bulk.insert_rows(  # issue 19: not read back after; one statement (:mod:`bulk`)
        session,
        OutboxItem.__table__,
        [
            {
                "tenant_id": tenant_id,
                "kind": kind,
                "ref_id": ref_id,
                "status": rules.PENDING,
                "attempts": 0,
                "max_attempts": rules.MAX_ATTEMPTS,
                "next_attempt_at": now,
                "created_at": now,
            }
            for ref_id in ref_ids
        ],
        returning="id",
    )
    session.info.setdefault(_NEW_IDS, []).extend(ids)


@event.listens_for(Session, "after_flush")
def _collect_new_items(session: Session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxItem)]
    if ids:
        session.info.setdefault(_NEW_IDS, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    if session.in_nested_transaction():
        # a SAVEPOINT released inside the use case (SQLAlchemy calls after_commit for it too):
        # nothing is committed yet, a worker would not see the items; wait for the real commit
        return
    ids = session.info.pop(_NEW_IDS, None)
    if ids:
        dispatch(ids)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    if session.in_nested_transaction():
        # a SAVEPOINT rolled back: the items written before it are still to be committed (an
        # id of a row rolled back with the savepoint is harmless: a worker finds nothing to claim)
        return
    session.info.pop(_NEW_IDS, None)


def dispatch(ids: list[int]) -> None:
    """Hand committed ids to the queue; if that fails the relay finds them later."""
    if _dispatcher is None or not ids:
        return
    try:
        _dispatcher(list(ids))
    except Exception:
        log.exception("could not enqueue outbox items %s; the relay will", ids)


# --- the worker's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # "done", "retry", "failed", "skipped" (another worker has it, or it is done)
    retry_at: datetime | None = None
    error: str | None = None


def claim(
    session: Session,
    item_id: int,
    worker: str,
    now: datetime,
    lease: timedelta = rules.LEASE,
) -> bool:
    """Pending and due, or working past its lease → working for ``worker``. One UPDATE whose
    WHERE re-checks the state, so of two workers exactly one gets the row."""
    with write_transaction(session):
        result = session.execute(
            update(OutboxItem)
            .where(
                OutboxItem.id == item_id,
                or_(
                    and_(OutboxItem.status == rules.PENDING, OutboxItem.next_attempt_at <= now),
                    and_(OutboxItem.status == rules.WORKING, OutboxItem.locked_until < now),
                ),
            )
            .values(
                status=rules.WORKING,
                locked_by=worker,
                locked_until=now + lease,
                attempts=OutboxItem.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def process(
    session: Session,
    item_id: int,
    handlers: dict[str, Handler],
    worker: str,
    *,
    now: datetime | None = None,
    lease: timedelta = rules.LEASE,
) -> Outcome:
    """Claim, act, record: the whole life of one attempt."""
    now = now or utcnow()
    if not claim(session, item_id, worker, now, lease):
        return Outcome("skipped")
    item = session.scalar(
        select(OutboxItem).where(OutboxItem.id == item_id).execution_options(populate_existing=True)
    )
    session.expunge(item)  # keep its loaded values through the rollback
    session.rollback()  # end the read; the handler opens its own transactions
    try:
        handler = handlers[item.kind]
        handler(session, item)
    except Exception as error:  # any failure of the outside world is retried
        session.rollback()
        message = f"{type(error).__name__}: {error}"[:2000]
        log.warning("outbox item %s (%s) failed: %s", item_id, item.kind, message)
        return _record_failure(session, item, worker, message, now)
    with write_transaction(session):
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.locked_by == worker)
            .values(status=rules.DONE, done_at=utcnow(), locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
    return Outcome("done")


def _record_failure(
    session: Session, item: OutboxItem, worker: str, message: str, now: datetime
) -> Outcome:
    decision = rules.after_failure(item.attempts, item.max_attempts, now)
    values = {"status": decision.status, "last_error": message, "locked_by": None}
    values["locked_until"] = None
    if decision.next_attempt_at is not None:
        values["next_attempt_at"] = decision.next_attempt_at
    with write_transaction(session):
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == item.id, OutboxItem.locked_by == worker)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    if decision.status == rules.FAILED:
        return Outcome("failed", error=message)
    return Outcome("retry", retry_at=decision.next_attempt_at, error=message)


def relay(session: Session, *, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of items left behind: pending and due, or working past the lease."""
    now = now or utcnow()
    ids = session.scalars(
        select(OutboxItem.id)
        .where(
            or_(
                and_(OutboxItem.status == rules.PENDING, OutboxItem.next_attempt_at <= now),
                and_(OutboxItem.status == rules.WORKING, OutboxItem.locked_until < now),
            )
        )
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    ).all()
    session.rollback()
    return list(ids)


def requeue(session: Session, kind: str, ref_id: int, now: datetime) -> None:
    """Inside the caller's transaction: the item of (kind, ref_id) is pending again with a fresh
    set of tries, and enqueued after commit (a retry of the work it stands for)."""
    item = session.scalar(
        select(OutboxItem)
        .where(OutboxItem.kind == kind, OutboxItem.ref_id == ref_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if item is None:
        raise NotFound(texts.OUTBOX_ITEM_NOT_FOUND)
    item.status, item.attempts, item.next_attempt_at = rules.PENDING, 0, now
    item.locked_by = item.locked_until = None
    session.flush()
    session.info.setdefault(_NEW_IDS, []).append(item.id)


# --- the BSS side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    done_at: datetime | None
    summary: str  # e.g. "To alice@acme.example: Order SO0000123 was executed"


def list_items(
    session: Session, tenant_id: int, *, status: str | None = None, limit: int = 200
) -> list[ItemRow]:
    """The tenant's items, newest first (``status`` filters)."""
    query = (
        select(
            OutboxItem,
            Notification.recipient,
            Notification.subject,
            WebhookDelivery.event_type,
            WebhookEndpoint.url,
        )
        .outerjoin(
            Notification,
            and_(OutboxItem.kind == "email", Notification.id == OutboxItem.ref_id),
        )
        .outerjoin(
            WebhookDelivery,
            and_(OutboxItem.kind == "webhook", WebhookDelivery.id == OutboxItem.ref_id),
        )
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(OutboxItem.tenant_id == tenant_id)
        .order_by(OutboxItem.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(OutboxItem.status == status)
    rows = []
    for item, recipient, subject, event_type, url in session.execute(query):
        if recipient:
            summary = f"{recipient}: {subject}"
        elif event_type:
            summary = f"{event_type} → {url}"
        else:
            summary = f"{item.kind} #{item.ref_id}"
        rows.append(
            ItemRow(
                item.id,
                item.kind,
                item.status,
                item.attempts,
                item.max_attempts,
                item.next_attempt_at,
                item.last_error,
                item.created_at,
                item.done_at,
                summary,
            )
        )
    return rows


def retry(
    session: Session,
    tenant_id: int,
    item_id: int,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> OutboxItem:
    """A failed item is tried again now, with a fresh set of attempts (enqueued on commit)."""
    now = now or utcnow()
    with write_transaction(session):
        item = session.scalar(
            select(OutboxItem)
            .where(OutboxItem.id == item_id, OutboxItem.tenant_id == tenant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if item is None:
            raise NotFound(texts.OUTBOX_ITEM_NOT_FOUND)
        if item.status != rules.FAILED:
            raise Conflict(texts.OUTBOX_ONLY_FAILED_RETRY)
        requeue(session, item.kind, item.ref_id, now)
        log.info("outbox item %s retried by %s", item.id, actor.email if actor else "system")
    return item
