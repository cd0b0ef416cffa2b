"""Paying again after a failed card payment (issue 13, point 9).

A card order whose charge failed stays Submitted with a *payment failed* hold. The customer
may pay it with another card ("Pay now") while that hold is the only thing the order waits for
and nothing of it is delivered. Every attempt is charged with its own idempotency key, derived
from the order's charge key and the attempt number, so a double click or a retried request of
one attempt charges once, while a new attempt after a decline is a new charge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PAYMENT_FAILED = "payment_failed"
IN_PROGRESS = "in_progress"
CARD = "card"


@dataclass(frozen=True)
class PayNowFacts:
    status_type: str
    payment_method: str
    open_holds: frozenset[str]
    anything_executed: bool
    already_paid: bool


def can_pay_now(facts: PayNowFacts) -> bool:
    """Only a Submitted (In progress) card order waiting for nothing but its failed payment,
    not delivered in part and never paid."""
    return (
        facts.status_type == IN_PROGRESS
        and facts.payment_method == CARD
        and facts.open_holds == frozenset({PAYMENT_FAILED})
        and not facts.anything_executed
        and not facts.already_paid
    )


def next_attempt(payment_count: int) -> int:
    """The checkout's charge is attempt 1; each Pay now is the next one."""
    return payment_count + 1


def attempt_key(charge_key: str, attempt: int) -> str:
    """The gateway idempotency key of an attempt: the checkout's own key for attempt 1 (so the
    keys already stored stay valid), the same key with the attempt number after it."""
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    return charge_key if attempt == 1 else f"{charge_key}-attempt{attempt}"


def parse_attempt(raw: str | int | None) -> int | None:
    """The attempt number a Pay now form was shown for; ``None`` if missing or not a number."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 10_000 else None


def open_reasons(holds: Iterable) -> frozenset[str]:
    return frozenset(h.reason for h in holds if h.released_at is None)
