"""Rule 4.6: whole or partial execution, by item and by quantity.

An order is Executed only when every quantity of every item is executed (PRODUCT.md 6.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LineState:
    item_id: int
    quantity: int
    executed: int

    @property
    def remaining(self) -> int:
        return self.quantity - self.executed


class ExecutionPlanError(ValueError):
    """The requested quantities cannot be executed; ``errors`` maps item id -> message."""

    def __init__(self, message: str, errors: dict[int, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


NOTHING_LEFT = "Every quantity of this order has already been executed."
NOTHING_CHOSEN = "Choose at least one item and a quantity to execute."
TOO_MANY = "At most {remaining} can still be executed for this item."
NOT_WHOLE = "Enter a whole number from 0 to {remaining}."
UNKNOWN_ITEM = "This item is not part of the order."


def plan_execution(
    lines: Iterable[LineState], requested: Mapping[int, int] | None = None
) -> dict[int, int]:
    """Item id -> quantity to execute now. ``requested=None`` means everything left."""
    lines = list(lines)
    by_id = {line.item_id: line for line in lines}
    if requested is None:
        plan = {line.item_id: line.remaining for line in lines if line.remaining > 0}
        if not plan:
            raise ExecutionPlanError(NOTHING_LEFT)
        return plan
    errors: dict[int, str] = {}
    plan: dict[int, int] = {}
    for item_id, quantity in requested.items():
        line = by_id.get(item_id)
        if line is None:
            errors[item_id] = UNKNOWN_ITEM
            continue
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            errors[item_id] = NOT_WHOLE.format(remaining=line.remaining)
        elif quantity > line.remaining:
            errors[item_id] = TOO_MANY.format(remaining=line.remaining)
        elif quantity:
            plan[item_id] = quantity
    if errors:
        raise ExecutionPlanError("Some quantities cannot be executed.", errors)
    if not plan:
        if all(line.remaining == 0 for line in lines):
            raise ExecutionPlanError(NOTHING_LEFT)
        raise ExecutionPlanError(NOTHING_CHOSEN)
    return plan


# open holds a user is warned about before executing: executing releases them, and they say the
# customer may not pay (the manual-execution hold is the very reason a person executes)
WARN_BEFORE_EXECUTION = ("credit_limit", "payment_failed")


def holds_to_warn(open_hold_reasons: Iterable[str]) -> list[str]:
    """The open holds an execution's confirmation warns about, in a stable order."""
    reasons = set(open_hold_reasons)
    return [r for r in WARN_BEFORE_EXECUTION if r in reasons]


def is_fully_executed(lines: Iterable[LineState]) -> bool:
    lines = list(lines)
    return bool(lines) and all(line.remaining == 0 for line in lines)


def is_partial(lines: Iterable[LineState], plan: Mapping[int, int]) -> bool:
    """Whether executing ``plan`` leaves the order partly executed or follows earlier parts:
    then the execution is recorded as a sub-order."""
    lines = list(lines)
    executed_before = any(line.executed for line in lines)
    leaves_some = any(line.remaining - plan.get(line.item_id, 0) > 0 for line in lines)
    return executed_before or leaves_some
