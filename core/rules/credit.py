"""Rule 4.7: available credit = credit limit - open balance, where the open balance is the
unpaid invoices plus the not yet executed part of submitted orders. Enforced for manual
baskets too [seed 001]. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


def open_balance(unpaid_invoices: Decimal, unexecuted_orders: Decimal) -> Decimal:
    return (unpaid_invoices or ZERO) + (unexecuted_orders or ZERO)


def available_credit(limit: Decimal | None, balance: Decimal) -> Decimal | None:
    """None when the account has no credit limit (nothing to enforce)."""
    if limit is None:
        return None
    return (limit - balance).quantize(Decimal("0.01"))


def credit_excess(limit: Decimal | None, balance: Decimal, total: Decimal) -> Decimal:
    """By how much ``total`` exceeds the available credit; zero when it fits or no limit. An
    account already over its limit has no credit available (never less than none): its
    total exceeds by the whole total, as the ribbon's "available €0.00" reads."""
    available = available_credit(limit, balance)
    if available is None or total <= available:
        return ZERO
    available = max(available, ZERO)
    return (total - available).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class CreditRibbon:
    """What the credit ribbon of a basket (or a checkout review) states: the limit, what is
    used, what is left (never below zero), this basket's total and by how much it exceeds."""

    limit: Decimal
    used: Decimal
    available: Decimal
    total: Decimal
    excess: Decimal

    @property
    def over(self) -> bool:
        return self.excess > ZERO


def credit_ribbon(
    limit: Decimal | None, balance: Decimal, total: Decimal, has_lines: bool
) -> CreditRibbon | None:
    """The ribbon shows for an account with a credit limit and a basket with something in it
    (an empty basket has nothing to say about credit); it warns when the total exceeds."""
    if limit is None or not has_lines:
        return None
    available = available_credit(limit, balance) or ZERO
    return CreditRibbon(
        limit=limit,
        used=balance,
        available=max(available, ZERO),
        total=total,
        excess=credit_excess(limit, balance, total),
    )
