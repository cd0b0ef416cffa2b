"""``core.db.read_rows``: a SELECT of columns run as ``Session.execute`` runs it, minus the ORM's
execution (issue 19, tenth pass). Same rows, same transaction, same autoflush; no ORM
execution event (its set-up and per-row loading are what it saves)."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from core.db import read_rows, write_transaction
from core.models import NotificationSetting, Order
from tests.conftest import orm_executions
from tests.test_bss_support import tenant

_OFF = select(NotificationSetting.kind).where(
    NotificationSetting.tenant_id == bindparam("tenant_id"),
    NotificationSetting.enabled.is_(False),
)


def test_the_same_rows_as_session_execute_and_no_orm_execution(session, demo):
    t = tenant(session)
    statement = (
        select(Order.id, Order.number, Order.total, Order.order_date)
        .where(Order.tenant_id == t.id)
        .order_by(Order.id)
    )
    expected = [tuple(row) for row in session.execute(statement).all()]
    assert expected
    with orm_executions() as seen:
        rows = read_rows(session, statement).all()
    assert seen == []
    assert [tuple(row) for row in rows] == expected
    assert rows[0].number == expected[0][1]  # named like Session.execute's rows
    assert read_rows(session, statement).scalars().all() == [r[0] for r in expected]


class _Undo(Exception):
    pass


def test_pending_changes_are_flushed_first_as_session_execute_does(session, demo):
    t = tenant(session)
    with pytest.raises(_Undo), write_transaction(session):
        session.add(NotificationSetting(tenant_id=t.id, kind="order_executed", enabled=False))
        # the pending row is flushed, in this transaction, before the read
        assert read_rows(session, _OFF, {"tenant_id": t.id}).scalars().all() == ["order_executed"]
        session.add(NotificationSetting(tenant_id=t.id, kind="order_submitted", enabled=False))
        with session.no_autoflush:  # as Session.execute: not flushed inside no_autoflush
            assert read_rows(session, _OFF, {"tenant_id": t.id}).scalars().all() == [
                "order_executed"
            ]
        raise _Undo  # rolled back: nothing of it stays
    assert read_rows(session, _OFF, {"tenant_id": t.id}).scalars().all() == []
