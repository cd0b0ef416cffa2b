"""When an order may be scheduled (PRODUCT.md 5.5): from tomorrow to 60 days ahead in the
customer's time zone, and only for new subscriptions (with their add-ons) and one-off products;
never quantity increases, add-on increases, upgrades, trial-to-paid or trials. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from core.enums import ExecutionType
from core.rules.scheduling import is_schedulable, schedule_window


@dataclass(frozen=True)
class SchedulableLine:
    kind: str
    trial: bool
    for_existing_subscription: bool = False


def window(now: datetime, timezone: str) -> tuple[date, date]:
    allowed = schedule_window(now, timezone)
    return allowed.first, allowed.last


def date_allowed(day: date, now: datetime, timezone: str) -> bool:
    return schedule_window(now, timezone).contains(day)


def can_schedule(lines: Iterable[SchedulableLine], execution_type: str) -> bool:
    """Only automatic baskets of new subscriptions/add-ons of new items and one-off products.

    Manual orders are delivered by the operations team, who arrange the date with the customer,
    so they are not scheduled from the Storefront (our choice; PRODUCT.md is silent)."""
    lines = list(lines)
    if not lines or execution_type != ExecutionType.AUTOMATIC:
        return False
    return all(
        is_schedulable(line.kind, line.trial) and not line.for_existing_subscription
        for line in lines
    )
