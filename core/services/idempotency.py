"""Safe retries of API writes (issue 18): the first answer to a POST sent with an
``Idempotency-Key`` is stored per tenant and key, and given again to the same request; the same
key with another request is refused. A key is reserved before the write runs, so two identical
requests at once write once (the second is told to retry)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import utcnow, write_transaction
from core.models import ApiIdempotencyRecord

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def valid_key(key: str) -> bool:
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


@dataclass(frozen=True)
class Stored:
    status_code: int
    body: str


class KeyReused(Exception):
    """The key came with another request."""


class InProgress(Exception):
    """The first request with this key is still being answered."""


def reserve(
    session: Session, tenant_id: int, key: str, fingerprint: str, now: datetime | None = None
) -> Stored | None:
    """None when this request is the key's first (the key is now reserved for it); the stored
    answer when it is a retry; :class:`KeyReused` or :class:`InProgress` otherwise."""
    now = now or utcnow()
    with write_transaction(session):
        record = session.scalar(
            select(ApiIdempotencyRecord)
            .where(ApiIdempotencyRecord.tenant_id == tenant_id, ApiIdempotencyRecord.key == key)
            .with_for_update()
        )
        if record is not None and record.expires_at <= now:
            session.delete(record)
            session.flush()
            record = None
        if record is None:
            try:
                with session.begin_nested():
                    session.add(
                        ApiIdempotencyRecord(
                            tenant_id=tenant_id,
                            key=key,
                            request_hash=fingerprint,
                            created_at=now,
                            expires_at=now + KEEP_FOR,
                        )
                    )
            except IntegrityError:  # the same key, reserved at this very moment
                raise InProgress() from None
            return None
        if record.request_hash != fingerprint:
            raise KeyReused()
        if record.status_code is None:
            raise InProgress()
        return Stored(record.status_code, record.response_body or "")


def store(session: Session, tenant_id: int, key: str, status_code: int, body: str) -> None:
    with write_transaction(session):
        record = session.scalar(
            select(ApiIdempotencyRecord).where(
                ApiIdempotencyRecord.tenant_id == tenant_id, ApiIdempotencyRecord.key == key
            )
        )
        if record is not None:
            record.status_code = status_code
            record.response_body = body


def release(session: Session, tenant_id: int, key: str) -> None:
    """The request failed before it had an answer worth keeping: the key may be used again."""
    with write_transaction(session):
        session.execute(
            delete(ApiIdempotencyRecord).where(
                ApiIdempotencyRecord.tenant_id == tenant_id,
                ApiIdempotencyRecord.key == key,
                ApiIdempotencyRecord.status_code.is_(None),
            )
        )
