"""A list's From / To date filter, read from the query string (BSS orders list).

Pure: takes the typed strings, gives the days to filter by and what is wrong, per field. An
invalid date is not used (the list is filtered as if it were empty); a From after a To is kept
(no order can match) and said on the From field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core import texts


@dataclass(frozen=True)
class DateRange:
    date_from: date | None
    date_to: date | None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _day(raw: str | None) -> tuple[date | None, bool]:
    """The day typed as YYYY-MM-DD, and whether what was typed is valid (empty is)."""
    text = (raw or "").strip()
    if not text:
        return None, True
    if len(text) != 10:  # fromisoformat would also take 20261201
        return None, False
    try:
        return date.fromisoformat(text), True
    except ValueError:
        return None, False


def read_date_range(raw_from: str | None, raw_to: str | None) -> DateRange:
    errors: dict[str, list[str]] = {}
    date_from, from_ok = _day(raw_from)
    date_to, to_ok = _day(raw_to)
    if not from_ok:
        errors["date_from"] = [texts.FILTER_DATE_INVALID]
    if not to_ok:
        errors["date_to"] = [texts.FILTER_DATE_INVALID]
    if date_from and date_to and date_from > date_to:
        errors["date_from"] = [texts.FILTER_DATES_INVERTED]
    return DateRange(date_from, date_to, errors)
