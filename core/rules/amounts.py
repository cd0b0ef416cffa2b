"""Amounts typed by a person or sent by a program (prices, credit limits, credit notes, payments,
VAT rates): the one parser every form and the API read them with.

An amount is a plain decimal number: ASCII digits, at most one decimal point, at most
``places`` decimals. ``Decimal(text)`` alone is not a parser for input: it also takes NaN,
sNaN, Infinity, exponents ("1e400", which no ``quantize`` survives), underscores ("1_0" is 10),
any script's digits ("١٢" is 12) and surrounding spaces. None of those is an amount here."""

from __future__ import annotations

import re
from decimal import Decimal

NO_COMMA = "none"
DECIMAL_COMMA = "decimal"  # "12,50" is 12.50 (the BSS billing forms)
THOUSANDS_COMMA = "thousands"  # "1,500.00" is 1500.00 (credit limits, recorded payments)

MAX_INTEGER_DIGITS = 15  # beyond any Money column (14, 2) and far below Decimal's precision

_AMOUNT = re.compile(r"([0-9]+)(?:\.([0-9]*))?|\.([0-9]+)", re.ASCII)


class AmountInvalid(ValueError):
    """Not an amount; ``too_large`` when it is one with more digits than any amount has."""

    def __init__(self, text: str, *, too_large: bool = False):
        super().__init__(text)
        self.too_large = too_large


def parse_amount(text: str, *, places: int = 2, comma: str = NO_COMMA) -> Decimal:
    """``text`` (already stripped by a form, as sent by the API) as a Decimal with ``places``
    decimals, never negative. Raises :class:`AmountInvalid`. The caller checks its own range."""
    if not isinstance(text, str):
        raise AmountInvalid(repr(text))
    if comma == DECIMAL_COMMA:
        text = text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else text
    elif comma == THOUSANDS_COMMA:
        text = text.replace(",", "")
    shape = _AMOUNT.fullmatch(text)
    if shape is None:
        raise AmountInvalid(text)
    whole, decimals = shape.group(1) or "", shape.group(2) or shape.group(3) or ""
    if len(decimals) > places:
        raise AmountInvalid(text)
    if len(whole.lstrip("0")) > MAX_INTEGER_DIGITS:
        raise AmountInvalid(text, too_large=True)
    return Decimal(f"{whole or '0'}.{decimals or '0'}").quantize(Decimal(1).scaleb(-places))
