"""The outbox's retry rule (issue 16): exponential back-off, then give up.

An item that fails is tried again after 30 s, 1 min, 2 min, 4 min ... (at most 6 h apart); after
``max_attempts`` tries it is *failed* and waits for a person (the BSS *Retry* action). A worker
holds an item for :data:`LEASE`; an item still *working* after that belongs to a worker that died,
and another worker may claim it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

PENDING = "pending"
WORKING = "working"
DONE = "done"
FAILED = "failed"
STATUSES = (PENDING, WORKING, DONE, FAILED)

FIRST_DELAY = timedelta(seconds=30)
LONGEST_DELAY = timedelta(hours=6)
MAX_ATTEMPTS = 8
LEASE = timedelta(minutes=5)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try (1, 2, 3 ...)."""
    if attempts < 1:
        return timedelta(0)
    return min(FIRST_DELAY * (2 ** (attempts - 1)), LONGEST_DELAY)


@dataclass(frozen=True)
class AfterFailure:
    status: str  # PENDING (tried again at ``next_attempt_at``) or FAILED
    next_attempt_at: datetime | None


def after_failure(attempts: int, max_attempts: int, now: datetime) -> AfterFailure:
    """What becomes of an item whose ``attempts``-th try just failed."""
    if attempts >= max_attempts:
        return AfterFailure(FAILED, None)
    return AfterFailure(PENDING, now + retry_delay(attempts))
