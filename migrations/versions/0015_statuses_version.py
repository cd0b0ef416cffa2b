"""the tenant's order statuses' version (issue 19, ninth pass): a token that changes with every
change to the tenant's order statuses, read with the signed-in user, so that the BSS read pages
take the statuses a process keeps instead of reading them on every request

Revision ID: 0015_statuses_version
Revises: 0014_checkout
Create Date: 2026-12-02 07:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_statuses_version"
down_revision = "0014_checkout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOT NULL with a server default: no table rebuild on SQLite, every tenant at 0
    op.add_column(
        "tenant",
        sa.Column("statuses_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    with op.batch_alter_table("tenant") as batch:
        batch.drop_column("statuses_version")
