"""Scheduled orders and credit (PRODUCT.md 5.5, rule 4.7): pure date and money rules.

Dates are judged in the customer's time zone: "tomorrow" and "due" mean the customer's
calendar, not the server's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core import texts
from core.enums import ItemKind
from core.rules import credit as credit_rules
from core.rules.credit import available_credit  # noqa: F401 (rule 4.7 lives in credit.py)

MAX_DAYS_AHEAD = 60
# an order left in Executing longer than this was claimed by a worker that died
EXECUTING_LEASE = timedelta(minutes=10)


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def local_today(now: datetime, tz_name: str | None) -> date:
    return now.astimezone(zone(tz_name)).date()


@dataclass(frozen=True)
class ScheduleWindow:
    first: date  # tomorrow
    last: date  # 60 days ahead

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


def schedule_window(now: datetime, tz_name: str | None) -> ScheduleWindow:
    today = local_today(now, tz_name)
    return ScheduleWindow(today + timedelta(days=1), today + timedelta(days=MAX_DAYS_AHEAD))


def default_schedule_date(now: datetime, tz_name: str | None) -> date:
    return schedule_window(now, tz_name).first


def day_month_year(day: date) -> str:
    """The pages' default date format (a viewer may have chosen another)."""
    return day.strftime("%d/%m/%Y")


def schedule_date_error(
    day: date | None,
    now: datetime,
    tz_name: str | None,
    show_date: Callable[[date], str] = day_month_year,
) -> str | None:
    """None when ``day`` is an allowed execution date, else the message for the customer, its
    dates written by ``show_date`` (the viewer's format: as the page shows them)."""
    window = schedule_window(now, tz_name)
    if day is None or not window.contains(day):
        return texts.SCHEDULE_DATE_OUT_OF_RANGE.format(
            first=show_date(window.first), last=show_date(window.last), days=MAX_DAYS_AHEAD
        )
    return None


def is_due(scheduled_for: date | None, now: datetime, tz_name: str | None) -> bool:
    return scheduled_for is not None and scheduled_for <= local_today(now, tz_name)


def can_cancel_before(scheduled_for: date | None, now: datetime, tz_name: str | None) -> bool:
    """A customer may cancel a scheduled order until its date comes."""
    return scheduled_for is not None and local_today(now, tz_name) < scheduled_for


def lease_expired(claimed_at: datetime | None, now: datetime) -> bool:
    return claimed_at is None or now - claimed_at >= EXECUTING_LEASE


def is_schedulable(kind: str, trial: bool) -> bool:
    """Only new subscriptions (with their add-ons) and one-off products can be scheduled."""
    return kind in (ItemKind.NEW, ItemKind.ADDON_NEW) and not trial


# --- credit (rule 4.7) -----------------------------------------------------------------------


def credit_shortfall(
    total: Decimal, credit_limit: Decimal | None, open_balance: Decimal
) -> Decimal | None:
    """By how much ``total`` exceeds the available credit, or None when it fits."""
    return credit_rules.credit_excess(credit_limit, open_balance, total) or None
