"""a paid order's card payment linked to the invoice its execution issued

Before this, the checkout's card payment, a Pay now on an order and a held order's charge were
stored with ``invoice_id`` NULL: their invoice said *Paid* while its payments page said "Still
owed" and "No payments yet", and its PDF "Please pay by". New payments are linked when the
order is executed (``core.services.checkout.execute_paid``); this links the rows written
before: each succeeded order payment without an invoice gets its order's invoice (the first,
as an order paid by card is executed, and invoiced, once). Declined attempts stay unlinked.
No schema change.

Revision ID: 0018_link_order_payments
Revises: 0017_partial_indexes
Create Date: 2026-12-04 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0018_link_order_payments"
down_revision = "0017_partial_indexes"
branch_labels = None
depends_on = None

_LINK = sa.text(
    """
    UPDATE payment SET invoice_id = (
        SELECT MIN(invoice.id) FROM invoice
        WHERE invoice.order_id = payment.order_id AND invoice.kind = 'invoice'
    )
    WHERE payment.status = 'succeeded'
      AND payment.invoice_id IS NULL
      AND payment.order_id IS NOT NULL
      AND EXISTS (
        SELECT 1 FROM invoice
        WHERE invoice.order_id = payment.order_id AND invoice.kind = 'invoice'
      )
    """
)


def link_order_payments(bind) -> int:
    """Link the succeeded order payments stored without their invoice; returns how many."""
    return bind.execute(_LINK).rowcount


def upgrade() -> None:
    link_order_payments(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: a linked payment is what the data always meant."""
