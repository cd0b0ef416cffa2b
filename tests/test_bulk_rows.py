"""Many rows in one statement (issue 19, fourth pass): what ``core.services.bulk`` stores is what
SQLAlchemy's own INSERT and UPDATE would store, on both engines, whatever the number of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from core.db import write_transaction
from core.models import OutboxItem, Tenant
from core.services import bulk


def _rows(tenant_id: int, refs: range, **extra) -> list[dict]:
    return [{"tenant_id": tenant_id, "kind": "bulk-test", "ref_id": ref, **extra} for ref in refs]


def test_inserted_rows_come_back_as_their_ids_in_the_order_given(session, demo):
    tenant_id = session.scalar(select(Tenant.id).limit(1))
    with write_transaction(session):
        ids = bulk.insert_rows(
            session, OutboxItem.__table__, _rows(tenant_id, range(300, 0, -1)), returning="id"
        )
    stored = dict(session.execute(select(OutboxItem.id, OutboxItem.ref_id)).all())
    assert [stored[i] for i in ids] == list(range(300, 0, -1))


def test_the_columns_python_defaults_apply_as_in_an_ordinary_insert(session, demo):
    tenant_id = session.scalar(select(Tenant.id).limit(1))
    before = datetime.now(UTC)
    with write_transaction(session):
        (item_id,) = bulk.insert_rows(
            session, OutboxItem.__table__, _rows(tenant_id, range(1, 2)), returning="id"
        )
    item = session.get(OutboxItem, item_id)
    assert (item.status, item.attempts, item.max_attempts) == ("pending", 0, 8)
    assert item.created_at >= before - timedelta(seconds=1)
    assert item.next_attempt_at is not None


def test_a_value_too_long_for_its_column_is_refused_or_kept_never_cut(session, demo, db_url):
    """The arrays are cast without the column's length: PostgreSQL refuses the value as its
    ordinary INSERT would; SQLite, which keeps strings of any length, keeps it whole."""
    tenant_id = session.scalar(select(Tenant.id).limit(1))
    long = "x" * 21
    if db_url.startswith("postgresql"):
        with pytest.raises(DBAPIError):
            with write_transaction(session):
                bulk.insert_rows(
                    session, OutboxItem.__table__, _rows(tenant_id, range(2), kind=long)
                )
        session.rollback()
        assert session.scalar(select(OutboxItem.id).where(OutboxItem.kind.like("xxx%"))) is None
        return
    with write_transaction(session):
        ids = bulk.insert_rows(
            session, OutboxItem.__table__, _rows(tenant_id, range(2), kind=long), returning="id"
        )
    kinds = session.scalars(select(OutboxItem.kind).where(OutboxItem.id.in_(ids))).all()
    assert kinds == [long, long]


def test_updated_rows_take_their_own_values(session, demo):
    tenant_id = session.scalar(select(Tenant.id).limit(1))
    with write_transaction(session):
        ids = bulk.insert_rows(
            session, OutboxItem.__table__, _rows(tenant_id, range(1, 51)), returning="id"
        )
        bulk.update_rows(
            session,
            OutboxItem.__table__,
            [
                {"id": i, "attempts": n, "last_error": f"e{n}" if n % 2 else None}
                for n, i in enumerate(ids)
            ],
        )
    rows = session.execute(
        select(OutboxItem.attempts, OutboxItem.last_error)
        .where(OutboxItem.id.in_(ids))
        .order_by(OutboxItem.id)
    ).all()
    assert rows == [(n, f"e{n}" if n % 2 else None) for n in range(50)]
    assert session.scalar(select(OutboxItem.tenant_id).where(OutboxItem.id == ids[0])) == tenant_id
