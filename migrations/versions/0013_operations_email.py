"""the tenant's operations e-mail (issue 16, point 5): where each new manual order is announced,
set in BSS Setup > Notifications (empty: the deployment's OPERATIONS_EMAIL)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # an added nullable column: no table rebuild on SQLite
    op.add_column("tenant", sa.Column("operations_email", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("operations_email")
