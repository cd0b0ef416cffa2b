"""When an order may be scheduled (PRODUCT.md 5.5): from tomorrow to 60 days ahead in the
customer's time zone, and only for new subscriptions (with their add-ons) and one-off products;
never quantity increases, add-on increases, upgrades, trial-to-paid or trials. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.enums import ExecutionType, ItemKind

MAX_DAYS_AHEAD = 60
SCHEDULABLE_KINDS = (ItemKind.NEW, ItemKind.ADDON_NEW)


@dataclass(frozen=True)
class SchedulableLine:
    kind: str
    trial: bool
    for_existing_subscription: bool = False


def customer_today(now: datetime, timezone: str) -> date:
    try:
        zone = ZoneInfo(timezone or "UTC")
    except Exception:
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def window(now: datetime, timezone: str) -> tuple[date, date]:
    today = customer_today(now, timezone)
    return today + timedelta(days=1), today + timedelta(days=MAX_DAYS_AHEAD)


def default_date(now: datetime, timezone: str) -> date:
    return window(now, timezone)[0]


def date_allowed(day: date, now: datetime, timezone: str) -> bool:
    first, last = window(now, timezone)
    return first <= day <= last


def can_schedule(lines: Iterable[SchedulableLine], execution_type: str) -> bool:
    """Only automatic baskets of new subscriptions/add-ons of new items and one-off products.

    Manual orders are delivered by the operations team, who arrange the date with the customer,
    so they are not scheduled from the Storefront (our choice; PRODUCT.md is silent)."""
    lines = list(lines)
    if not lines or execution_type != ExecutionType.AUTOMATIC:
        return False
    return all(
        line.kind in SCHEDULABLE_KINDS and not line.trial and not line.for_existing_subscription
        for line in lines
    )
