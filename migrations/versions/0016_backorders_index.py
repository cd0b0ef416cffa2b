"""the distributor's back-orders list: a partial index of the back-orders (issue 19, eleventh
pass)

The list filtered the tenant's orders by their source and so read them all to find the few
back-orders (PostgreSQL: a parallel scan of 200,000 orders, 26 ms a page, growing with the
history). ``ix_order_backorder_date`` holds the back-orders alone, by tenant and date (the
source a column too, so that SQLite prefers it without statistics).

Revision ID: 0016_backorders_index
Revises: 0015_statuses_version
Create Date: 2026-12-02 18:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0016_backorders_index"
down_revision = "0015_statuses_version"
branch_labels = None
depends_on = None

_BACKORDER = sa.text("source = 'backorder'")


def upgrade() -> None:
    op.create_index(
        "ix_order_backorder_date",
        "order",
        ["tenant_id", "source", "order_date", "id"],
        sqlite_where=_BACKORDER,
        postgresql_where=_BACKORDER,
    )


def downgrade() -> None:
    op.drop_index("ix_order_backorder_date", table_name="order")
