"""Rule 4.7: available credit = credit limit - open balance, where the open balance is the
unpaid invoices plus the not yet executed part of submitted orders. Enforced for manual
baskets too [seed 001]. Pure."""

from __future__ import annotations

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
    """By how much ``total`` exceeds the available credit; zero when it fits or no limit."""
    available = available_credit(limit, balance)
    if available is None or total <= available:
        return ZERO
    return (total - available).quantize(Decimal("0.01"))
