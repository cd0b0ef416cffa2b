"""Promotions (issue 15, part D): which promotion applies to a sale, and what it takes off.

One rule for every place that prices a sale (the Storefront's product page and basket, the
BSS's Quick Add, the re-pricing of a scheduled order, the distributor's back-orders): a
promotion applies to a product, or to one plan of it, on the days from its start to its end
(both included, in the tenant's time zone) while it is active. A percentage takes that share
off the unit price; a fixed amount takes that much off each unit (never below zero). When
several apply, the one that takes the most off wins (the older one on a tie). Standard
library only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core import texts

PERCENT = "percent"
AMOUNT = "amount"
KINDS = (PERCENT, AMOUNT)
KIND_LABELS = {PERCENT: "Percentage", AMOUNT: "Fixed amount per unit"}
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True, slots=True)
class PromotionTerms:
    id: int
    product_id: int
    plan_id: int | None  # None: every plan of the product
    kind: str
    value: Decimal  # percent off, or amount off per unit
    starts_on: date
    ends_on: date
    active: bool = True


def applies(terms: PromotionTerms, product_id: int, plan_id: int | None, on: date) -> bool:
    """Active, for this product (and this plan, when it names one), and ``on`` is one of its
    days: an expired or a future promotion never applies."""
    return (
        terms.active
        and terms.product_id == product_id
        and (terms.plan_id is None or terms.plan_id == plan_id)
        and terms.starts_on <= on <= terms.ends_on
    )


def unit_discount(terms: PromotionTerms, unit_price: Decimal) -> Decimal:
    """What the promotion takes off one unit at ``unit_price``."""
    if terms.kind == PERCENT:
        return (unit_price * terms.value / Decimal(100)).quantize(CENT)
    return min(terms.value, unit_price)


def best_promotion(
    promotions: Iterable[PromotionTerms],
    product_id: int,
    plan_id: int | None,
    unit_price: Decimal,
    on: date,
) -> PromotionTerms | None:
    candidates = [p for p in promotions if applies(p, product_id, plan_id, on)]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (unit_discount(p, unit_price), -p.id))


def discounted(unit_price: Decimal, terms: PromotionTerms | None) -> tuple[Decimal, Decimal | None]:
    """(the unit price to charge, the discount percent to record). A percentage is recorded as
    such on the line; a fixed amount lowers the unit price itself."""
    if terms is None:
        return unit_price, None
    if terms.kind == PERCENT:
        return unit_price, terms.value
    return (unit_price - unit_discount(terms, unit_price)).quantize(CENT), None


def status(terms: PromotionTerms, today: date) -> str:
    """Inactive, scheduled (starts later), running (applies today) or expired."""
    if not terms.active:
        return "inactive"
    if today < terms.starts_on:
        return "scheduled"
    if today > terms.ends_on:
        return "expired"
    return "running"


@dataclass(frozen=True)
class PromotionInput:
    name: str
    kind: str
    value: Decimal | None
    product_found: bool
    plan_found: bool  # True when no plan is named
    starts_on: date | None
    ends_on: date | None


def validate_promotion(values: PromotionInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not values.name.strip():
        errors["name"] = [texts.PROMOTION_NAME_REQUIRED]
    elif len(values.name.strip()) > 120:
        errors["name"] = [texts.PLAN_NAME_TOO_LONG.format(max=120)]
    if values.kind not in KINDS:
        errors["kind"] = [texts.PROMOTION_KIND_INVALID]
    elif values.value is None or values.value <= 0:
        errors["value"] = [texts.PROMOTION_VALUE_INVALID]
    elif values.kind == PERCENT and values.value > 100:
        errors["value"] = [texts.PROMOTION_PERCENT_RANGE]
    elif values.value > MAX_AMOUNT:
        errors["value"] = [texts.PRICE_TOO_LARGE]
    if not values.product_found:
        errors["product_code"] = [texts.CATALOGUE_CODE_UNKNOWN]
    elif not values.plan_found:
        errors["plan_name"] = [texts.PROMOTION_PLAN_UNKNOWN]
    if values.starts_on is None:
        errors["starts_on"] = [texts.PROMOTION_DATE_INVALID]
    if values.ends_on is None:
        errors["ends_on"] = [texts.PROMOTION_DATE_INVALID]
    elif values.starts_on is not None and values.ends_on < values.starts_on:
        errors["ends_on"] = [texts.PROMOTION_DATES_INVERTED]
    return errors
