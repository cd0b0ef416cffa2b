"""Why an unexecuted order waits, and for how long (the BSS dashboard, issue 13 point 15).

An order waits for each open hold (rule 4.5); the reasons are shown in this fixed order, and the
wait is counted from the oldest open hold, else from the order date."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.enums import HoldReason

REASON_ORDER = (
    HoldReason.MANUAL_EXECUTION,
    HoldReason.CREDIT_LIMIT,
    HoldReason.PAYMENT_FAILED,
    HoldReason.RESELLER_APPROVAL,
    HoldReason.SCHEDULED,
)


@dataclass(frozen=True)
class OpenHold:
    reason: str
    placed_at: datetime


@dataclass(frozen=True)
class Waited:
    """A rounded-down duration: ``amount`` of ``unit`` ("min", "h" or "d")."""

    amount: int
    unit: str


def waiting_reasons(holds: Iterable[OpenHold]) -> tuple[str, ...]:
    """The distinct reasons of the open holds, in REASON_ORDER (unknown ones last)."""
    reasons = {h.reason for h in holds}
    known = [r for r in REASON_ORDER if r in reasons]
    return tuple(known + sorted(reasons - set(REASON_ORDER)))


def waiting_since(order_date: datetime, holds: Iterable[OpenHold]) -> datetime:
    return min((h.placed_at for h in holds), default=order_date)


def waited(since: datetime, now: datetime) -> Waited:
    """Minutes under an hour, hours under two days, then days; never negative."""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return Waited(minutes, "min")
    hours = minutes // 60
    if hours < 48:
        return Waited(hours, "h")
    return Waited(hours // 24, "d")


# the customer's order page explains these holds in their own boxes (Pay now, the scheduled
# execution with Reschedule), so its "why this order waits" leaves them out
EXPLAINED_ELSEWHERE = (HoldReason.PAYMENT_FAILED, HoldReason.SCHEDULED)


def customer_waiting_reasons(holds: Iterable[OpenHold], *, closed: bool) -> tuple[str, ...]:
    """Why the customer's order waits, in REASON_ORDER; nothing once it is closed (cancelled
    or delivered: a hold left open then no longer makes it wait)."""
    if closed:
        return ()
    return tuple(r for r in waiting_reasons(holds) if r not in EXPLAINED_ELSEWHERE)


def item_delivery(executed: int, quantity: int, *, cancelled: bool) -> str:
    """An order item's delivery, as the customer reads it: "delivered", "partial", "pending",
    or, on a cancelled order, "cancelled" (nothing will be delivered) / "cancelled_partial"."""
    if executed >= quantity:
        return "delivered"
    if cancelled:
        return "cancelled_partial" if executed > 0 else "cancelled"
    return "partial" if executed > 0 else "pending"
