"""sub-orders and suspended subscriptions indexed alone (issue 19, twelfth pass)

Almost every order is a primary one. With their NULLs in the index, SQLite's statistics
(ANALYZE) counted them as one value shared by half the table, so "parent_order_id = ?" looked
as unselective as the tenant: the BSS order page's invoices statement (the order's and its
sub-orders') read the tenant's 200,000 orders through the tenant's index, 44 ms of a 54 ms
page at the benchmark's size. Indexing the sub-orders alone makes the statistics say what
the column holds; PostgreSQL, which counts NULLs apart, gets a smaller index.

``ix_subscription_suspended_invoice``: the subscriptions an invoice suspended (its payments
page, every payment that settles it) were found by a column no index held, a scan of every
subscription ever sold (19 ms on SQLite at 190,000); partial, as almost none is suspended.

Revision ID: 0017_partial_indexes
Revises: 0016_backorders_index
Create Date: 2026-12-03 07:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_partial_indexes"
down_revision = "0016_backorders_index"
branch_labels = None
depends_on = None

_HAS_PARENT = sa.text("parent_order_id IS NOT NULL")
_SUSPENDED = sa.text("suspended_invoice_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_subscription_suspended_invoice",
        "subscription",
        ["suspended_invoice_id"],
        sqlite_where=_SUSPENDED,
        postgresql_where=_SUSPENDED,
    )
    op.drop_index("ix_order_parent", table_name="order")
    op.create_index(
        "ix_order_parent",
        "order",
        ["parent_order_id"],
        sqlite_where=_HAS_PARENT,
        postgresql_where=_HAS_PARENT,
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_suspended_invoice", table_name="subscription")
    op.drop_index("ix_order_parent", table_name="order")
    op.create_index("ix_order_parent", "order", ["parent_order_id"])
