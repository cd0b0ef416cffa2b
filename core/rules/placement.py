"""Rule 4.5: order placement. Each reason not to execute now is a hold with its own ribbon and
its own release; the order is executed automatically only when no hold remains. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.enums import ExecutionType, HoldReason, PaymentMethod
from core.rules.statuses import StatusKey

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PlacementFacts:
    execution_type: str
    total: Decimal
    payment_method: str
    credit_excess: Decimal = ZERO
    scheduled_for: date | None = None
    needs_reseller_approval: bool = False
    released: frozenset[str] = frozenset()  # holds already placed and released


@dataclass(frozen=True)
class Hold:
    reason: str
    detail: str | None = None


@dataclass
class Decision:
    status_key: str
    holds: list[Hold] = field(default_factory=list)
    charge: bool = False  # charge the payment method, then execute

    @property
    def executes_now(self) -> bool:
        return not self.holds

    @property
    def reasons(self) -> list[str]:
        return [h.reason for h in self.holds]


def decide(facts: PlacementFacts, *, money=lambda amount: f"{amount}") -> Decision:
    """What placing (or re-evaluating after a release) does with an order.

    Order of the checks: the reseller approves first (then the rest is evaluated again); a
    manual order waits for the operations team (and for credit review when over the limit); an
    automatic order over the limit waits for credit review; a scheduled one waits for its date;
    anything else is charged and executed.
    """
    released = facts.released
    if facts.needs_reseller_approval and HoldReason.RESELLER_APPROVAL not in released:
        return Decision(StatusKey.PENDING_RESELLER_APPROVAL, [Hold(HoldReason.RESELLER_APPROVAL)])
    holds: list[Hold] = []
    if facts.execution_type == ExecutionType.MANUAL:
        holds.append(Hold(HoldReason.MANUAL_EXECUTION))
    if facts.credit_excess > ZERO and HoldReason.CREDIT_LIMIT not in released:
        holds.append(
            Hold(
                HoldReason.CREDIT_LIMIT,
                f"the order total {money(facts.total)} exceeds the available credit by "
                f"{money(facts.credit_excess)}.",
            )
        )
    if holds:
        return Decision(StatusKey.SUBMITTED, holds)
    if facts.scheduled_for is not None and HoldReason.SCHEDULED not in released:
        return Decision(
            StatusKey.SCHEDULED, [Hold(HoldReason.SCHEDULED, facts.scheduled_for.isoformat())]
        )
    return Decision(StatusKey.EXECUTED, [], charge=facts.total > ZERO)


def charges_through_gateway(payment_method: str) -> bool:
    return payment_method == PaymentMethod.CARD
