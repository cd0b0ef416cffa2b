"""An offer's Valid until (core.rules.offers.validity_refusal): today or later, and at most
five years ahead, whether typed in the BSS or sent through the API (both ask this rule)."""

from __future__ import annotations

from datetime import date, timedelta

from core import texts
from core.rules.offers import MAX_VALIDITY_YEARS, validity_refusal

TODAY = date(2026, 12, 3)
TOO_FAR = texts.OFFER_VALID_UNTIL_TOO_FAR.format(years=MAX_VALIDITY_YEARS)


def test_a_validity_years_ahead_is_refused_beyond_five_years():
    assert validity_refusal(date(9999, 12, 31), None, TODAY) == TOO_FAR
    assert validity_refusal(date(2032, 12, 3), None, TODAY) == TOO_FAR
    assert validity_refusal(date(2031, 12, 3), None, TODAY) is None
    assert validity_refusal(TODAY, None, TODAY) is None
    assert validity_refusal(TODAY - timedelta(days=1), None, TODAY) == texts.OFFER_VALID_UNTIL_PAST
    # a date kept as it was is not asked again (an old offer stays editable)
    assert validity_refusal(date(9999, 12, 31), date(9999, 12, 31), TODAY) is None
