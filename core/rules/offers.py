"""Offers (PRODUCT.md 6.5): pure rules over plain values.

Offer statuses change only by hand; which status a new offer starts in, which statuses a user
may pick, and when an offer may become an order are decided here. Statuses are identified by
their stable ``default_key`` or their Type, never by their (editable) description.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core import texts
from core.rules import amounts
from core.rules.basket import is_whole_number
from core.rules.statuses import OfferStatusType, StatusRow

CENT = Decimal("0.01")
MAX_QUANTITY = 100_000
MAX_PRICE = Decimal("1000000")
IN_PROGRESS_KEY = "in_progress"
# the tenant's offer numbers come from its own sequence (``document_number_sequence`` of this
# kind), never from the row's id: SQLite gives a deleted last row's id to the next one
NUMBER_SEQUENCE = "offer"


def offer_number(sequence_number: int) -> str:
    """OF0000001 for a tenant's first offer."""
    return f"OF{sequence_number:07d}"


@dataclass(frozen=True)
class OfferLine:
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def _by_priority(rows: Iterable[StatusRow]) -> list[StatusRow]:
    return sorted(rows, key=lambda r: (r.mandatory_key is None, r.number, str(r.key)))


def default_status(rows: Sequence[StatusRow]) -> StatusRow | None:
    """The status a new offer starts in: the default In Progress one, else the first live
    status of Type In progress."""
    live = [r for r in rows if r.live]
    for row in live:
        if row.mandatory_key == IN_PROGRESS_KEY:
            return row
    candidates = _by_priority(r for r in live if r.type == OfferStatusType.IN_PROGRESS)
    return candidates[0] if candidates else None


def selectable_statuses(
    rows: Sequence[StatusRow], current_key: str | None = None
) -> list[StatusRow]:
    """Statuses a user may pick in Edit: every live one (plus the current one, so an offer in a
    since-deactivated status can be saved unchanged)."""
    return sorted(
        (r for r in rows if r.live or r.key == current_key), key=lambda r: (r.number, str(r.key))
    )


def check_status_choice(
    rows: Sequence[StatusRow], chosen_key: str, current_key: str | None = None
) -> str | None:
    """An error message if ``chosen_key`` may not be picked, else None."""
    if chosen_key not in {r.key for r in selectable_statuses(rows, current_key)}:
        return texts.OFFER_STATUS_INVALID
    return None


def conversion_refusal(status_type: str, converted: bool, item_count: int) -> str | None:
    """Why an offer cannot become an order, or None when it can."""
    if converted:
        return texts.OFFER_ALREADY_CONVERTED
    if status_type != OfferStatusType.ACCEPTED:
        return texts.OFFER_NOT_ACCEPTED
    if item_count == 0:
        return texts.OFFER_HAS_NO_ITEMS
    return None


MAX_VALIDITY_YEARS = 5


def validity_refusal(valid_until: date | None, previous: date | None, today: date) -> str | None:
    """A Valid until date that is set or changed must be today or later (one kept as it was
    may have passed: the offer expired), and at most :data:`MAX_VALIDITY_YEARS` ahead."""
    if valid_until is None or valid_until == previous:
        return None
    if valid_until < today:
        return texts.OFFER_VALID_UNTIL_PAST
    latest = today + timedelta(days=365 * MAX_VALIDITY_YEARS + MAX_VALIDITY_YEARS // 4 + 1)
    if valid_until > latest:
        return texts.OFFER_VALID_UNTIL_TOO_FAR.format(years=MAX_VALIDITY_YEARS)
    return None


def acceptance_refusal(
    new_type: str, old_type: str, valid_until: date | None, today: date
) -> str | None:
    """An offer whose validity has passed is not accepted until it is extended."""
    if new_type != OfferStatusType.ACCEPTED or old_type == OfferStatusType.ACCEPTED:
        return None
    if valid_until is not None and valid_until < today:
        return texts.OFFER_EXPIRED
    return None


def parse_quantity(
    raw, minimum: int | None = None, maximum: int | None = None
) -> tuple[int | None, str | None]:
    """A quantity typed for an item: ASCII digits only, as every quantity
    (core.rules.basket.is_whole_number), within its plan's limits (``minimum`` to ``maximum``,
    as an order's line keeps them), never beyond 1 to MAX_QUANTITY."""
    low = max(1, minimum or 1)
    high = min(MAX_QUANTITY, maximum or MAX_QUANTITY)
    message = (
        texts.OFFER_QUANTITY_INVALID
        if (low, high) == (1, MAX_QUANTITY)
        else texts.QUANTITY_INVALID.format(min=low, max=high)
    )
    if isinstance(raw, bool) or not (isinstance(raw, int) or is_whole_number(raw)):
        return None, message
    value = int(str(raw).strip())
    if not low <= value <= high:
        return None, message
    return value, None


def parse_price(raw) -> tuple[Decimal | None, str | None]:
    """An offered unit price: a non-negative amount with at most two decimals."""
    if isinstance(raw, Decimal):
        value = raw
    else:
        try:
            value = amounts.parse_amount(str(raw).strip(), comma=amounts.DECIMAL_COMMA)
        except amounts.AmountInvalid:
            return None, texts.OFFER_PRICE_INVALID
    if not value.is_finite() or value < 0 or value >= MAX_PRICE or value != value.quantize(CENT):
        return None, texts.OFFER_PRICE_INVALID
    return value.quantize(CENT), None


def offer_total(lines: Iterable[OfferLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0.00")).quantize(CENT)
