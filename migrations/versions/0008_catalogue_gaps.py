"""catalogue back office gaps: a plan's own free trial (issue 15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # NULL: the plan takes its product's trial (core.rules.catalogue.trial_days_for)
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("trial_days", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("trial_days")
