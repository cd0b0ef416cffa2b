"""offer numbers from each tenant's own sequence

Offer numbers were OF + the row's id, and SQLite gives a deleted last row's id to the next
row: a deleted offer's number was given again. New offers take their number from the tenant's
``document_number_sequence`` row of kind "offer"; this seeds it above every number the tenant
has given (its offers' ids), so no number given before is given again.

Revision ID: 0023_offer_number_sequence
Revises: 0022_credit_note_reason
Create Date: 2026-12-07 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_offer_number_sequence"
down_revision = "0022_credit_note_reason"
branch_labels = None
depends_on = None


def _seed(connection) -> None:
    """Each tenant with offers and no offer sequence yet gets one at its highest offer id."""
    connection.execute(
        sa.text(
            "INSERT INTO document_number_sequence (tenant_id, kind, last_number) "
            "SELECT tenant_id, 'offer', MAX(id) FROM offer "
            "WHERE tenant_id NOT IN "
            "(SELECT tenant_id FROM document_number_sequence WHERE kind = 'offer') "
            "GROUP BY tenant_id"
        )
    )


def upgrade() -> None:
    _seed(op.get_bind())


def downgrade() -> None:
    op.execute("DELETE FROM document_number_sequence WHERE kind = 'offer'")
