"""VAT numbers of the EU (and Northern Ireland, "XI"): the format check of the VIES service,
as one table of patterns per country prefix. Pure: a format check only, it does not ask VIES
whether the number is registered.

Greece uses "EL", not its ISO code "GR". Spaces, dots and hyphens are dropped and letters
upper-cased before the check, so "de 123.456.789" is stored as "DE123456789".
"""

from __future__ import annotations

import re

# country prefix -> what follows it (VIES formats, European Commission)
EU_VAT_PATTERNS: dict[str, str] = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[A-Z0-9+*]\d{5}[A-W][A-I]?",
    "IT": r"\d{11}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"[1-9]\d{1,9}",
    "SE": r"\d{10}01",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD[0-4]\d{2}|HA[5-9]\d{2}",
}

_COMPILED = {prefix: re.compile(f"(?:{rest})") for prefix, rest in EU_VAT_PATTERNS.items()}
_SEPARATORS = re.compile(r"[\s.\-]")


class VatNumberInvalid(ValueError):
    """The text is not an EU VAT number in a valid format."""


def normalize_vat_number(raw: str) -> str:
    """The VAT number without separators, upper-cased; :class:`VatNumberInvalid` when its
    country prefix is unknown or the rest does not match that country's format."""
    value = _SEPARATORS.sub("", raw or "").upper()
    prefix, rest = value[:2], value[2:]
    pattern = _COMPILED.get(prefix)
    if pattern is None or not pattern.fullmatch(rest):
        raise VatNumberInvalid(value)
    return value
