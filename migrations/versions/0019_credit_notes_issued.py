"""credit notes are issued, never open

A credit note was issued with the status *open*, so its pages said "Open", its payments page
"Still owed", and the BSS account page offered to collect it. New credit notes are issued
*issued* (``core.rules.invoicing.initial_status``); this gives that status to the credit notes
stored *open* before. No schema change.

Revision ID: 0019_credit_notes_issued
Revises: 0018_link_order_payments
Create Date: 2026-12-04 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0019_credit_notes_issued"
down_revision = "0018_link_order_payments"
branch_labels = None
depends_on = None

_ISSUED = sa.text(
    "UPDATE invoice SET status = 'issued' WHERE kind = 'credit_note' AND status = 'open'"
)


def credit_notes_issued(bind) -> int:
    """Credit notes stored *open* become *issued*; returns how many."""
    return bind.execute(_ISSUED).rowcount


def upgrade() -> None:
    credit_notes_issued(op.get_bind())


def downgrade() -> None:
    op.execute("UPDATE invoice SET status = 'open' WHERE kind = 'credit_note' AND status = 'issued'")
