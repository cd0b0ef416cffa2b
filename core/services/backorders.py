"""Distributor back-ordering (PRODUCT.md section 8).

Called by :mod:`core.services.execution` inside the execution's transaction. The full feature
(issue: distributor back-ordering) fills this in; until then executing creates no back-order.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import Order


def record_backorders(session: Session, order: Order, executed: dict, now) -> None:
    """Create the distributor's back-order(s) for what was just executed, exactly once."""
    return None
