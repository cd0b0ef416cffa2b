"""the orders billed to another account: a partial index (issue 19, the checkout's credit check)

``ix_order_billing_account`` held every order, almost all with no billing account (NULL):
SQLite's ANALYZE then judged ``billing_account_id = ?`` to match half the orders and the open
balance (three times per checkout of an account with a credit limit) walked the tenant's whole
order index instead: 30 ms per call at 200,000 orders. The index now holds only the orders that
have a billing account, which every ``billing_account_id = ?`` implies; the statistics of
both databases see it as the few rows it is.

Revision ID: 0014_checkout
Revises: 0013
Create Date: 2026-11-30 14:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0014_checkout"
down_revision = "0013"  # main's 0013_operations_email
branch_labels = None
depends_on = None

_BILLED = sa.text("billing_account_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_order_billing_account", table_name="order")
    op.create_index(
        "ix_order_billing_account",
        "order",
        ["billing_account_id"],
        sqlite_where=_BILLED,
        postgresql_where=_BILLED,
    )


def downgrade():
    op.drop_index("ix_order_billing_account", table_name="order")
    op.create_index("ix_order_billing_account", "order", ["billing_account_id"])
