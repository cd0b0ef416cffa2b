"""The payment hook of issued invoices (issue 17): the billing run calls :func:`collect` once
for every invoice it issued. **The call site is stable; the dunning work (issue 17, point 5)
fills in the body.**

Contract:

- called with the run's session **after** the transaction that issued the invoice committed
  (a gateway call never runs inside the issuing transaction, and a failed charge never
  un-issues an invoice); ``invoice`` is that committed row;
- it runs its own transaction(s) (``core.db.write_transaction``) for whatever it records;
- it must be idempotent per invoice (use the invoice's id in the charge's idempotency key):
  a rerun of the billing run after a crash between the commit and this call calls it for the
  invoices it finds still open; a second call for the same invoice must not charge twice;
- it must not raise for a declined card: it records the failure (dunning starts there); an
  exception is logged by the run as the invoice's payment failure and the run goes on.

Today: an on-account invoice stays open until a BSS user records a payment; a card invoice
is left open (nothing is charged yet). Returns what happened, for the run's log.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.models import Invoice

LEFT_OPEN = "left_open"


def collect(session: Session, invoice: Invoice) -> str:
    """Collect payment for a just-issued invoice (see the module's contract)."""
    return LEFT_OPEN
