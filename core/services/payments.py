"""Payment gateways: an interface, and a built-in sandbox with documented test cards.

Card numbers are used in memory for the one charge and never stored: a Payment row keeps only
the last four digits and the gateway's reference. Every charge carries an idempotency key; a
gateway that sees the same key twice returns the first result and charges once.

Sandbox test cards (any future expiry date, any 3-digit CVC):

====================  =========================================
4242 4242 4242 4242   succeeds
4000 0000 0000 0002   declined ("Your card was declined.")
4000 0000 0000 0119   fails with a processing error
====================  =========================================
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from core.services.errors import ValidationFailed

SUCCEEDED = "succeeded"
DECLINED = "declined"
ERROR = "error"
PENDING = "pending"  # claimed, being charged
AWAITING = "awaiting"  # card kept as a gateway token until the order's holds are released

TEST_CARD_SUCCEEDS = "4242424242424242"
TEST_CARD_DECLINED = "4000000000000002"
TEST_CARD_ERROR = "4000000000000119"

CARD_NUMBER_INVALID = "Enter a valid card number."
CARD_EXPIRY_INVALID = "Enter a valid expiry date (month and year) in the future."
CARD_CVC_INVALID = "Enter the 3 or 4 digit security code."
CARD_HOLDER_REQUIRED = "Enter the name on the card."


@dataclass(frozen=True)
class CardDetails:
    number: str
    expiry_month: int
    expiry_year: int
    cvc: str
    holder: str = ""

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:  # never print the number
        return f"CardDetails(****{self.last4})"


@dataclass(frozen=True)
class ChargeResult:
    status: str
    reference: str | None
    message: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED


class PaymentGateway(Protocol):
    name: str

    def tokenize(self, card: CardDetails) -> str: ...

    def charge(
        self,
        *,
        amount: Decimal,
        currency: str,
        idempotency_key: str,
        card: CardDetails | None = None,
        token: str | None = None,
    ) -> ChargeResult: ...


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


def card_or_refuse(card: dict | None, today: date) -> CardDetails:
    """The card of a payment form (``number``, ``expiry_month``, ``expiry_year``, ``cvc``,
    ``holder``), or :class:`ValidationFailed` with the errors by field: the one check of the
    checkout, Pay now on an order and Pay now on an invoice."""
    card = card or {}
    details, errors = parse_card(
        *(card.get(k) for k in ("number", "expiry_month", "expiry_year", "cvc", "holder")),
        today=today,
    )
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)
    return details


def parse_card(number, month, year, cvc, holder, today: date) -> tuple[CardDetails | None, dict]:
    """Validate card fields; returns (card, errors by field name)."""
    errors: dict[str, list[str]] = {}
    digits = "".join(ch for ch in str(number or "") if ch not in " -")
    if not (digits.isdigit() and digits.isascii() and 12 <= len(digits) <= 19 and luhn_ok(digits)):
        errors["card_number"] = [CARD_NUMBER_INVALID]
    try:
        m, y = int(str(month).strip()), int(str(year).strip())
        if y < 100:
            y += 2000
        if not (1 <= m <= 12) or (y, m) < (today.year, today.month) or y > today.year + 30:
            raise ValueError
    except (TypeError, ValueError):
        errors["card_expiry"] = [CARD_EXPIRY_INVALID]
        m = y = 0
    cvc = str(cvc or "").strip()
    if not (cvc.isdigit() and cvc.isascii() and len(cvc) in (3, 4)):
        errors["card_cvc"] = [CARD_CVC_INVALID]
    holder = str(holder or "").strip()
    if not holder:
        errors["card_holder"] = [CARD_HOLDER_REQUIRED]
    if errors:
        return None, errors
    return CardDetails(digits, m, y, cvc, holder[:200]), {}


def split_expiry(text) -> tuple[str, str]:
    """The card's expiry as typed in one field ("MM/YY", "MM / YYYY", "MMYY") as (month,
    year); empty strings when it cannot be read (:func:`parse_card` then says so)."""
    raw = str(text or "").strip()
    for separator in ("/", "-", " "):
        if separator in raw:
            month, _, year = raw.partition(separator)
            return month.strip(), year.strip().lstrip("/- ").strip()
    if raw.isdigit() and len(raw) in (4, 6):
        return raw[:2], raw[2:]
    return "", ""


class SandboxGateway:
    """Answers like a real gateway, by test card number; idempotent per key (in memory)."""

    name = "sandbox"

    def __init__(self) -> None:
        self._results: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()
        self.charges = 0  # real charges made (a repeated key does not count)

    def tokenize(self, card: CardDetails) -> str:
        return f"tok_sandbox_{card.last4}_{uuid.uuid4().hex[:8]}"

    def _outcome(self, last4: str, full: str | None) -> ChargeResult:
        number = full or {"4242": TEST_CARD_SUCCEEDS, "0002": TEST_CARD_DECLINED}.get(
            last4, TEST_CARD_ERROR if last4 == "0119" else ""
        )
        reference = f"sbx_{uuid.uuid4().hex[:16]}"
        if number == TEST_CARD_SUCCEEDS:
            return ChargeResult(SUCCEEDED, reference)
        if number == TEST_CARD_ERROR:
            return ChargeResult(ERROR, reference, "The payment could not be processed.")
        if number == TEST_CARD_DECLINED:
            return ChargeResult(DECLINED, reference, "Your card was declined.")
        return ChargeResult(
            DECLINED, reference, "Your card was declined (the sandbox accepts only test cards)."
        )

    def charge(self, *, amount, currency, idempotency_key, card=None, token=None) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
            if card is not None:
                result = self._outcome(card.last4, card.number)
            elif token and token.startswith("tok_sandbox_"):
                result = self._outcome(token.split("_")[2], None)
            else:
                result = ChargeResult(ERROR, None, "No card to charge.")
            self._results[idempotency_key] = result
            self.charges += 1
            return result


_default = SandboxGateway()


def default_gateway() -> PaymentGateway:
    return _default
