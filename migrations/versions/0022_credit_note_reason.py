"""the reason a credit note was issued, kept on it

The BSS's credit note form asks for a reason (required); the credit note's pages and its PDF
show it. Credit notes issued before have none (NULL). Schema change only.

Revision ID: 0022_credit_note_reason
Revises: 0021_bss_email_unique
Create Date: 2026-12-06 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_credit_note_reason"
down_revision = "0021_bss_email_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.add_column(sa.Column("credit_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoice") as batch:
        batch.drop_column("credit_reason")
